package backends_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestCancelableInline pins when the wrapper runs a call on the caller's
// goroutine: a context that cannot end, or one made by backends.WithOpTimeout from
// such a context when the backend stops calls at their deadline itself.
func TestCancelableInline(t *testing.T) {
	native := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = native.Close(); _ = plain.Close(); _ = cluster.Close() })

	bg := context.Background()
	opCtx, cancel := backends.WithOpTimeout(bg, time.Second)
	defer cancel()
	parent, stop := context.WithCancel(bg)
	defer stop()
	fromCancelable, cancel2 := backends.WithOpTimeout(parent, time.Second)
	defer cancel2()

	for _, c := range []struct {
		name string
		s    backends.Storage
		ctx  context.Context
		want bool
	}{
		{"background", redisstore.New(plain), bg, true},
		{"op timeout, client without ContextTimeoutEnabled", redisstore.New(plain), opCtx, false},
		{"op timeout, ContextTimeoutEnabled", redisstore.New(native), opCtx, true},
		{"op timeout, cluster with ContextTimeoutEnabled", redisstore.New(cluster), opCtx, true},
		{"op timeout, redis hash with ContextTimeoutEnabled", redisstore.NewHash(native, "h"), opCtx, true},
		{"op timeout over a cancelable context", redisstore.New(native), fromCancelable, false},
		{"plain deadline", redisstore.New(native), func() context.Context {
			c, cancel := context.WithTimeout(bg, time.Second)
			t.Cleanup(cancel)
			return c
		}(), false},
		{"memcache single calls", memcachestore.New(nil), opCtx, false},
	} {
		got := backends.Inline(backends.Cancelable(c.s), c.ctx)
		if got != c.want {
			t.Errorf("%s: inline = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCancelableInlineFrozenServer freezes a real Redis (SIGSTOP) under a
// client with ContextTimeoutEnabled and go-redis's other defaults (3 s
// reads): a call on a backends.WithOpTimeout context runs on the caller's goroutine
// and still returns at the timeout, not at the client's read timeout.
func TestCancelableInlineFrozenServer(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	s := backends.Cancelable(redisstore.New(rdb))
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
		{"get many", func(ctx context.Context) error { _, _, err := backends.GetMany(ctx, s, []string{"k", "j"}); return err }},
	} {
		ctx, cancel := backends.WithOpTimeout(context.Background(), 150*time.Millisecond)
		if !backends.Inline(s, ctx) {
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

func TestBreakerOfCancelableRefactor(t *testing.T) {
	m := backends.Cancelable(memcachestore.New(memcache.New("127.0.0.1:1")))
	require.NotNil(t, backends.BreakerOf(m), "the refactoring wrapper has one too")
}

// TestUnreachableClients: the errors of go-redis and gomemcache that mean
// a server could not be reached, as each store classifies them.
func TestUnreachableClients(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	rdb := backends.UnreachableFor(backends.Cancelable(redisstore.New(nil)))
	mc := backends.UnreachableFor(backends.Cancelable(memcachestore.New(nil)))
	lru := backends.UnreachableFor(backends.NewDict())
	for _, c := range []struct {
		err  error
		want bool
		of   func(error) bool
	}{
		{redis.ErrPoolTimeout, true, rdb},
		{redis.ErrClosed, true, rdb},
		{redis.ErrPoolTimeout, false, lru},
		{refused, true, rdb},
		{&memcache.ConnectTimeoutError{Addr: refused.Addr}, true, mc},
		{memcache.ErrNoServers, true, mc},
		{memcache.ErrNoServers, false, rdb},
		{memcache.ErrCacheMiss, false, mc},
		{memcache.ErrServerError, false, mc},
		{memcache.ErrNotStored, false, mc},
		{context.DeadlineExceeded, false, mc},
	} {
		require.Equal(t, c.want, c.of(c.err), "%v", c.err)
	}
}

// TestUnreachableRedisReplies gets real replies from real servers: a
// replica's READONLY means the key's master moved (a failover), WRONGTYPE
// is an answer about the request.
func TestUnreachableRedisReplies(t *testing.T) {
	unreachable := backends.UnreachableFor(redisstore.New(nil))
	master := servertest.StartRedis(t)
	replica := servertest.StartRedis(t, "--replicaof", "127.0.0.1", fmt.Sprint(master.Port()))
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer rdb.Close()
	err := rdb.Set(ctx, "k", "v", 0).Err()
	require.Error(t, err)
	require.True(t, redis.IsReadOnlyError(err), "%v", err)
	require.True(t, unreachable(err))

	mdb := redis.NewClient(&redis.Options{Addr: master.Addr(), MaxRetries: -1, DialerRetries: 1})
	defer mdb.Close()
	require.NoError(t, mdb.LPush(ctx, "list", "x").Err())
	err = mdb.Get(ctx, "list").Err()
	require.ErrorContains(t, err, "WRONGTYPE")
	require.False(t, unreachable(err))
	require.False(t, unreachable(redis.Nil), "a miss")

	master.Stop()
	err = mdb.Get(ctx, "k").Err()
	require.Error(t, err)
	require.True(t, unreachable(err), "a stopped server: %v", err)
}

// TestNodeOf: the server of a key, for the storages that spread keys over
// several.
func TestNodeOf(t *testing.T) {
	node, refresh := backends.NodeOf(backends.NewDict())
	require.Nil(t, node)
	require.Nil(t, refresh)
	node, _ = backends.NodeOf(backends.Cancelable(memcachestore.New(memcache.New("127.0.0.1:1"))))
	require.Nil(t, node, "no selector known")

	ss := new(memcache.ServerList)
	require.NoError(t, ss.SetServers("127.0.0.1:1", "127.0.0.1:2"))
	node, refresh = backends.NodeOf(backends.Cancelable(memcachestore.New(memcache.NewFromSelector(ss), memcachestore.WithSelector(ss))))
	require.NotNil(t, node)
	require.Nil(t, refresh)
	seen := map[string]bool{}
	for i := range 50 {
		key := fmt.Sprintf("k%d", i)
		name, err := node(context.Background(), key)
		require.NoError(t, err)
		addr, _ := ss.PickServer(key)
		require.Equal(t, addr.String(), name)
		seen[name] = true
	}
	require.Len(t, seen, 2)

	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t)})
	defer rdb.Close()
	node, refresh = backends.NodeOf(backends.Cancelable(redisstore.New(rdb)))
	require.NotNil(t, node)
	require.NotNil(t, refresh)
	ctx := context.Background()
	seen = map[string]bool{}
	for i := range 50 {
		key := fmt.Sprintf("k%d", i)
		name, err := node(ctx, key)
		require.NoError(t, err)
		m, err := rdb.MasterForKey(ctx, key)
		require.NoError(t, err)
		require.Equal(t, m.Options().Addr, name)
		seen[name] = true
	}
	require.Greater(t, len(seen), 1, "keys spread over the masters")
	refresh()
	time.Sleep(50 * time.Millisecond) // let go-redis's reload goroutine end before the leak check
	one := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer one.Close()
	node, _ = backends.NodeOf(redisstore.New(one))
	require.Nil(t, node, "one node")
}

// TestHashUnreachable: a Redis hash store classifies go-redis's errors as
// the string store does.
func TestHashUnreachable(t *testing.T) {
	h := redisstore.NewHash(nil, "h")
	require.True(t, h.Unreachable(redis.ErrPoolTimeout))
	require.True(t, backends.UnreachableFor(backends.Cancelable(h))(redis.ErrClosed))
	require.False(t, h.Unreachable(redis.Nil), "a miss")
}

// TestCancelableGetDirect: a Memcache with its selector stops its Get
// itself, so the wrapper calls it with no goroutine on any context; without
// the selector (gomemcache's Get takes no context) it does not.
func TestCancelableGetDirect(t *testing.T) {
	ss := new(memcache.ServerList)
	if err := ss.SetServers("127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	mc := memcache.NewFromSelector(ss)
	t.Cleanup(func() { _ = mc.Close() })
	with := memcachestore.New(mc, memcachestore.WithSelector(ss))
	t.Cleanup(func() { _ = with.Close() })
	if !backends.GetDirect(backends.Cancelable(with)) {
		t.Error("a Memcache with its selector: Cancelable runs Get in a goroutine")
	}
	if backends.GetDirect(backends.Cancelable(memcachestore.New(mc))) {
		t.Error("a Memcache without a selector: Cancelable calls Get directly, which cannot stop")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	if backends.GetDirect(backends.Cancelable(redisstore.New(rdb))) {
		t.Error("Redis: Get called directly on any context")
	}
}
