package ring_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/strategy"
)

// backupCopy is Python Ring's DoubleCacheUserInterface written as a
// strategy.Strategy: every write also keeps a backup copy of the value under
// the key plus ":back", with no expiry. When the entry is gone (expired or
// deleted) and the function fails, Call serves the last good value from the
// backup instead of the error, and reports the error to OnError.
//
// It embeds strategy.Default and overrides only what changes; Has, Touch and
// Execute keep their default meaning (they see the entry, not the backup).
// It holds no state, so it is safe for concurrent use.
type backupCopy struct {
	strategy.Default
}

// backupKey is where the backup of op's entry lives. Ring escapes ':'
// inside arguments, so no argument tuple of the same ring produces a key
// ending in an unescaped ":back".
func backupKey(op strategy.Op) string { return op.Key() + ":back" }

// storeBoth writes the entry (with the ring's expiry) and its backup.
func (backupCopy) storeBoth(ctx context.Context, op strategy.Op, v any) error {
	if err := op.Store(ctx, op.Key(), v); err != nil {
		return err
	}
	return op.StoreTTL(ctx, backupKey(op), v, 0) // the backup never expires
}

// GetOrUpdate is Call: the entry if present; otherwise run the function
// once per key (single flight) and write the entry and its backup; if the
// function fails, the backup.
func (b backupCopy) GetOrUpdate(ctx context.Context, op strategy.Op) (any, error) {
	v, ok, err := op.Load(ctx, op.Key())
	if err != nil {
		op.Report("get", err) // fail open, as strategy.Default does
	} else if ok {
		return v, nil
	}
	v, err = op.Flight(ctx, func(ctx context.Context) (any, error) {
		// ctx is the run's context: the writes below are the fill's, and
		// a Set or Delete of the key meanwhile wins over them.
		v, err := op.Execute(ctx)
		if err != nil {
			return v, err
		}
		if err := b.storeBoth(ctx, op, v); err != nil {
			op.Report("set", err)
		}
		return v, nil
	})
	if err == nil {
		return v, nil
	}
	if old, ok, lerr := op.Load(ctx, backupKey(op)); lerr == nil && ok {
		op.Report("execute", err) // absorbed: the backup is served instead
		return old, nil
	}
	return v, err
}

// Get reads the entry, and the backup when the entry is gone.
func (backupCopy) Get(ctx context.Context, op strategy.Op) (any, bool, error) {
	v, ok, err := op.Load(ctx, op.Key())
	if err != nil || ok {
		return v, ok, err
	}
	return op.Load(ctx, backupKey(op))
}

// Update runs the function and writes the entry and its backup.
func (b backupCopy) Update(ctx context.Context, op strategy.Op) (any, error) {
	v, err := op.Execute(ctx)
	if err != nil {
		return v, err
	}
	return v, b.storeBoth(ctx, op, v)
}

// Set writes the entry and its backup.
func (b backupCopy) Set(ctx context.Context, op strategy.Op, value any) error {
	return b.storeBoth(ctx, op, value)
}

// Delete removes the entry and its backup.
func (backupCopy) Delete(ctx context.Context, op strategy.Op) error {
	return errors.Join(op.Delete(ctx, op.Key()), op.Delete(ctx, backupKey(op)))
}

// quotes is the fake quote service behind fetchQuote.
var quotes struct {
	sync.Mutex
	down  bool
	price map[string]int
}

var errQuotesDown = errors.New("quote service unavailable")

// fetchQuote is the stock price of symbol, from a service that fails.
func fetchQuote(ctx context.Context, symbol string) (int, error) {
	quotes.Lock()
	defer quotes.Unlock()
	if quotes.down {
		fmt.Printf("fetching %s: down\n", symbol)
		return 0, errQuotesDown
	}
	fmt.Printf("fetching %s\n", symbol)
	return quotes.price[symbol], nil
}

// manualClock is a clock the example moves by hand, so that an entry can
// expire without waiting.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func ExampleWithStrategy() {
	quotes.Lock()
	quotes.down, quotes.price = false, map[string]int{"ACME": 101, "INIT": 7}
	quotes.Unlock()

	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	quote := ring.Must(ring.Func1(fetchQuote,
		ring.Storage(lru),
		ring.KeyPrefix("quote"),
		ring.Expire(time.Minute),
		ring.WithStrategy(backupCopy{}),
		ring.OnError(func(e ring.Event) { fmt.Printf("hook: %s %s: %v\n", e.Op, e.Key, e.Err) }),
	))
	ctx := context.Background()

	p, err := quote.Call(ctx, "ACME")
	fmt.Println(p, err)
	has, _ := lru.Has(ctx, "quote:ACME:back")
	fmt.Println("backup written:", has)

	// A minute later the entry has expired, and the service is down.
	clk.Advance(time.Minute)
	quotes.Lock()
	quotes.down = true
	quotes.Unlock()

	p, err = quote.Call(ctx, "ACME") // the last good value, from the backup
	fmt.Println(p, err)
	p, err = quote.Call(ctx, "INIT") // no backup to fall back on
	fmt.Println(p, err)
	// Output:
	// fetching ACME
	// 101 <nil>
	// backup written: true
	// fetching ACME: down
	// hook: execute quote:ACME: quote service unavailable
	// 101 <nil>
	// fetching INIT: down
	// 0 quote service unavailable
}

// hitCounter counts the hits and misses of Call and otherwise is
// strategy.Default. Its counters are atomic: a strategy must be safe for
// concurrent use.
type hitCounter struct {
	strategy.Default
	hits, misses atomic.Int64
}

// GetOrUpdate is strategy.Default's, with counting.
func (h *hitCounter) GetOrUpdate(ctx context.Context, op strategy.Op) (any, error) {
	v, ok, err := op.Load(ctx, op.Key())
	if err != nil {
		op.Report("get", err)
	} else if ok {
		h.hits.Add(1)
		return v, nil
	}
	h.misses.Add(1)
	// Fill is the miss path of strategy.Default: single flight, a second look
	// at the cache inside it, the function, the write.
	return strategy.Fill(ctx, op, err == nil)
}

func ExampleWithStrategy_hitCounter() {
	counter := &hitCounter{}
	stock := ring.Must(ring.Func1(stockLevel, ring.WithStrategy(counter)))
	fmt.Println(ring.WithStrategy(counter))
	ctx := context.Background()

	for _, sku := range []string{"fig", "fig", "kiwi", "fig"} {
		_, _ = stock.Call(ctx, sku)
	}
	fmt.Printf("hits %d, misses %d\n", counter.hits.Load(), counter.misses.Load())
	// Output:
	// WithStrategy(*ring_test.hitCounter)
	// counting stock of fig
	// counting stock of kiwi
	// hits 2, misses 2
}
