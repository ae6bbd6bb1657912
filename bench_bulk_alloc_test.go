package ring_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	_ "github.com/ringcache/ring/coders/msgpackcoder" // Coder("msgpack")
	"github.com/ringcache/ring/internal/servertest"
)

// bulkQuote is the value of the msgpack bulk benchmark: a small struct.
type bulkQuote struct {
	Item  string  `msgpack:"item"`
	Qty   int     `msgpack:"qty"`
	Price float64 `msgpack:"price"`
}

func quoteOf(_ context.Context, id int) (bulkQuote, error) {
	return bulkQuote{Item: "q", Qty: id, Price: 1.25 * float64(id)}, nil
}

// bulkBenchTimeout is the ring's StorageTimeout in the bulk benchmark: the
// default, or RING_BENCH_STORAGE_TIMEOUT (a time.Duration) for a run under
// valgrind, where the default 100ms ends every read: a read that times out
// is a miss, and the benchmark would time misses.
func bulkBenchTimeout(b *testing.B) []ring.Option {
	s := os.Getenv("RING_BENCH_STORAGE_TIMEOUT")
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		b.Fatal(err)
	}
	return []ring.Option{ring.StorageTimeout(d)}
}

// bulkAddr is the nested struct of bulkOrder.
type bulkAddr struct {
	Street string `msgpack:"street"`
	City   string `msgpack:"city"`
	Zip    int    `msgpack:"zip"`
}

// bulkOrder is the second value of the msgpack bulk benchmark: a record
// as services cache them, which is not flat (a slice, a nested struct, a
// time, a map and a pointer).
type bulkOrder struct {
	ID      int            `msgpack:"id"`
	Tags    []string       `msgpack:"tags"`
	Ship    bulkAddr       `msgpack:"ship"`
	Created time.Time      `msgpack:"created"`
	Counts  map[string]int `msgpack:"counts"`
	Note    *string        `msgpack:"note,omitempty"`
	Total   float64        `msgpack:"total"`
}

func orderOf(_ context.Context, id int) (bulkOrder, error) {
	note := "leave at the door"
	return bulkOrder{
		ID: id, Tags: []string{"gift", "express"},
		Ship:    bulkAddr{Street: "1 Main St", City: "Springfield", Zip: 10000 + id},
		Created: time.Unix(1_700_000_000+int64(id), 250_000_000),
		Counts:  map[string]int{"items": 3, "boxes": 1},
		Note:    &note, Total: 12.5 * float64(id),
	}, nil
}

// BenchmarkRedisBulkMsgpack is GetOrUpdateMany of 100 keys, all hits, of a
// small struct stored with msgpack, against what it must do at least: an
// MGET of the same keys and a msgpack decode of each value (raw-mget-decode).
// interleaved times both in every iteration and reports their ratio. The
// ring reports any storage failure (a timed-out read is a miss, which would
// time fills) to OnError, and the benchmark fails on one. The order-*
// sub-benchmarks do the same with bulkOrder, a value that is not flat.
//
//	scripts/test.sh bench   # or: go test -run '^$' -bench RedisBulkMsgpack -benchmem -count 6
func BenchmarkRedisBulkMsgpack(b *testing.B) {
	benchBulkMsgpack(b, "", quoteOf, func(q bulkQuote) int { return q.Qty })
	benchBulkMsgpack(b, "order-", orderOf, func(o bulkOrder) int { return o.ID })
}

// benchBulkMsgpack runs BenchmarkRedisBulkMsgpack's sub-benchmarks for one
// value type, their names prefixed with prefix; id returns the argument a
// value was made from.
func benchBulkMsgpack[V any](b *testing.B, prefix string, fn func(context.Context, int) (V, error), id func(V) int) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b), ContextTimeoutEnabled: true})
	defer rdb.Close()
	var failures atomic.Int64
	var lastFailure atomic.Value
	opts := append([]ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack"),
		ring.KeyPrefix("bench-msgpack:" + prefix + runID), ring.Expire(time.Hour),
		ring.OnError(func(e ring.Event) { failures.Add(1); lastFailure.Store(e.Err) })}, bulkBenchTimeout(b)...)
	r := ring.Must(ring.Func1(fn, opts...))
	defer func() {
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d storage failures, the last: %v", n, lastFailure.Load())
		}
	}()
	ids := bulkIDs()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Many().Delete(ctx, ids) }()
	keys, err := r.Many().Key(ids)
	if err != nil {
		b.Fatal(err)
	}
	gou := func() error {
		vs, err := r.Many().GetOrUpdate(ctx, ids)
		if err == nil && id(vs[bulkN-1]) != bulkN-1 {
			b.Fatalf("got %+v", vs[bulkN-1])
		}
		return err
	}
	raw := func() error {
		vals, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		out := make([]V, len(vals))
		for i, v := range vals {
			s, _ := v.(string)
			if err := msgpack.Unmarshal([]byte(s), &out[i]); err != nil {
				return err
			}
		}
		if id(out[bulkN-1]) != bulkN-1 {
			b.Fatalf("got %+v", out[bulkN-1])
		}
		return nil
	}
	for _, c := range []struct {
		name string
		f    func() error
	}{{"ring-getorupdatemany-100", gou}, {"raw-mget-decode-100", raw}} {
		b.Run(prefix+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run(prefix+"interleaved", func(b *testing.B) {
		var tGou, tRaw time.Duration
		timed := func(d *time.Duration, f func() error) {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			*d += time.Since(start)
		}
		for i := 0; b.Loop(); i++ {
			if i%2 == 0 {
				timed(&tGou, gou)
				timed(&tRaw, raw)
			} else {
				timed(&tRaw, raw)
				timed(&tGou, gou)
			}
		}
		b.ReportMetric(float64(tGou)/float64(tRaw), "getorupdatemany/raw")
	})
	// One key: a hit of Call against a GET and a decode, interleaved.
	call := func() error {
		v, err := r.Call(ctx, 7)
		if err == nil && id(v) != 7 {
			b.Fatalf("got %+v", v)
		}
		return err
	}
	get := func() error {
		s, err := rdb.Get(ctx, keys[7]).Result()
		if err != nil {
			return err
		}
		var v V
		if err := msgpack.Unmarshal([]byte(s), &v); err != nil {
			return err
		}
		if id(v) != 7 {
			b.Fatalf("got %+v", v)
		}
		return nil
	}
	b.Run(prefix+"one-key-call-vs-get", func(b *testing.B) {
		var tCall, tGet time.Duration
		timed := func(d *time.Duration, f func() error) {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			*d += time.Since(start)
		}
		for i := 0; b.Loop(); i++ {
			if i%2 == 0 {
				timed(&tCall, call)
				timed(&tGet, get)
			} else {
				timed(&tGet, get)
				timed(&tCall, call)
			}
		}
		b.ReportMetric(float64(tCall)/float64(tGet), "call/get")
	})
}

// TestRedisBulkAllocs pins the allocations of Many().GetOrUpdate of 100
// hits on Redis (msgpack): at most 317 (per item: the MGET argument and
// reply, the decoded string; then a few slices, and one buffer for all the
// keys), and fewer than an MGET of the same keys plus a msgpack decode of
// each value. An all-hit call allocates no error slice and, on one node, no
// key groups.
func TestRedisBulkAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled decoders at random")
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t), ContextTimeoutEnabled: true})
	defer rdb.Close()
	r := ring.Must(ring.Func1(quoteOf, ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack"),
		ring.KeyPrefix("bulk-allocs:"+runID), ring.Expire(time.Hour)))
	ids := bulkIDs()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Many().Delete(ctx, ids) }()
	keys, err := r.Many().Key(ids)
	if err != nil {
		t.Fatal(err)
	}
	ringAllocs := testing.AllocsPerRun(20, func() {
		vs, err := r.Many().GetOrUpdate(ctx, ids)
		if err != nil || vs[bulkN-1].Qty != bulkN-1 {
			t.Fatalf("GetOrUpdate = %v, %v", vs[bulkN-1], err)
		}
	})
	rawAllocs := testing.AllocsPerRun(20, func() {
		vals, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		out := make([]bulkQuote, len(vals))
		for i, v := range vals {
			s, _ := v.(string)
			if err := msgpack.Unmarshal([]byte(s), &out[i]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if ringAllocs > 317 || ringAllocs >= rawAllocs {
		t.Errorf("GetOrUpdate of %d hits: %v allocations, MGET + decode %v; want at most 317 and fewer", bulkN, ringAllocs, rawAllocs)
	}
	t.Logf("%d hits: ring %v allocations, MGET + decode %v", bulkN, ringAllocs, rawAllocs)
}

// TestRedisBulkFlatCorruptIsAMiss: a bulk read of msgpack values of a flat
// struct (the coder's one-pass path) on Redis takes an entry with trailing
// bytes, a truncated one, one with a field of the wrong kind and one that
// claims gigabytes as misses, reported as decode failures, refilled by the
// function and rewritten; an entry with a field the struct lacks is a hit
// (msgpack skips the field), and so are the intact ones.
func TestRedisBulkFlatCorruptIsAMiss(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t), ContextTimeoutEnabled: true})
	defer rdb.Close()
	var runs atomic.Int64
	var decodes atomic.Int64
	fn := func(ctx context.Context, id int) (bulkQuote, error) {
		runs.Add(1)
		return quoteOf(ctx, id)
	}
	r := ring.Must(ring.Func1(fn, ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack"),
		ring.KeyPrefix("bulk-flat:"+runID), ring.Expire(time.Minute),
		ring.OnError(func(e ring.Event) {
			if e.Op == "decode" {
				decodes.Add(1)
			}
		})))
	ids := []int{0, 1, 2, 3, 4, 5, 6}
	defer func() { _ = r.Many().Delete(ctx, ids) }()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		t.Fatal(err)
	}
	keys, err := r.Many().Key(ids)
	if err != nil {
		t.Fatal(err)
	}
	good, err := msgpack.Marshal(bulkQuote{Item: "q", Qty: 1, Price: 1.25})
	if err != nil {
		t.Fatal(err)
	}
	extra, err := msgpack.Marshal(map[string]any{"item": "x", "qty": 2, "price": 2.5, "note": []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	wrongKind, err := msgpack.Marshal(map[string]any{"item": "q", "qty": "three", "price": 3.75})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int][]byte{
		1: append(append([]byte{}, good...), 0xc0),                        // trailing byte
		3: good[:len(good)-2],                                             // truncated
		4: wrongKind,                                                      // a string in an int field
		5: {0x81, 0xa4, 'i', 't', 'e', 'm', 0xdb, 0xff, 0xff, 0xff, 0xf0}, // a 4 GiB string
		6: extra,                                                          // a field bulkQuote lacks: a hit
	}
	for i, b := range stored {
		if err := rdb.Set(ctx, keys[i], b, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	runs.Store(0)
	vs, err := r.Many().GetOrUpdate(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		want, _ := quoteOf(ctx, i)
		if i == 6 {
			want = bulkQuote{Item: "x", Qty: 2, Price: 2.5}
		}
		if v != want {
			t.Errorf("item %d = %+v, want %+v", i, v, want)
		}
	}
	if n, d := runs.Load(), decodes.Load(); n != 4 || d != 4 {
		t.Errorf("%d runs, %d decode failures; want 4 each (items 1, 3, 4, 5)", n, d)
	}
	// The misses were rewritten: the next call is all hits.
	runs.Store(0)
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil || runs.Load() != 0 {
		t.Errorf("second call: %d runs, %v; want all hits", runs.Load(), err)
	}
}

// TestRedisBulkTreeCorruptIsAMiss: a bulk read of msgpack values of a
// struct that nests (the coder's tree path: a slice, a nested struct, a
// time, a map, a pointer) on Redis takes an entry with trailing bytes, a
// truncated one, one with a nil time (msgpack fails on it), one with a
// slice that claims gigabytes and one nesting deeper than its type as
// misses, reported as decode failures, refilled and rewritten; an entry
// with a field the struct lacks is a hit, and so are the intact ones.
func TestRedisBulkTreeCorruptIsAMiss(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t), ContextTimeoutEnabled: true})
	defer rdb.Close()
	var runs, decodes atomic.Int64
	fn := func(ctx context.Context, id int) (bulkOrder, error) {
		runs.Add(1)
		return orderOf(ctx, id)
	}
	r := ring.Must(ring.Func1(fn, ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack"),
		ring.KeyPrefix("bulk-tree:"+runID), ring.Expire(time.Minute),
		ring.OnError(func(e ring.Event) {
			if e.Op == "decode" {
				decodes.Add(1)
			}
		})))
	ids := []int{0, 1, 2, 3, 4, 5, 6, 7}
	defer func() { _ = r.Many().Delete(ctx, ids) }()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		t.Fatal(err)
	}
	keys, err := r.Many().Key(ids)
	if err != nil {
		t.Fatal(err)
	}
	good, err := msgpack.Marshal(orderAt(1))
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string, v []byte) []byte {
		return append(append([]byte{0x81, 0xa0 | byte(len(name))}, name...), v...)
	}
	extra, err := msgpack.Marshal(map[string]any{"id": 6, "tags": []string{"x"}, "note2": map[string]any{"a": []int{1}}})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int][]byte{
		1: append(append([]byte{}, good...), 0xc0),             // trailing byte
		2: good[:len(good)-3],                                  // truncated
		3: field("created", []byte{0xc0}),                      // a nil time
		4: field("tags", []byte{0xdd, 0xff, 0xff, 0xff, 0xf0}), // 4 G strings
		5: field("tags", []byte{0x91, 0x91, 0xa1, 'x'}),        // deeper than []string
		6: extra,                                               // a field bulkOrder lacks: a hit
	}
	for i, b := range stored {
		if err := rdb.Set(ctx, keys[i], b, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	runs.Store(0)
	vs, err := r.Many().GetOrUpdate(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		want := orderAt(i)
		if i == 6 {
			want = bulkOrder{ID: 6, Tags: []string{"x"}}
		}
		if !v.Created.Equal(want.Created) || v.ID != want.ID || len(v.Tags) != len(want.Tags) || v.Ship != want.Ship ||
			len(v.Counts) != len(want.Counts) || (v.Note == nil) != (want.Note == nil) || v.Total != want.Total {
			t.Errorf("item %d = %+v, want %+v", i, v, want)
		}
	}
	if n, d := runs.Load(), decodes.Load(); n != 5 || d != 5 {
		t.Errorf("%d runs, %d decode failures; want 5 each (items 1 to 5)", n, d)
	}
	runs.Store(0)
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil || runs.Load() != 0 {
		t.Errorf("second call: %d runs, %v; want all hits", runs.Load(), err)
	}
}

// orderAt is the value orderOf makes for id.
func orderAt(id int) bulkOrder {
	o, _ := orderOf(context.Background(), id)
	return o
}
