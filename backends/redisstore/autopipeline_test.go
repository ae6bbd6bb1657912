package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

func TestRedisAutoPipelineConformance(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.New(c, redisstore.AutoPipeline()) }, redisOptions)
}

func TestRedisClusterAutoPipelineConformance(t *testing.T) {
	c := redisCluster(t)
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.New(c, redisstore.AutoPipeline()) }, redisOptions)
}

// TestRedisAutoPipelineOnRing: the option works on a client-side sharded
// ring too (go-redis runs a pipeline on a ring): concurrent callers read
// their own writes.
func TestRedisAutoPipelineOnRing(t *testing.T) {
	ring := redis.NewRing(&redis.RingOptions{
		Addrs:                 map[string]string{"a": servertest.RedisAddr(t)},
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = ring.Close() })
	r := redisstore.New(ring, redisstore.AutoPipeline(), nil)
	if !r.AutoPipelined() {
		t.Fatal("AutoPipelined() = false on a ring")
	}
	prefix := fmt.Sprintf("ap-ring-%d-", time.Now().UnixNano())
	var wg sync.WaitGroup
	for g := range 16 {
		key := prefix + strconv.Itoa(g)
		t.Cleanup(func() { _ = r.Delete(context.Background(), key) })
		wg.Go(func() {
			for i := range 20 {
				want := fmt.Sprintf("%d-%d", g, i)
				if err := r.Set(t.Context(), key, []byte(want), time.Minute); err != nil {
					t.Error(err)
					return
				}
				if v, ok, err := r.Get(t.Context(), key); err != nil || !ok || string(v.([]byte)) != want {
					t.Errorf("Get = %v, %v, %v, want %q", v, ok, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := redisstore.AutoPipeline().String(); got != "redisstore.AutoPipeline()" {
		t.Errorf("String() = %q", got)
	}
}

// batchHook counts what reaches the connections: commands run one by one
// (ProcessHook) and pipelines with their sizes (ProcessPipelineHook).
type batchHook struct {
	single   atomic.Int64
	batches  atomic.Int64
	largest  atomic.Int64
	commands atomic.Int64
}

func (*batchHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *batchHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "get" || cmd.Name() == "set" {
			h.single.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *batchHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if cmds[0].Name() != "get" && cmds[0].Name() != "set" {
			return next(ctx, cmds) // a connection's handshake
		}
		h.batches.Add(1)
		h.commands.Add(int64(len(cmds)))
		for {
			l := h.largest.Load()
			if int64(len(cmds)) <= l || h.largest.CompareAndSwap(l, int64(len(cmds))) {
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestRedisAutoPipelineBatches: a lone caller's commands go straight to
// the client; 64 goroutines reading and writing through one Store share
// pipelines: no GET or SET runs alone, fewer pipelines
// than commands reach the server, and every goroutine reads its own
// writes.
func TestRedisAutoPipelineBatches(t *testing.T) {
	srv := servertest.StartRedis(t)
	c := redisClient(t, srv.Addr())
	var h batchHook
	c.AddHook(&h)
	r := redisstore.New(c, redisstore.AutoPipeline())
	// A lone caller goes straight to the client: no pipeline.
	for i := range 20 {
		if err := r.Set(t.Context(), "lone", []byte{byte(i)}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := r.Get(t.Context(), "lone"); err != nil || !ok || v.([]byte)[0] != byte(i) {
			t.Fatalf("lone Get = %v, %v, %v", v, ok, err)
		}
	}
	if h.single.Load() != 40 || h.batches.Load() != 0 {
		t.Fatalf("a lone caller: %d commands alone and %d pipelines, want 40 and 0", h.single.Load(), h.batches.Load())
	}
	h.single.Store(0)
	const goroutines, rounds = 64, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("k%d", g)
				want := fmt.Sprintf("%d-%d", g, i)
				if err := r.Set(t.Context(), key, []byte(want), time.Minute); err != nil {
					errs <- err
					return
				}
				v, ok, err := r.Get(t.Context(), key)
				if err != nil || !ok || string(v.([]byte)) != want {
					errs <- fmt.Errorf("goroutine %d read %v, %v, %v after writing %q", g, v, ok, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cmds := int64(2 * goroutines * rounds)
	// A batch of one may run as a plain command: a few do, at the start
	// and the end of the run.
	if n := h.single.Load(); n > cmds/20 {
		t.Errorf("%d of %d GETs and SETs ran alone, want most pipelined", n, cmds)
	}
	if got := h.commands.Load() + h.single.Load(); got < cmds {
		t.Errorf("the server got %d commands, want at least %d", got, cmds)
	}
	if h.largest.Load() < 2 || h.batches.Load() >= cmds {
		t.Errorf("%d pipelines for %d commands, the largest of %d: nothing was batched", h.batches.Load(), cmds, h.largest.Load())
	}
	t.Logf("%d commands: %d alone, the others in %d pipelines, the largest of %d", cmds, h.single.Load(), h.batches.Load(), h.largest.Load())
}

// frozenAutoPipeline starts a private server, makes an autopipelined
// Store on a client with a 10s read timeout, stores "k" = "v", and freezes
// the server (SIGSTOP). resume thaws it (once; the test's end does it
// otherwise).
func frozenAutoPipeline(t *testing.T) (r *redisstore.Store, resume func()) {
	t.Helper()
	srv := servertest.StartRedis(t)
	r = redisstore.New(faultClient(t, srv.Addr(), 10*time.Second), redisstore.AutoPipeline())
	if err := r.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	var once sync.Once
	resume = func() { once.Do(srv.Resume) }
	t.Cleanup(resume)
	return r, resume
}

// TestRedisAutoPipelineFrozenServer freezes a private server (SIGSTOP)
// while many goroutines wait in the pipeliner: each call still ends at
// its ctx deadline, far before the client's 10s read timeout, a cancelled
// ctx fails at once, and the Store works again after the server resumes.
func TestRedisAutoPipelineFrozenServer(t *testing.T) {
	r, resume := frozenAutoPipeline(t)

	var wg sync.WaitGroup
	var slow atomic.Int64
	for range 32 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, _, err := r.Get(ctx, "k")
			// The pipelined calls end with the context, the one that went
			// straight to the client with its i/o timeout at the deadline.
			var ne net.Error
			timeout := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
			if !timeout || !strings.HasPrefix(err.Error(), `ring: backend redis: get "k": `) {
				t.Errorf("Get against a frozen server: %v, want a deadline error", err)
			}
			if time.Since(start) > time.Second {
				slow.Add(1)
			}
		})
	}
	wg.Wait()
	if n := slow.Load(); n > 0 {
		t.Errorf("%d of 32 Gets with a 150ms deadline took over 1s against a frozen server", n)
	}

	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	start := time.Now()
	if _, _, err := r.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled ctx: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Get with a cancelled ctx took %v", d)
	}
	// A cancel while the command waits in the pipeliner ends the wait too
	// (a Get in flight makes the Set go to the pipeliner: a lone command
	// would go straight to the client, which stops at a deadline only).
	held := make(chan struct{})
	go func() {
		defer close(held)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _, _ = r.Get(ctx, "k")
	}()
	time.Sleep(20 * time.Millisecond)
	defer func() { <-held }()
	cctx, ccancel = context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, ccancel)
	start = time.Now()
	if err := r.Set(cctx, "k", []byte("w"), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Set cancelled while queued: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Set cancelled after 50ms took %v", d)
	}

	resume()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := r.Set(ctx, "k", []byte("after"), 0)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Store does not recover after the server resumed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, _, err := r.Get(t.Context(), "k"); err != nil || string(v.([]byte)) != "after" {
		t.Fatalf("Get after the resume = %v, %v", v, err)
	}
}
