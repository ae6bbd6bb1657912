package ring_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/ringcache/ring"
)

// The hit-path benchmarks of the core issue. Run them with:
//
//	go test -run '^$' -bench 'Hit|PerEntry' -benchmem -count 5 .
//
// Numbers and the machine are in docs/benchmarks.md.

func lookup(ctx context.Context, item string, qty int) (string, error) {
	return item + strconv.Itoa(qty), nil
}

type benchUser struct{ ID int }

func (u *benchUser) RingKey() string { return strconv.Itoa(u.ID) }

func (u *benchUser) Load(ctx context.Context, field string) (string, error) {
	return field + strconv.Itoa(u.ID), nil
}

// handKey is the hand-written baseline's key: strconv and a strings.Builder.
func handKey(item string, qty int) string {
	var b strings.Builder
	b.Grow(len("lookup:") + len(item) + 1 + 20)
	b.WriteString("lookup:")
	b.WriteString(item)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(qty))
	return b.String()
}

// handCall is a hand-written cache of lookup on golang-lru.
func handCall(c *lru.Cache[string, string], ctx context.Context, item string, qty int) (string, error) {
	k := handKey(item, qty)
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	v, err := lookup(ctx, item, qty)
	if err == nil {
		c.Add(k, v)
	}
	return v, err
}

func BenchmarkCallHit(b *testing.B) {
	ctx := context.Background()
	b.Run("handwritten", func(b *testing.B) {
		c, _ := lru.New[string, string](1024)
		_, _ = handCall(c, ctx, "apple", 42)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := handCall(c, ctx, "apple", 42); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.LRU(1024), ring.KeyPrefix("lookup")))
		_, _ = r.Call(ctx, "apple", 42)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(ctx, "apple", 42); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handwritten-parallel", func(b *testing.B) {
		c, _ := lru.New[string, string](1024)
		_, _ = handCall(c, ctx, "apple", 42)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = handCall(c, ctx, "apple", 42)
			}
		})
	})
	b.Run("ring-parallel", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.LRU(1024), ring.KeyPrefix("lookup")))
		_, _ = r.Call(ctx, "apple", 42)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = r.Call(ctx, "apple", 42)
			}
		})
	})
}

func BenchmarkMethodCallHit(b *testing.B) {
	ctx := context.Background()
	u := &benchUser{ID: 42}
	b.Run("ring", func(b *testing.B) {
		r := ring.Must(ring.Method1((*benchUser).Load, ring.LRU(1024)))
		_, _ = r.Call(u, ctx, "name")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(u, ctx, "name"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring-wire", func(b *testing.B) {
		r := ring.Must(ring.Method1((*benchUser).Load, ring.LRU(1024)))
		_, _ = r.Call(u, ctx, "name")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Bind(u).Call(ctx, "name"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring-parallel", func(b *testing.B) {
		r := ring.Must(ring.Method1((*benchUser).Load, ring.LRU(1024)))
		_, _ = r.Call(u, ctx, "name")
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = r.Call(u, ctx, "name")
			}
		})
	})
}

// BenchmarkExpiringHit compares a hit on an entry with an expiry against
// golang-lru's expirable LRU holding the same entry.
func BenchmarkExpiringHit(b *testing.B) {
	ctx := context.Background()
	b.Run("expirable", func(b *testing.B) {
		c := expirable.NewLRU[string, string](1024, nil, time.Minute)
		k := handKey("apple", 42)
		c.Add(k, "apple42")
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := c.Get(handKey("apple", 42)); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("ring", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.LRU(1024), ring.Expire(time.Minute), ring.KeyPrefix("lookup")))
		_, _ = r.Call(ctx, "apple", 42)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(ctx, "apple", 42); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("expirable-parallel", func(b *testing.B) {
		c := expirable.NewLRU[string, string](1024, nil, time.Minute)
		c.Add(handKey("apple", 42), "apple42")
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = c.Get(handKey("apple", 42))
			}
		})
	})
	b.Run("ring-parallel", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.LRU(1024), ring.Expire(time.Minute), ring.KeyPrefix("lookup")))
		_, _ = r.Call(ctx, "apple", 42)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = r.Call(ctx, "apple", 42)
			}
		})
	})
}

// small is the value of the memory benchmark.
type small struct {
	ID    int64
	Score float64
	Name  string
}

const perEntryN = 100_000

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkPerEntry reports the heap bytes per cached entry (B/entry) of
// 100k entries of a small struct, for ring's LRU and for golang-lru holding
// the same keys and values.
func BenchmarkPerEntry(b *testing.B) {
	ctx := context.Background()
	load := func(ctx context.Context, id int) (small, error) { return small{ID: int64(id), Name: "n"}, nil }
	keys := make([]string, perEntryN)
	for i := range keys {
		keys[i] = "entry:" + strconv.Itoa(i)
	}
	b.Run("golang-lru", func(b *testing.B) {
		for b.Loop() {
			before := heapAfterGC()
			c, _ := lru.New[string, small](perEntryN)
			for i := range perEntryN {
				c.Add(string([]byte(keys[i])), small{ID: int64(i), Name: "n"})
			}
			after := heapAfterGC()
			b.ReportMetric(float64(after-before)/perEntryN, "B/entry")
			runtime.KeepAlive(c)
		}
	})
	b.Run("ring", func(b *testing.B) {
		for b.Loop() {
			before := heapAfterGC()
			r := ring.Must(ring.Func1(load, ring.LRU(perEntryN), ring.KeyPrefix("entry")))
			for i := range perEntryN {
				if err := r.Set(ctx, small{ID: int64(i), Name: "n"}, i); err != nil {
					b.Fatal(err)
				}
			}
			after := heapAfterGC()
			b.ReportMetric(float64(after-before)/perEntryN, "B/entry")
			runtime.KeepAlive(r)
		}
	})
}

// BenchmarkCacheGetHit compares a Cache[V] Get hit on the LRU backend with
// a direct golang-lru Get of the same key.
func BenchmarkCacheGetHit(b *testing.B) {
	ctx := context.Background()
	const key = "user:42"
	b.Run("golang-lru", func(b *testing.B) {
		c, _ := lru.New[string, small](1024)
		c.Add(key, small{ID: 42, Name: "n"})
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := c.Get(key); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("cache", func(b *testing.B) {
		c, err := ring.NewCache[small](ring.LRU(1024), ring.KeyPrefix("user:"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Set(ctx, "42", small{ID: 42, Name: "n"}, ring.SetOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, _ := c.Get(ctx, "42"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("cache-unprefixed", func(b *testing.B) {
		c, err := ring.NewCache[small](ring.LRU(1024))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Set(ctx, key, small{ID: 42, Name: "n"}, ring.SetOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, _ := c.Get(ctx, key); !ok {
				b.Fatal("miss")
			}
		}
	})
}
