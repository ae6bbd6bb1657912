package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
)

// BenchmarkNearInterleaved compares ring's near tier (ring.Near on Redis,
// invalidated by Redis's client tracking) with rueidis's client-side cache
// (DoCache, also invalidated by client tracking) on the same 1000 hot keys,
// all near hits, in interleaved bursts of 64000 calls by 64 goroutines and
// of 8000 by one (long bursts: starting 64 goroutines costs next to
// nothing per call). ring's near hit returns the decoded struct; DoCache
// returns the cached reply, which the caller still has to decode:
// rueidis-docache does not decode it (the raw figure, which favours
// rueidis), rueidis-docache-decode decodes it with msgpack into the same
// Quote ring returns (what a rueidis user pays). ring-near-string is the
// same tier keyed by a string argument (the general key path; a function
// of one int has a shorter one). The ratios are each contender's time
// over rueidis-docache's.
//
//	cd bench && RING_REDIS_ADDR=127.0.0.1:16379 go test -run '^$' -bench NearInterleaved -benchtime 10x -count 6
func BenchmarkNearInterleaved(b *testing.B) {
	h := newHotSetup(b)
	st := redisstore.New(h.rdb)
	b.Cleanup(func() { _ = st.Close() }) // stops the tracking connection; the client stays open
	r := ring.Must(ring.Func1(hotQuote, ring.Storage(st), ring.Coder("msgpack"),
		ring.KeyPrefix(h.prefix), ring.Expire(10*time.Minute), ring.StorageTimeout(hotTimeout),
		ring.Near(2*hotKeys, time.Minute)))
	// The same near tier keyed by a string argument ("quote-17"): the
	// general key path (the pooled buffer, the escaped string), where a
	// function of one int has a path of its own. Its keys are filled here,
	// before the count of fetches starts.
	ids := make([]string, hotKeys)
	for i := range ids {
		ids[i] = "quote-" + strconv.Itoa(i)
	}
	rs := ring.Must(ring.Func1(func(ctx context.Context, id string) (Quote, error) {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "quote-"))
		if err != nil {
			return Quote{}, err
		}
		return hotQuote(ctx, n)
	}, ring.Storage(st), ring.Coder("msgpack"), ring.KeyPrefix(h.prefix+"s"), ring.Expire(10*time.Minute),
		ring.StorageTimeout(hotTimeout), ring.Near(2*hotKeys, time.Minute)))
	nearString := func(ctx context.Context, i int) error {
		i %= hotKeys
		q, err := rs.Call(ctx, ids[i])
		if err == nil && q.Qty != i {
			b.Errorf("key %q: got %+v", ids[i], q)
		}
		return err
	}
	for i := range hotKeys {
		if err := nearString(context.Background(), i); err != nil {
			b.Fatal(err)
		}
	}
	start := fetches.Load()
	near := func(ctx context.Context, i int) error {
		i %= hotKeys
		q, err := r.Call(ctx, i)
		if err == nil && q.Qty != i {
			b.Errorf("key %d: got %+v", i, q)
		}
		return err
	}
	rc := rueidisClient(b, []string{os.Getenv("RING_REDIS_ADDR")})
	decoded := func(ctx context.Context, i int) error {
		i %= hotKeys
		raw, err := rc.DoCache(ctx, rc.B().Get().Key(h.keys[i]).Cache(), time.Minute).AsBytes()
		if err != nil {
			return err
		}
		var q Quote
		if err := msgpack.Unmarshal(raw, &q); err != nil {
			return err
		}
		if q.Qty != i {
			b.Errorf("key %d: got %+v", i, q)
		}
		return nil
	}
	cs := []hotContender{{"ring-near", near}, {"ring-near-string", nearString}, {"rueidis-docache", h.rueidisDoCache(b, rc)}, {"rueidis-docache-decode", decoded}}
	warmHot(b, cs)
	warmHot(b, cs) // a fill's own write drops its reservation: the second read keeps the copy
	hot := func(int) int { return 0 }
	b.Run("hits/parallel=64", func(b *testing.B) { interleave(b, cs, hotGoroutines, 64000, "rueidis-docache", hot) })
	b.Run("hits/parallel=1", func(b *testing.B) { interleave(b, cs, 1, 8000, "rueidis-docache", hot) })
	allHits(b, start)
}
