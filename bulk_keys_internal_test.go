package ring

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/observe"
)

// keyRecorder is an observer that keeps the key of every event.
type keyRecorder struct {
	observe.Base
	mu   sync.Mutex
	keys []string
}

func (o *keyRecorder) Event(_ context.Context, _ *observe.Info, ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ev.Key != "" {
		o.keys = append(o.keys, ev.Key)
	}
}

// TestBulkSharedKeysNotRetained: GetOrUpdate builds its keys in one buffer
// (keyManyShared), and nothing may keep one of them beyond the call. The
// test keeps every buffer, overwrites it after the call, and then checks
// each key the call left behind: the entries its fills stored (an LRU keeps
// the key as given), the keys of the OnError and observer events (a value
// of the wrong type is reported with its key), and the failed items' errors.
// A key that aliased the buffer reads back as XXXX (or is not found).
func TestBulkSharedKeysNotRetained(t *testing.T) {
	var (
		mu   sync.Mutex
		bufs [][]byte
	)
	prev := newKeyBuf
	newKeyBuf = func(int) []byte {
		b := make([]byte, 0, 1<<16) // large enough never to be replaced by append
		mu.Lock()
		bufs = append(bufs, b)
		mu.Unlock()
		return b
	}
	t.Cleanup(func() { newKeyBuf = prev })
	scrub := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := len(bufs)
		for _, b := range bufs {
			b = b[:cap(b)]
			for i := range b {
				b[i] = 'X'
			}
		}
		bufs = nil
		return n
	}

	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"plain", nil},
		{"hashed", []Option{HashKeys(sha256.New)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			lru, err := backends.NewLRU(1000)
			if err != nil {
				t.Fatal(err)
			}
			var (
				emu    sync.Mutex
				events []Event
			)
			rec := &keyRecorder{}
			fail := errors.New("no such id")
			fn := func(_ context.Context, id int) (int, error) {
				if id%7 == 3 {
					return 0, fmt.Errorf("id %d: %w", id, fail)
				}
				return id * 10, nil
			}
			opts := append([]Option{Storage(lru), KeyPrefix("shared-" + tc.name), Observe(rec),
				OnError(func(e Event) { emu.Lock(); events = append(events, e); emu.Unlock() })}, tc.opts...)
			r := Must(Func1(fn, opts...))
			ids := make([]int, 0, 50)
			for id := range 40 {
				ids = append(ids, id)
			}
			ids = append(ids, 5, 5, 12, 3, 0) // repeats of misses, of a failure, of a hit
			want, err := r.Many().Key(ids)    // keyMany: keys of their own
			if err != nil {
				t.Fatal(err)
			}
			wrongTyped := map[string]bool{}
			for _, id := range ids[:40] {
				switch id % 4 {
				case 0: // a hit
					if err := lru.Set(ctx, want[id], id*10, 0); err != nil {
						t.Fatal(err)
					}
				case 1: // a value that does not convert: reported with its key, then filled
					if err := lru.Set(ctx, want[id], "not an int", 0); err != nil {
						t.Fatal(err)
					}
					wrongTyped[want[id]] = true
				}
			}
			scrub() // the set-up's Key calls carve no buffer, but be sure

			vs, err := r.Many().GetOrUpdate(ctx, ids)
			if n := scrub(); n != 1 {
				t.Fatalf("GetOrUpdate built its keys in %d buffers, want 1", n)
			}

			for i, id := range ids {
				if id%7 == 3 {
					continue
				}
				if vs[i] != id*10 {
					t.Errorf("item %d (id %d) = %d, want %d", i, id, vs[i], id*10)
				}
			}
			if !errors.Is(err, fail) {
				t.Errorf("GetOrUpdate error %v, want one wrapping %v", err, fail)
			}
			if err != nil && strings.Contains(err.Error(), "XXXX") {
				t.Errorf("the error names an overwritten key: %v", err)
			}

			// Every entry in the store, under its key as stored.
			var stored []string
			if err := lru.Clear(ctx, "", func(k string) bool { stored = append(stored, k); return false }); err != nil {
				t.Fatal(err)
			}
			var wantStored []string
			for _, id := range ids[:40] {
				if id%7 != 3 || id%4 <= 1 { // filled, or stored by the set-up and not replaced
					wantStored = append(wantStored, want[id])
				}
			}
			slices.Sort(stored)
			slices.Sort(wantStored)
			if !slices.Equal(stored, wantStored) {
				t.Errorf("stored keys after the buffer was overwritten:\n%q\nwant\n%q", stored, wantStored)
			}
			for _, id := range ids[:40] {
				if v, ok, _ := lru.Get(ctx, want[id]); id%7 != 3 && (!ok || v != id*10) {
					t.Errorf("id %d: entry %v, %v under %q; want %d", id, v, ok, want[id], id*10)
				}
			}

			// The events' keys: one decode event per wrong-typed entry.
			emu.Lock()
			var reported []string
			for _, e := range events {
				if e.Op == "decode" {
					reported = append(reported, e.Key)
				}
			}
			emu.Unlock()
			wantReported := 0 // one per item read: repeats of a key too
			for i := range ids {
				if wrongTyped[want[i]] {
					wantReported++
				}
			}
			if len(reported) != wantReported {
				t.Errorf("%d decode events %q, want %d", len(reported), reported, wantReported)
			}
			for _, k := range reported {
				if !wrongTyped[k] {
					t.Errorf("OnError event key %q after the buffer was overwritten, want a wrong-typed entry's key", k)
				}
			}
			rec.mu.Lock()
			observed := slices.Clone(rec.keys)
			rec.mu.Unlock()
			if len(observed) < len(wrongTyped) {
				t.Errorf("observer saw %d keys %q, want at least %d", len(observed), observed, len(wrongTyped))
			}
			for _, k := range observed {
				if !slices.Contains(want, k) {
					t.Errorf("observer event key %q after the buffer was overwritten, want one of the call's keys", k)
				}
			}
		})
	}
}

// TestKeyManySharedMatchesKeyMany: the keys carved from one buffer are the
// keys built one by one, for every way a key is built (argument
// components, HashKeys, KeyFunc), across calls of growing key lengths
// (the buffer outgrows its first guess) and with an argument that fails.
func TestKeyManySharedMatchesKeyMany(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"plain", nil},
		{"hashed", []Option{HashKeys(sha256.New)}},
		{"keyfunc", []Option{KeyFunc(func(args ...any) string { return fmt.Sprint(args...) + "/k" })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lru, err := backends.NewLRU(10)
			if err != nil {
				t.Fatal(err)
			}
			r := Must(Func1(func(_ context.Context, s string) (string, error) { return s, nil },
				append([]Option{Storage(lru)}, tc.opts...)...))
			c := r.c
			for round, n := range []int{1, 3, 40, 200} {
				ks := make([]Args2[struct{}, string], n)
				for i := range ks {
					ks[i].P2 = strings.Repeat("ab", round*7+i%5) + fmt.Sprint(i)
				}
				got, err := c.keyManyShared(ks)
				if err != nil {
					t.Fatal(err)
				}
				want, err := c.keyMany(ks)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("round %d: shared keys\n%q\nwant\n%q", round, got, want)
				}
			}
		})
	}
}
