package redisstore_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// uniqueKey returns a key of its own for one test on the shared server.
func uniqueKey(t testing.TB, name string) string {
	return fmt.Sprintf("ring-test:ttl:%s:%d:%s", t.Name(), time.Now().UnixNano(), name)
}

// TestRedisGetWithTTLRawClient reads keys written by the raw client, as
// redis-cli or Python Ring would write them: the bytes come back as they
// are, with the expiry the writer gave.
func TestRedisGetWithTTLRawClient(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
	}{{"node", c}, {"cluster", redisCluster(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			r := redisstore.New(tc.client)
			k, persistent, gone := uniqueKey(t, "px"), uniqueKey(t, "persist"), uniqueKey(t, "absent")
			t.Cleanup(func() { tc.client.Del(context.Background(), k); tc.client.Del(context.Background(), persistent) })
			if err := tc.client.Set(ctx, k, "raw bytes", 90*time.Second).Err(); err != nil { // SET k v PX 90000
				t.Fatal(err)
			}
			v, ttl, found, err := r.GetWithTTL(ctx, k)
			if err != nil || !found || string(v.([]byte)) != "raw bytes" {
				t.Fatalf("GetWithTTL of a raw SET = %q, %v, %v, %v", v, ttl, found, err)
			}
			if ttl <= 89*time.Second || ttl > 90*time.Second {
				t.Errorf("GetWithTTL of SET PX 90000: ttl %v, want in (89s, 90s]", ttl)
			}
			// PERSIST removes the expiry: the key then reads 0, "no expiry".
			if err := tc.client.Set(ctx, persistent, "p", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if err := tc.client.Persist(ctx, persistent).Err(); err != nil {
				t.Fatal(err)
			}
			_, ttl, found, err = r.GetWithTTL(ctx, persistent)
			if err != nil || !found || ttl != 0 {
				t.Errorf("GetWithTTL of a PERSISTed key: ttl %v, found %v, err %v; want 0, true", ttl, found, err)
			}
			values, ttls, founds, err := r.GetManyWithTTL(ctx, []string{k, persistent, gone})
			if err != nil {
				t.Fatal(err)
			}
			if !founds[0] || string(values[0].([]byte)) != "raw bytes" || ttls[0] <= 89*time.Second || ttls[0] > 90*time.Second {
				t.Errorf("GetManyWithTTL[0] = %q, %v, %v", values[0], ttls[0], founds[0])
			}
			if !founds[1] || ttls[1] != 0 {
				t.Errorf("GetManyWithTTL of a PERSISTed key: ttl %v, found %v", ttls[1], founds[1])
			}
			if founds[2] || values[2] != nil || ttls[2] != 0 {
				t.Errorf("GetManyWithTTL of an absent key = %v, %v, %v; want a miss", values[2], ttls[2], founds[2])
			}
		})
	}
}

// TestRedisGetWithTTLAtExpiry reads keys that expire while they are being
// read, thousands of times: a read is a hit with a positive ttl no longer
// than the one written, or a miss; never a value with no or a negative ttl.
func TestRedisGetWithTTLAtExpiry(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	r := redisstore.New(c)
	ctx := t.Context()
	base := uniqueKey(t, "")
	const n, px = 400, 2 * time.Millisecond
	keys := make([]string, 8)
	hits, misses := 0, 0
	for round := range n {
		for i := range keys {
			keys[i] = base + strconv.Itoa(round*len(keys)+i)
			if err := c.Set(ctx, keys[i], "v", px).Err(); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; ; i++ {
			_, ttl, found, err := r.GetWithTTL(ctx, keys[i%len(keys)])
			if err != nil {
				t.Fatal(err)
			}
			if !found {
				misses++
				if ttl != 0 {
					t.Fatalf("a miss with ttl %v", ttl)
				}
				break
			}
			hits++
			if ttl <= 0 || ttl > px {
				t.Fatalf("a hit of a key set with PX %v has ttl %v", px, ttl)
			}
		}
		_, ttls, found, err := r.GetManyWithTTL(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			if found[i] && (ttls[i] <= 0 || ttls[i] > px) || !found[i] && ttls[i] != 0 {
				t.Fatalf("GetManyWithTTL at expiry: found %v, ttl %v", found[i], ttls[i])
			}
		}
	}
	t.Logf("%d hits, %d misses at expiry", hits, misses)
}

// TestRedisGetWithTTLNoTear runs writers that alternate two writes of one
// key, value "long" with a 1h expiry and value "short" with 10s, against
// readers: every read must pair a value with its own write's ttl. The same
// readers also run a plain GET+PTTL pipeline (what GetWithTTL would be
// without MULTI/EXEC) and log how often that one pairs a value with the
// other write's ttl, to show the test can see a tear.
//
// Redis runs the commands of a connection's input buffer back to back, so a
// plain pipeline of a short key tears rarely if ever on loopback; with a
// key of 100 KiB (over the 32 KiB from which Redis reads an argument by
// itself) other clients' writes run between the GET and the PTTL, and the
// plain pipeline tore in 192 of 303 reads in one run: there the test would
// catch a GetWithTTL without MULTI/EXEC.
func TestRedisGetWithTTLNoTear(t *testing.T) {
	for _, size := range []int{0, 100 << 10} {
		t.Run(fmt.Sprintf("key+%dB", size), func(t *testing.T) { redisNoTear(t, size) })
	}
}

// noTearReads is the number of reads redisNoTear makes (and noTearMin the
// least time it runs): the test counts reads, not time, so that a loaded
// machine (the 100 KiB key runs at about 200 reads a second under -race,
// and at 64 with three busy processes beside it) makes it slower, never
// failing. The first version ran for one second and required 100 reads,
// and failed now and then under load for that alone.
const (
	noTearReads = 150
	noTearMin   = time.Second
)

func redisNoTear(t *testing.T, pad int) {
	c := redisClient(t, servertest.RedisAddr(t))
	r := redisstore.New(c)
	k := uniqueKey(t, "k") + strings.Repeat("x", pad)
	t.Cleanup(func() { c.Del(context.Background(), k) })
	// ctx bounds a stalled server only; stop ends the run once the readers
	// have done their reads (and run noTearMin, the time the first version ran).
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return ctx.Err() != nil
		}
	}
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stopped(); i++ {
				if (i+w)%2 == 0 {
					c.Set(ctx, k, "long", time.Hour)
				} else {
					c.Set(ctx, k, "short", 10*time.Second)
				}
			}
		})
	}
	var torn, pipeTorn, reads atomic.Int64
	check := func(v string, ttl time.Duration) bool {
		switch v {
		case "long":
			return ttl > 10*time.Second
		case "short":
			return ttl > 0 && ttl <= 10*time.Second
		}
		return false
	}
	start := time.Now()
	for range 2 {
		readers.Go(func() {
			for ctx.Err() == nil && (reads.Load() < noTearReads || time.Since(start) < noTearMin) {
				v, ttl, found, err := r.GetWithTTL(ctx, k)
				if err != nil || !found {
					continue
				}
				reads.Add(1)
				if !check(string(v.([]byte)), ttl) {
					torn.Add(1)
					t.Errorf("GetWithTTL paired %q with ttl %v", v, ttl)
				}
				vals, ttls, founds, err := r.GetManyWithTTL(ctx, []string{k})
				if err == nil && founds[0] && !check(string(vals[0].([]byte)), ttls[0]) {
					torn.Add(1)
					t.Errorf("GetManyWithTTL paired %q with ttl %v", vals[0], ttls[0])
				}
				pipe := c.Pipeline()
				get, pttl := pipe.Get(ctx, k), pipe.PTTL(ctx, k)
				if _, err := pipe.Exec(ctx); err == nil && !check(get.Val(), pttl.Val()) {
					pipeTorn.Add(1)
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	writers.Wait()
	if reads.Load() < noTearReads {
		t.Fatalf("only %d reads in %v (the server stalled?)", reads.Load(), time.Since(start).Round(time.Millisecond))
	}
	t.Logf("%d reads with GetWithTTL in %v, %d torn; the plain pipeline tore %d times",
		reads.Load(), time.Since(start).Round(time.Millisecond), torn.Load(), pipeTorn.Load())
}

// TestRedisHashGetWithTTL: a field lives as long as its hash, so it reads
// the hash's time left: 0 while the hash has no expiry, the hash's PTTL
// once it has one, a miss once it is gone.
func TestRedisHashGetWithTTL(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	hk := uniqueKey(t, "hash")
	t.Cleanup(func() { c.Del(context.Background(), hk) })
	h := redisstore.NewHash(c, hk)
	ctx := t.Context()
	if err := h.Set(ctx, "f", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	v, ttl, found, err := h.GetWithTTL(ctx, "f")
	if err != nil || !found || string(v.([]byte)) != "v" || ttl != 0 {
		t.Fatalf("GetWithTTL of a field of a hash without expiry = %q, %v, %v, %v", v, ttl, found, err)
	}
	if err := c.PExpire(ctx, hk, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, ttl, found, err = h.GetWithTTL(ctx, "f")
	if err != nil || !found || ttl <= 59*time.Second || ttl > time.Minute {
		t.Errorf("GetWithTTL after PEXPIRE of the hash: ttl %v, found %v, err %v", ttl, found, err)
	}
	vals, ttls, founds, err := h.GetManyWithTTL(ctx, []string{"f", "g"})
	if err != nil || !founds[0] || founds[1] || ttls[0] <= 59*time.Second || ttls[0] > time.Minute || ttls[1] != 0 || vals[1] != nil {
		t.Errorf("GetManyWithTTL = %q, %v, %v, %v", vals, ttls, founds, err)
	}
	if err := c.Del(ctx, hk).Err(); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := h.GetWithTTL(ctx, "f"); err != nil || found {
		t.Errorf("GetWithTTL of a deleted hash: found %v, err %v", found, err)
	}
}

// TestRedisGetWithTTLWrongType reports a key of another type as an error
// naming the key, as Get does.
func TestRedisGetWithTTLWrongType(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	k := uniqueKey(t, "list")
	t.Cleanup(func() { c.Del(context.Background(), k) })
	if err := c.RPush(t.Context(), k, "x").Err(); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := redisstore.New(c).GetWithTTL(t.Context(), k)
	if err == nil || !strings.Contains(err.Error(), "ring: backend redis: get with ttl") || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("GetWithTTL of a list: %v", err)
	}
}

// BenchmarkRedisGetWithTTL compares GetWithTTL (GET and PTTL in one
// MULTI/EXEC) with Get and with a plain GET+PTTL pipeline, each one round
// trip. interleaved times the three one after another in every iteration
// and reports the ratios of their totals, so that the drift of the round
// trip cancels.
func BenchmarkRedisGetWithTTL(b *testing.B) {
	c := redisClient(b, servertest.RedisAddr(b))
	r := redisstore.New(c)
	ctx := context.Background()
	k := uniqueKey(b, "k")
	if err := c.Set(ctx, k, strings.Repeat("v", 100), time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Del(context.Background(), k) })
	get := func() {
		if _, found, err := r.Get(ctx, k); err != nil || !found {
			b.Fatal(found, err)
		}
	}
	withTTL := func() {
		if _, ttl, found, err := r.GetWithTTL(ctx, k); err != nil || !found || ttl <= 0 {
			b.Fatal(ttl, found, err)
		}
	}
	pipeline := func() {
		pipe := c.Pipeline()
		g, p := pipe.Get(ctx, k), pipe.PTTL(ctx, k)
		if _, err := pipe.Exec(ctx); err != nil || g.Val() == "" || p.Val() <= 0 {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		fn   func()
	}{{"get", get}, {"get-with-ttl", withTTL}, {"plain-pipeline", pipeline}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.fn()
			}
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		var tGet, tTTL, tPipe time.Duration
		for b.Loop() {
			t0 := time.Now()
			get()
			t1 := time.Now()
			withTTL()
			t2 := time.Now()
			pipeline()
			tPipe += time.Since(t2)
			tGet += t1.Sub(t0)
			tTTL += t2.Sub(t1)
		}
		b.ReportMetric(float64(tTTL)/float64(tGet), "with-ttl/get")
		b.ReportMetric(float64(tPipe)/float64(tGet), "pipeline/get")
		b.ReportMetric(float64(tTTL)/float64(tPipe), "with-ttl/pipeline")
	})
	keys := make([]string, 100)
	vals := make([]any, 100)
	for i := range keys {
		keys[i], vals[i] = k+":"+strconv.Itoa(i), []byte(strings.Repeat("v", 100))
	}
	if err := r.SetMany(ctx, keys, vals, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.DeleteMany(context.Background(), keys) })
	b.Run("getmany-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := r.GetMany(ctx, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("getmanywithttl-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, err := r.GetManyWithTTL(ctx, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("interleaved-100", func(b *testing.B) {
		var tGet, tTTL time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, _, err := r.GetMany(ctx, keys); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, _, _, err := r.GetManyWithTTL(ctx, keys); err != nil {
				b.Fatal(err)
			}
			tTTL += time.Since(t1)
			tGet += t1.Sub(t0)
		}
		b.ReportMetric(float64(tTTL)/float64(tGet), "with-ttl/getmany")
	})
}
