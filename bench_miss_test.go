package ring_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// BenchmarkCallMiss measures the miss path of Call: the read, the single
// flight, the function and the write. The Dummy storage keeps nothing, so
// every Call misses. Run it with:
//
//	go test -run '^$' -bench 'CallMiss' -benchmem -count 5 .
func BenchmarkCallMiss(b *testing.B) {
	ctx := context.Background()
	b.Run("dummy", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.Dummy(), ring.KeyPrefix("lookup")))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(ctx, "apple", 42); err != nil {
				b.Fatal(err)
			}
		}
	})
	// hand is the hand-written get-compute-set on the same storage, the
	// baseline of the miss path: the key built with strconv, a Get, the
	// function and a Set, with no single flight.
	b.Run("hand", func(b *testing.B) {
		// The storage as an interface value, as hand-written code holding a
		// backends.Storage has it (a concrete Dummy would be inlined away).
		var s backends.Storage = ring.Must(ring.Func2(lookup, ring.Dummy(), ring.KeyPrefix("lookup"))).Cache().Storage()
		b.ReportAllocs()
		for b.Loop() {
			k := "lookup:" + "apple" + ":" + strconv.Itoa(42)
			if v, ok, err := s.Get(ctx, k); err != nil || ok {
				b.Fatal(v, err)
			}
			v, err := lookup(ctx, "apple", 42)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Set(ctx, k, v, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	// lru and lru-hand are the same on the strict LRU (1024 entries, so
	// every write past the first 1024 evicts), a new key per call: ring's
	// miss against the hand-written one on an in-process storage that does
	// real work.
	b.Run("lru", func(b *testing.B) { runMiss(b, ring.LRU(1024), "lookup", false) })
	b.Run("lru-hand", func(b *testing.B) { runMiss(b, ring.LRU(1024), "lookup", true) })
	// redis and redis-hand are the same on Redis (RING_REDIS_ADDR), one
	// new key per call (expiring after a minute): a miss of ring reads
	// once when no write of its key landed since its read, so that it
	// costs the round trips of the hand-written code, a GET and a SET.
	redisMiss := func(b *testing.B, hand bool) {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b)})
		defer func() { _ = rdb.Close() }()
		// A prefix of its own per run: the testing package runs this
		// function once per -count, and a key an earlier run wrote would
		// be a hit.
		prefix := "bench-miss:" + runID + strconv.FormatBool(hand) + ":" + strconv.FormatInt(missRuns.Add(1), 10)
		runMiss(b, ring.Storage(redisstore.New(rdb)), prefix, hand)
	}
	b.Run("redis", func(b *testing.B) { redisMiss(b, false) })
	b.Run("redis-hand", func(b *testing.B) { redisMiss(b, true) })
}

// missRuns numbers the runs of BenchmarkCallMiss's Redis sub-benchmarks.
var missRuns atomic.Int64

// runMiss times misses on storage, a new key per call: ring's Call, or
// (hand) the hand-written get-compute-set on the same storage, the key
// built with strconv, the value written as the ring's coder would (a
// remote storage holds bytes).
func runMiss(b *testing.B, storage ring.Option, prefix string, hand bool) {
	ctx := context.Background()
	r := ring.Must(ring.Func2(lookup, storage, ring.KeyPrefix(prefix), ring.Expire(time.Minute)))
	s := r.Cache().Storage()
	remote := backends.Remote(s)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if !hand {
			if _, err := r.Call(ctx, "apple", i); err != nil {
				b.Fatal(err)
			}
			continue
		}
		k := prefix + ":apple:" + strconv.Itoa(i)
		if v, ok, err := s.Get(ctx, k); err != nil || ok {
			b.Fatal(v, err)
		}
		v, err := lookup(ctx, "apple", i)
		if err != nil {
			b.Fatal(err)
		}
		var stored any = v
		if remote {
			stored = []byte(v)
		}
		if err := s.Set(ctx, k, stored, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
