package ring_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// redisTrips counts what a go-redis client sends: single commands, and
// pipelines with the commands of each.
type redisTrips struct {
	mu    sync.Mutex
	cmds  []string
	pipes [][]string
}

func (h *redisTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *redisTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); name != "hello" && name != "client" { // a new connection's handshake
			h.mu.Lock()
			h.cmds = append(h.cmds, cmd.Name())
			h.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (h *redisTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var p []string
		for _, c := range cmds {
			p = append(p, fmt.Sprint(c.Args()[0], " ", c.Args()[len(c.Args())-2:]))
		}
		if len(cmds) > 0 && cmds[0].Name() == "client" {
			return next(ctx, cmds) // a new connection's handshake
		}
		h.mu.Lock()
		h.pipes = append(h.pipes, p)
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *redisTrips) reset() {
	h.mu.Lock()
	h.cmds, h.pipes = nil, nil
	h.mu.Unlock()
}

// trips returns the round trips since the last reset: single commands plus
// pipelines, and the size of each pipeline.
func (h *redisTrips) trips() (n int, sizes []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.pipes {
		sizes = append(sizes, len(p))
	}
	return len(h.cmds) + len(h.pipes), sizes
}

// TestExpireJitterRedisOneRoundTrip: Many().Set and Many().Update of 100
// entries with ExpireJitter (or a TTLFunc) send one pipeline of 100 SETs,
// and PTTL on the raw client reads back time-to-lives that differ and stay
// within (ttl*(1-fraction), ttl].
func TestExpireJitterRedisOneRoundTrip(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	hook := &redisTrips{}
	rdb.AddHook(hook)
	const ttl, fraction = 100 * time.Second, 0.5
	prefix := fmt.Sprintf("ring-test:jitter:%d", time.Now().UnixNano())
	fn := func(_ context.Context, id int) (int, error) { return id * 10, nil }
	all := ids(0, 100)
	for _, c := range []struct {
		name  string
		opts  []ring.Option
		write func(ctx context.Context, r *ring.Ring1[int, int]) error
		lo    time.Duration
	}{
		{"ManySet", []ring.Option{ring.Expire(ttl), ring.ExpireJitter(fraction)},
			func(ctx context.Context, r *ring.Ring1[int, int]) error { return r.Many().Set(ctx, all, all) },
			time.Duration(float64(ttl) * (1 - fraction))},
		{"ManyUpdate", []ring.Option{ring.Expire(ttl), ring.ExpireJitter(fraction)},
			func(ctx context.Context, r *ring.Ring1[int, int]) error {
				_, err := r.Many().Update(ctx, all)
				return err
			},
			time.Duration(float64(ttl) * (1 - fraction))},
		{"TTLFunc", []ring.Option{ring.TTLFunc(func(_ string, v any) time.Duration { return ttl - time.Duration(v.(int))*time.Second })},
			func(ctx context.Context, r *ring.Ring1[int, int]) error { return r.Many().Set(ctx, all, all) },
			0},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append([]ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix(prefix + c.name)}, c.opts...)
			r := ring.Must(ring.Func1(fn, opts...))
			keys, err := r.Many().Key(all)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rdb.Del(context.Background(), keys...).Err() })
			hook.reset()
			start := time.Now()
			if err := c.write(t.Context(), r); err != nil {
				t.Fatal(err)
			}
			if n, sizes := hook.trips(); n != 1 || len(sizes) != 1 || sizes[0] != len(all) {
				hook.mu.Lock()
				cmds := len(hook.cmds)
				hook.mu.Unlock()
				t.Fatalf("the bulk write took %d round trips (%d commands, pipelines of %v), want 1 pipeline of %d SETs", n, cmds, sizes, len(all))
			}
			hook.mu.Lock()
			for _, cmd := range hook.pipes[0] {
				if !strings.HasPrefix(cmd, "set [px ") && !strings.HasPrefix(cmd, "set [ex ") {
					t.Errorf("pipelined command %q, want a SET with an expiry", cmd)
				}
			}
			hook.mu.Unlock()

			pipe := rdb.Pipeline()
			pttls := make([]*redis.DurationCmd, len(keys))
			for i, k := range keys {
				pttls[i] = pipe.PTTL(context.Background(), k)
			}
			if _, err := pipe.Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			distinct := map[time.Duration]bool{}
			for i, p := range pttls {
				d := p.Val()
				want := ttl
				if c.name == "TTLFunc" {
					want = ttl - time.Duration(all[i])*time.Second
				}
				lo := max(c.lo, want) - elapsed - time.Millisecond
				if c.lo > 0 {
					lo = c.lo - elapsed - time.Millisecond
				}
				if d > want || d <= lo {
					t.Errorf("%s: PTTL %v, want in (%v, %v]", keys[i], d, lo, want)
				}
				distinct[d] = true
			}
			if c.lo > 0 && len(distinct) < len(all)/2 {
				t.Errorf("%d entries with jitter have only %d distinct PTTLs", len(all), len(distinct))
			}
		})
	}
}

// turnCounter is a TCP proxy in front of one server that counts, per
// connection, the turns of a conversation: a turn begins each time the
// client sends after the server has answered (or at its first send). A
// client that waits for an answer before each request takes one turn per
// request; a pipelined bulk write takes one.
type turnCounter struct {
	ln    net.Listener
	to    string
	turns atomic.Int64
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newTurnCounter(t *testing.T, to string) *turnCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &turnCounter{ln: ln, to: to}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *turnCounter) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.to)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var answered atomic.Bool
		answered.Store(true)
		p.wg.Add(2)
		go p.pump(c, s, func() {
			if answered.Swap(false) {
				p.turns.Add(1)
			}
		})
		go p.pump(s, c, func() { answered.Store(true) })
	}
}

// pump copies from src to dst, calling seen before forwarding each read.
func (p *turnCounter) pump(src, dst net.Conn, seen func()) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			seen()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = dst.Close()
			}
			return
		}
	}
}

// TestExpireJitterMemcacheOneRoundTrip: with a selector, Many().Set of 100
// entries with ExpireJitter sends every set before reading any answer
// (one turn of the conversation), and the server holds time-to-lives that
// differ and stay within (ttl*(1-fraction), ttl], read with the meta
// protocol's "mg <key> t".
func TestExpireJitterMemcacheOneRoundTrip(t *testing.T) {
	addr := servertest.MemcacheAddrs(t)[0]
	proxy := newTurnCounter(t, addr)
	ss := new(memcache.ServerList)
	if err := ss.SetServers(proxy.ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	mc := memcache.NewFromSelector(ss)
	store := memcachestore.New(mc, memcachestore.WithSelector(ss))
	t.Cleanup(func() { _ = store.Close(); _ = mc.Close() })
	const ttl, fraction = 1000 * time.Second, 0.5
	fn := func(_ context.Context, id int) (int, error) { return id * 10, nil }
	r := ring.Must(ring.Func1(fn, ring.Storage(store), ring.Coder("json"),
		ring.KeyPrefix(fmt.Sprintf("ring-test:jitter:%d", time.Now().UnixNano())),
		ring.Expire(ttl), ring.ExpireJitter(fraction)))
	all := ids(0, 100)
	keys, err := r.Many().Key(all)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), all) })

	proxy.turns.Store(0)
	if err := r.Many().Set(t.Context(), all, all); err != nil {
		t.Fatal(err)
	}
	if n := proxy.turns.Load(); n != 1 {
		t.Fatalf("Many().Set of %d entries took %d turns, want 1", len(all), n)
	}

	// Without the selector, the loop of sets takes one turn per entry:
	// the counter can tell.
	plain := memcache.New(proxy.ln.Addr().String())
	t.Cleanup(func() { _ = plain.Close() })
	r2 := ring.Must(ring.Func1(fn, ring.Storage(memcachestore.New(plain)), ring.Coder("json"),
		ring.KeyPrefix(fmt.Sprintf("ring-test:jitter2:%d", time.Now().UnixNano())),
		ring.Expire(ttl), ring.ExpireJitter(fraction)))
	t.Cleanup(func() { _ = r2.Many().Delete(context.Background(), all[:10]) })
	proxy.turns.Store(0)
	if err := r2.Many().Set(t.Context(), all[:10], all[:10]); err != nil {
		t.Fatal(err)
	}
	if n := proxy.turns.Load(); n != 10 {
		t.Fatalf("Many().Set of 10 entries without a selector took %d turns, want 10", n)
	}

	// The time-to-lives, from the server itself.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	lo := int64(float64(ttl/time.Second)*(1-fraction)) - 2 // seconds, with slack for the time passed
	distinct := map[int64]bool{}
	for _, k := range keys {
		if _, err := fmt.Fprintf(conn, "mg %s t\r\n", k); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(line)
		if len(f) != 2 || f[0] != "HD" || !strings.HasPrefix(f[1], "t") {
			t.Fatalf("mg %s t: answer %q", k, line)
		}
		secs, err := strconv.ParseInt(f[1][1:], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if secs > int64(ttl/time.Second) || secs <= lo {
			t.Errorf("%s: ttl %ds, want in (%d, %d]", k, secs, lo, int64(ttl/time.Second))
		}
		distinct[secs] = true
	}
	if len(distinct) < len(keys)/4 {
		t.Errorf("%d entries with jitter have only %d distinct ttls", len(keys), len(distinct))
	}
}
