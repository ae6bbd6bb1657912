package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// TestRedisAutoPipelineLeaderGivesUp: the caller that sends a pipeline
// bounds it by its own context; when that one ends first (a frozen
// server), the other callers' commands in the pipeline are sent again for
// them, and they get their replies once the server is back, within their
// own deadlines. The callers whose deadlines pass fail with a timeout.
func TestRedisAutoPipelineLeaderGivesUp(t *testing.T) {
	r, resume := frozenAutoPipeline(t)
	get := func(d time.Duration) (string, time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		v, _, err := r.Get(ctx, "k")
		if err != nil {
			return "", time.Since(start), err
		}
		return string(v.([]byte)), time.Since(start), nil
	}
	timeout := func(err error) bool {
		return err != nil && (errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout"))
	}
	var wg sync.WaitGroup
	// A sends its GET alone and waits for the frozen server for 100ms.
	wg.Go(func() {
		if v, d, err := get(100 * time.Millisecond); !timeout(err) || d > time.Second {
			t.Errorf("A (100ms): %q, %v after %v, want a timeout", v, err, d)
		}
	})
	time.Sleep(30 * time.Millisecond)
	// B queues first: it sends the next pipeline, with the others' GETs,
	// bounded by its 500ms.
	wg.Go(func() {
		if v, d, err := get(500 * time.Millisecond); !timeout(err) || d > 2*time.Second {
			t.Errorf("B (500ms): %q, %v after %v, want a timeout", v, err, d)
		}
	})
	time.Sleep(30 * time.Millisecond)
	var ok atomic.Int64
	for range 8 {
		wg.Go(func() {
			v, d, err := get(10 * time.Second)
			if err != nil || v != "v" {
				t.Errorf("a caller with 10s: %q, %v after %v, want v: its command failed with the pipeline of a caller that gave up", v, err, d)
				return
			}
			ok.Add(1)
		})
	}
	time.Sleep(900 * time.Millisecond) // past B's deadline
	resume()
	wg.Wait()
	if ok.Load() != 8 {
		t.Fatalf("%d of 8 callers with 10s got their reply", ok.Load())
	}
}

// TestRedisAutoPipelineRepliesNotMixed: 64 goroutines write and read their
// own keys through one Store, with contexts that end at random (short
// deadlines, cancels, none): every reply a call returns is its own. A read
// returns a value its goroutine wrote, never older than the last write
// that succeeded (a write abandoned when its context ended may land after
// all, but never after a later one of the same goroutine).
func TestRedisAutoPipelineRepliesNotMixed(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	r := redisstore.New(c, redisstore.AutoPipeline())
	prefix := fmt.Sprintf("ap-mix-%d-", time.Now().UnixNano())
	const goroutines, rounds = 64, 150
	var wg sync.WaitGroup
	var reads, ended atomic.Int64
	for g := range goroutines {
		key := prefix + strconv.Itoa(g)
		t.Cleanup(func() { _ = r.Delete(context.Background(), key) })
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 7))
			ctxFor := func() (context.Context, context.CancelFunc) {
				switch rnd.IntN(4) {
				case 0:
					return context.WithTimeout(context.Background(), time.Duration(rnd.IntN(300))*time.Microsecond)
				case 1:
					ctx, cancel := context.WithCancel(context.Background())
					time.AfterFunc(time.Duration(rnd.IntN(300))*time.Microsecond, cancel)
					return ctx, cancel
				default:
					return context.WithTimeout(context.Background(), 5*time.Second)
				}
			}
			last := -1 // the last write that succeeded
			for i := range rounds {
				ctx, cancel := ctxFor()
				err := r.Set(ctx, key, []byte(fmt.Sprintf("%d/%d", g, i)), time.Minute)
				cancel()
				if err == nil {
					last = i
				} else if ctx.Err() == nil {
					t.Errorf("Set failed with its context alive: %v", err)
					return
				} else {
					ended.Add(1)
				}
				ctx, cancel = ctxFor()
				v, found, err := r.Get(ctx, key)
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Get failed with its context alive: %v", err)
						return
					}
					ended.Add(1)
					continue
				}
				if !found {
					if last >= 0 {
						t.Errorf("goroutine %d: a miss after writing %d", g, last)
						return
					}
					continue
				}
				reads.Add(1)
				var gg, ii int
				if _, err := fmt.Sscanf(string(v.([]byte)), "%d/%d", &gg, &ii); err != nil || gg != g || ii < last || ii > i {
					t.Errorf("goroutine %d, round %d (last write %d) read %q: another call's reply", g, i, last, v)
					return
				}
			}
		})
	}
	wg.Wait()
	if reads.Load() < goroutines*rounds/4 || ended.Load() == 0 {
		t.Errorf("%d reads returned a value, %d calls ended with their context: the test tried nothing", reads.Load(), ended.Load())
	}
	t.Logf("%d reads checked, %d calls ended by their context", reads.Load(), ended.Load())
}

// panicHook holds a lone GET of "slow" for 100ms, and panics, once, in a
// pipeline that carries a GET of "boom".
type panicHook struct{ armed atomic.Bool }

func (*panicHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (*panicHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if len(cmd.Args()) > 1 && cmd.Args()[1] == "slow" {
			time.Sleep(100 * time.Millisecond)
		}
		return next(ctx, cmd)
	}
}
func (h *panicHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if len(c.Args()) > 1 && c.Args()[1] == "boom" && h.armed.CompareAndSwap(true, false) {
				panic("hook")
			}
		}
		return next(ctx, cmds)
	}
}

// TestRedisAutoPipelinePanickingLeader: a caller that panics while it sends
// a pipeline (in a client hook) panics as it would without the option; the
// callers whose commands were in its pipeline get an error at once, not at
// their deadline, and the Store goes on working.
func TestRedisAutoPipelinePanickingLeader(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	var h panicHook
	c.AddHook(&h)
	r := redisstore.New(c, redisstore.AutoPipeline())
	key := fmt.Sprintf("ap-panic-%d", time.Now().UnixNano())
	if err := r.Set(t.Context(), key, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Delete(context.Background(), key) })
	h.armed.Store(true)
	get := func(k string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _, err := r.Get(ctx, k)
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = get("slow") }) // alone: holds the Store for 100ms
	time.Sleep(20 * time.Millisecond)
	panicked := make(chan any, 1)
	wg.Go(func() { // queues first: sends the next pipeline, and panics
		defer func() { panicked <- recover() }()
		_ = get("boom")
	})
	time.Sleep(10 * time.Millisecond)
	start := time.Now()
	var failed atomic.Int64
	for range 8 {
		wg.Go(func() {
			if err := get(key); err != nil {
				if !strings.Contains(err.Error(), "panicked") {
					t.Errorf("a GET queued with the panicking one: %v", err)
				}
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if p := <-panicked; p != "hook" {
		t.Fatalf("the GET of boom: recovered %v, want the hook's panic", p)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the GETs queued behind the panic took %v: they waited for their deadline", d)
	}
	if failed.Load() == 0 {
		t.Error("no GET was in the panicking pipeline: the test tried nothing")
	}
	for range 3 {
		if v, _, err := r.Get(t.Context(), key); err != nil || string(v.([]byte)) != "v" {
			t.Fatalf("Get after the panic = %v, %v", v, err)
		}
	}
}
