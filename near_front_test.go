package ring_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestNearFrontMatchesKeys: a near ring hit by its typed front returns,
// for every tuple, the value of that tuple's key: floats (NaN, -0, 0,
// tiny differences), strings with the key's separators and escapes; on a
// front of two slots (Near(1, ...): every tuple collides) and a larger one.
// The function's result names its argument exactly, so a tuple served
// another tuple's entry fails.
func TestNearFrontMatchesKeys(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	defer rdb.Close()
	st := redisstore.New(rdb)
	defer st.Close()
	ctx := context.Background()
	floats := []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(math.Float64bits(math.NaN()) | 1),
		1, math.Nextafter(1, 2), -1, math.Inf(1), math.Inf(-1), 1e-300, 5e-324}
	strs := []string{"", ":", "a:b", "a\\:b", "a\\", "\\N", "a b", "é", "0", "00", "a:b:c", "x\x00y"}
	for _, size := range []int{1, 1000} {
		pf := fmt.Sprintf("near:%s:%s:%d", runID, t.Name(), size)
		rf := ring.Must(ring.Func1(func(ctx context.Context, x float64) (string, error) {
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}, ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(pf+"f"), ring.Near(size, time.Minute)))
		rs := ring.Must(ring.Func1(func(ctx context.Context, s string) (string, error) {
			return "<" + s + ">", nil
		}, ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(pf+"s"), ring.Near(size, time.Minute)))
		rp := ring.Must(ring.Func1(func(ctx context.Context, p [2]int32) (string, error) {
			return fmt.Sprint(p), nil
		}, ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(pf+"p"), ring.Near(size, time.Minute)))
		ring.WaitNearLive(t, rf.Cache())
		ring.WaitNearLive(t, rs.Cache())
		ring.WaitNearLive(t, rp.Cache())
		rnd := rand.New(rand.NewPCG(1, uint64(size)))
		for range 3000 {
			x := floats[rnd.IntN(len(floats))]
			got, err := rf.Call(ctx, x)
			require.NoError(t, err)
			// The key writes a float as 'g' does: NaNs share "NaN", -0 is "-0".
			require.Equal(t, strconv.FormatFloat(x, 'g', -1, 64), got, "float %v (bits %x)", x, math.Float64bits(x))
			s := strs[rnd.IntN(len(strs))]
			got, err = rs.Call(ctx, s)
			require.NoError(t, err)
			require.Equal(t, "<"+s+">", got)
			p := [2]int32{int32(rnd.IntN(3)), int32(rnd.IntN(3))}
			got, err = rp.Call(ctx, p)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(p), got)
		}
	}
}

// TestNearFrontNoStaleReads: Calls served by the typed front (a string
// tuple) while other clients write the keys: a read that starts more
// than the invalidation bound after a write was acknowledged never
// returns an older value.
func TestNearFrontNoStaleReads(t *testing.T) {
	const (
		nKeys      = 8
		nReaders   = 4
		staleBound = 100 * time.Millisecond
		runFor     = 1500 * time.Millisecond
	)
	addr := servertest.RedisAddr(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	st := redisstore.New(rdb)
	defer st.Close()
	prefix := "near:" + runID + ":" + t.Name()
	r := ring.Must(ring.Func1(func(ctx context.Context, id string) (int, error) { return 0, nil },
		ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Near(1000, time.Minute)))
	ring.WaitNearLive(t, r.Cache())
	type ack struct {
		v  int
		at time.Time
	}
	var mu sync.Mutex
	acks := make([][]ack, nKeys)
	ctx, cancel := context.WithTimeout(context.Background(), runFor)
	defer cancel()
	var wg sync.WaitGroup
	for k := range nKeys {
		w := redis.NewClient(&redis.Options{Addr: addr})
		defer w.Close()
		key := r.Cache().Key(fmt.Sprint("id", k))
		require.NoError(t, w.Set(context.Background(), key, 0, 0).Err())
		wg.Go(func() {
			for v := 1; ctx.Err() == nil; v++ {
				if err := w.Set(context.Background(), key, v, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acks[k] = append(acks[k], ack{v, time.Now()})
				mu.Unlock()
				time.Sleep(time.Duration(v%5) * time.Millisecond)
			}
		})
	}
	var reads, stale, hits atomic.Int64
	for g := range nReaders {
		wg.Go(func() {
			for i := g; ctx.Err() == nil; i++ {
				k := i % nKeys
				key := r.Cache().Key(fmt.Sprint("id", k))
				start := time.Now()
				if ring.NearHasForTest(r.Cache(), key) {
					hits.Add(1)
				}
				v, err := r.Call(context.Background(), fmt.Sprint("id", k))
				if err != nil {
					t.Errorf("call %d: %v", k, err)
					return
				}
				reads.Add(1)
				mu.Lock()
				last := 0
				for _, a := range acks[k] {
					if a.at.Before(start.Add(-staleBound)) {
						last = a.v
					}
				}
				mu.Unlock()
				if v < last {
					stale.Add(1)
					t.Errorf("key %d: read %d, but %d was acknowledged more than %v before the read", k, v, last, staleBound)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d reads (%d near hits), %d stale", reads.Load(), hits.Load(), stale.Load())
	require.Zero(t, stale.Load())
	require.Positive(t, hits.Load(), "the near tier served nothing")
}

// TestNearMissReadsOnce: a near ring's miss on a server's storage reads
// it once when no write of the key landed since the read (as Call without
// Near: miss.go), and again when one did, which it then returns.
func TestNearMissReadsOnce(t *testing.T) {
	ctx := context.Background()
	s := newSeenStore(t)
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(s), ring.KeyPrefix("nearseen"), ring.Near(100, time.Minute)))
	v, err := r.Call(ctx, "apple", 1)
	require.NoError(t, err)
	require.Equal(t, "applex1", v)
	require.EqualValues(t, 1, s.gets.Load(), "a near miss with no write since its read reads once")
	require.EqualValues(t, 1, runs.get())

	s.gets.Store(0)
	between := func() { require.NoError(t, r.Set(ctx, "written", "apple", 2)) }
	s.between.Store(&between)
	v, err = r.Call(ctx, "apple", 2)
	require.NoError(t, err)
	require.Equal(t, "written", v, "the write that landed after the read")
	require.EqualValues(t, 2, s.gets.Load())
	require.EqualValues(t, 1, runs.get(), "nothing runs: the write is found")

	// A hit of the near tier reads nothing.
	s.gets.Store(0)
	for range 3 {
		v, err = r.Call(ctx, "apple", 1)
		require.NoError(t, err)
		require.Equal(t, "applex1", v)
	}
	require.LessOrEqual(t, s.gets.Load(), int64(1))
}
