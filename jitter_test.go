package ring_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/strategy"
)

// TestExpireJitterFraction: a fraction outside (0, 1) is an error when the
// ring is built, naming the value; a Cache refuses the option.
func TestExpireJitterFraction(t *testing.T) {
	fn := func(_ context.Context, id int) (int, error) { return id, nil }
	for _, f := range []float64{0, 1, -0.1, 1.5, math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := ring.Func1(fn, ring.Expire(time.Minute), ring.ExpireJitter(f))
		want := fmt.Sprintf("ExpireJitter(%v): the fraction must be above 0 and below 1", f)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ExpireJitter(%v): error %v, want one containing %q", f, err, want)
		}
	}
	for _, f := range []float64{0.001, 0.5, 0.999} {
		if _, err := ring.Func1(fn, ring.Expire(time.Minute), ring.ExpireJitter(f)); err != nil {
			t.Errorf("ExpireJitter(%v): %v", f, err)
		}
	}
	if got := ring.ExpireJitter(0.25).String(); got != "ExpireJitter(0.25)" {
		t.Errorf("String() = %q", got)
	}
	_, err := ring.NewCache[int](ring.ExpireJitter(0.1))
	if err == nil || !strings.Contains(err.Error(), "ExpireJitter") {
		t.Errorf("NewCache with ExpireJitter: error %v, want one naming the option", err)
	}
}

// jitterRing is a ring on an LRU with a settable clock, for reading back
// each entry's time-to-live.
type jitterRing struct {
	r   *ring.Ring1[int, int]
	lru *backends.LRU
	clk *clock
}

func newJitterRing(t *testing.T, opts ...ring.Option) jitterRing {
	t.Helper()
	clk := newClock()
	lru, err := backends.NewLRU(100_000, backends.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	fn := func(_ context.Context, id int) (int, error) { return id * 10, nil }
	r, err := ring.Func1(fn, append([]ring.Option{ring.Storage(lru), ring.KeyPrefix("jitter")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return jitterRing{r: r, lru: lru, clk: clk}
}

// lifetimes moves the clock forward by step up to limit and returns, for
// each id, how long after the start its entry was first found gone (in
// multiples of step; limit+step for an entry still there at limit).
func (j jitterRing) lifetimes(t *testing.T, ids []int, step, limit time.Duration) []time.Duration {
	t.Helper()
	keys, err := j.r.Many().Key(ids)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]time.Duration, len(ids))
	for i, k := range keys {
		if ok, _ := j.lru.Has(context.Background(), k); !ok {
			t.Fatalf("id %d: no entry right after the write", ids[i])
		}
		out[i] = limit + step
	}
	for at := step; at <= limit; at += step {
		j.clk.Add(step)
		for i, k := range keys {
			if out[i] <= limit {
				continue
			}
			if ok, _ := j.lru.Has(context.Background(), k); !ok {
				out[i] = at
			}
		}
	}
	return out
}

// checkSpread checks lifetimes measured in steps of step against a
// time-to-live ttl jittered by fraction: every entry lives more than
// ttl*(1-fraction) and at most ttl, and they do not all expire together.
func checkSpread(t *testing.T, what string, got []time.Duration, ttl time.Duration, fraction float64, step time.Duration) {
	t.Helper()
	lo := time.Duration(float64(ttl) * (1 - fraction))
	distinct := map[time.Duration]bool{}
	var sum time.Duration
	for i, d := range got {
		// Gone at d means the ttl is in (d-step, d].
		if d <= lo || d-step >= ttl {
			t.Errorf("%s: entry %d expired at %v, outside (%v, %v]", what, i, d, lo, ttl)
		}
		distinct[d] = true
		sum += d
	}
	// Uniform over (lo, ttl]: n entries fall in at least n/4 of the
	// steps, and their mean is within a few standard deviations of the
	// middle.
	n := len(got)
	buckets := int((ttl - lo) / step)
	if want := min(n, buckets) / 4; len(distinct) < want {
		t.Errorf("%s: %d entries expired in only %d distinct steps of %v, want at least %d", what, n, len(distinct), step, want)
	}
	mean := sum / time.Duration(n)
	mid := (lo+ttl)/2 + step/2
	sd := time.Duration(float64(ttl-lo) / math.Sqrt(12) / math.Sqrt(float64(n)))
	if diff := mean - mid; diff > 6*sd || diff < -6*sd {
		t.Errorf("%s: mean lifetime %v, want about %v (±%v)", what, mean, mid, 6*sd)
	}
}

func ids(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// TestExpireJitterEveryWrite: every write path of a ring draws each
// entry's time-to-live in (ttl*(1-fraction), ttl], spread over that window.
func TestExpireJitterEveryWrite(t *testing.T) {
	const ttl, fraction, step = 10 * time.Second, 0.5, 100 * time.Millisecond
	ctx := context.Background()
	paths := map[string]func(t *testing.T, r *ring.Ring1[int, int], ids []int){
		"Call": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			for _, id := range ids {
				if _, err := r.Call(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
		},
		"Update": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			for _, id := range ids {
				if _, err := r.Update(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
		},
		"Set": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			for _, id := range ids {
				if err := r.Set(ctx, id, id); err != nil {
					t.Fatal(err)
				}
			}
		},
		"ManySet": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			if err := r.Many().Set(ctx, ids, ids); err != nil {
				t.Fatal(err)
			}
		},
		"ManyUpdate": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			if _, err := r.Many().Update(ctx, ids); err != nil {
				t.Fatal(err)
			}
		},
		"ManyGetOrUpdate": func(t *testing.T, r *ring.Ring1[int, int], ids []int) {
			if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, write := range paths {
		t.Run(name, func(t *testing.T) {
			j := newJitterRing(t, ring.Expire(ttl), ring.ExpireJitter(fraction))
			all := ids(0, 200)
			write(t, j.r, all)
			checkSpread(t, name, j.lifetimes(t, all, step, ttl+time.Second), ttl, fraction, step)
		})
		t.Run(name+"/Strategy", func(t *testing.T) {
			// A custom strategy's writes (Op.Store) draw theirs too.
			j := newJitterRing(t, ring.Expire(ttl), ring.ExpireJitter(fraction), ring.WithStrategy(strategy.Default{}))
			all := ids(0, 100)
			write(t, j.r, all)
			checkSpread(t, name+" through a strategy", j.lifetimes(t, all, step, ttl+time.Second), ttl, fraction, step)
		})
	}
}

// TestExpireJitterTTLFunc: the jitter applies to TTLFunc's time-to-live,
// and an entry TTLFunc gives no expiry keeps none.
func TestExpireJitterTTLFunc(t *testing.T) {
	const step = 100 * time.Millisecond
	ttlOf := func(_ string, v any) time.Duration {
		if v.(int)%20 == 0 { // even ids: 4s; odd ids: no expiry
			return 4 * time.Second
		}
		return 0
	}
	j := newJitterRing(t, ring.TTLFunc(ttlOf), ring.ExpireJitter(0.25))
	all := ids(0, 200)
	if err := j.r.Many().Set(context.Background(), []int{}, []int{}); err != nil {
		t.Fatal(err)
	}
	values := make([]int, len(all))
	for i, id := range all {
		values[i] = id * 10
	}
	if err := j.r.Many().Set(context.Background(), values, all); err != nil {
		t.Fatal(err)
	}
	got := j.lifetimes(t, all, step, 10*time.Second)
	var expiring []time.Duration
	for i, d := range got {
		if all[i]%2 == 1 {
			if d <= 10*time.Second {
				t.Errorf("id %d: TTLFunc gave no expiry, but the entry expired after %v", all[i], d)
			}
			continue
		}
		expiring = append(expiring, d)
	}
	checkSpread(t, "TTLFunc", expiring, 4*time.Second, 0.25, step)
}

// TestExpireJitterOff: without ExpireJitter, every entry lives exactly its
// time-to-live, on every path, and Many().Set with a TTLFunc gives each
// entry its own.
func TestExpireJitterOff(t *testing.T) {
	ctx := context.Background()
	j := newJitterRing(t, ring.Expire(10*time.Second))
	if err := j.r.Many().Set(ctx, ids(0, 50), ids(0, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := j.r.Many().GetOrUpdate(ctx, ids(50, 50)); err != nil {
		t.Fatal(err)
	}
	j.clk.Add(10*time.Second - time.Nanosecond)
	has, err := j.r.Many().Has(ctx, ids(0, 100))
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range has {
		if !h {
			t.Fatalf("id %d: gone before its time-to-live", i)
		}
	}
	j.clk.Add(time.Nanosecond)
	has, _ = j.r.Many().Has(ctx, ids(0, 100))
	for i, h := range has {
		if h {
			t.Fatalf("id %d: still there at its time-to-live", i)
		}
	}

	// TTLFunc without jitter: each entry its own time-to-live, exactly.
	j = newJitterRing(t, ring.TTLFunc(func(_ string, v any) time.Duration { return time.Duration(v.(int)) * time.Second }))
	all := ids(1, 5)
	if err := j.r.Many().Set(ctx, all, all); err != nil {
		t.Fatal(err)
	}
	got := j.lifetimes(t, all, time.Second, 10*time.Second)
	for i, d := range got {
		if want := time.Duration(all[i]) * time.Second; d != want {
			t.Errorf("id %d: expired after %v, want %v", all[i], d, want)
		}
	}
}

// TestExpireJitterBulkExclude: a bulk write with a ttl per entry still
// leaves out what Exclude excludes, and a failed encoding writes nothing.
func TestExpireJitterBulkExclude(t *testing.T) {
	ctx := context.Background()
	j := newJitterRing(t, ring.Expire(time.Minute), ring.ExpireJitter(0.1),
		ring.Exclude(func(_ string, v any) bool { return v.(int) < 0 }))
	if err := j.r.Many().Set(ctx, []int{1, -1, 2}, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	_, found, err := j.r.Many().Get(ctx, []int{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !found[0] || found[1] || !found[2] {
		t.Fatalf("found = %v, want [true false true]", found)
	}
	// Every entry excluded: nothing to write, no error.
	if err := j.r.Many().Set(ctx, []int{-1}, []int{9}); err != nil {
		t.Fatal(err)
	}

	// An encoding that fails writes none of the entries.
	d := backends.NewDict()
	fn := func(_ context.Context, id int) (int, error) { return id, nil }
	bad := errors.New("refused")
	r := ring.Must(ring.Func1(fn, ring.Storage(d), ring.KeyPrefix("jitter-enc"), ring.Expire(time.Minute), ring.ExpireJitter(0.1),
		ring.CoderFuncs(func(v any) ([]byte, error) {
			if v.(int) == 2 {
				return nil, bad
			}
			return []byte(fmt.Sprint(v)), nil
		}, func([]byte, any) error { return nil })))
	if err := r.Many().Set(ctx, []int{1, 2}, []int{1, 2}); !errors.Is(err, bad) {
		t.Fatalf("Many().Set with a value that does not encode: error %v", err)
	}
	if n := d.Len(); n != 0 {
		t.Fatalf("%d entries written, want none", n)
	}
}
