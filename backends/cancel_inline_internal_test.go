package backends

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/internal/servertest"
)

// TestCancelableInline pins when the wrapper runs a call on the caller's
// goroutine: a context that cannot end, or one made by WithOpTimeout from
// such a context when the backend stops calls at their deadline itself.
func TestCancelableInline(t *testing.T) {
	native := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = native.Close(); _ = plain.Close(); _ = cluster.Close() })

	bg := context.Background()
	opCtx, cancel := WithOpTimeout(bg, time.Second)
	defer cancel()
	parent, stop := context.WithCancel(bg)
	defer stop()
	fromCancelable, cancel2 := WithOpTimeout(parent, time.Second)
	defer cancel2()

	for _, c := range []struct {
		name string
		s    Storage
		ctx  context.Context
		want bool
	}{
		{"background", NewRedis(plain), bg, true},
		{"op timeout, client without ContextTimeoutEnabled", NewRedis(plain), opCtx, false},
		{"op timeout, ContextTimeoutEnabled", NewRedis(native), opCtx, true},
		{"op timeout, cluster with ContextTimeoutEnabled", NewRedis(cluster), opCtx, true},
		{"op timeout, redis hash with ContextTimeoutEnabled", NewRedisHash(native, "h"), opCtx, true},
		{"op timeout over a cancelable context", NewRedis(native), fromCancelable, false},
		{"plain deadline", NewRedis(native), func() context.Context {
			c, cancel := context.WithTimeout(bg, time.Second)
			t.Cleanup(cancel)
			return c
		}(), false},
		{"memcache single calls", NewMemcache(nil), opCtx, false},
	} {
		got := asCancelable(Cancelable(c.s)).inline(c.ctx)
		if got != c.want {
			t.Errorf("%s: inline = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCancelableInlineFrozenServer freezes a real Redis (SIGSTOP) under a
// client with ContextTimeoutEnabled and go-redis's other defaults (3 s
// reads): a call on a WithOpTimeout context runs on the caller's goroutine
// and still returns at the timeout, not at the client's read timeout.
func TestCancelableInlineFrozenServer(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	s := Cancelable(NewRedis(rdb))
	if err := s.Set(context.Background(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()
	for _, op := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"get", func(ctx context.Context) error { _, _, err := s.Get(ctx, "k"); return err }},
		{"set", func(ctx context.Context) error { return s.Set(ctx, "k", []byte("w"), 0) }},
		{"get many", func(ctx context.Context) error { _, _, err := GetMany(ctx, s, []string{"k", "j"}); return err }},
	} {
		ctx, cancel := WithOpTimeout(context.Background(), 150*time.Millisecond)
		if !asCancelable(s).inline(ctx) {
			t.Fatalf("%s: not inline", op.name)
		}
		start := time.Now()
		err := op.run(ctx)
		took := time.Since(start)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			t.Errorf("%s on a frozen server: %v, want a timeout", op.name, err)
		}
		// The client alone would wait its 3 s read timeout.
		if took > 2*time.Second {
			t.Errorf("%s on a frozen server took %v with a 150ms deadline", op.name, took)
		}
		t.Logf("%s on a frozen server: %v after %v", op.name, err, took)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func asCancelable(s Storage) cancelable {
	if r, ok := s.(cancelableRefactor); ok {
		return r.cancelable
	}
	return s.(cancelable)
}
