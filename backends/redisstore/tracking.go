package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
)

// Client tracking: the invalidations that ring's Near tier needs
// (backends.Invalidator).
//
// Each Track subscription holds one connection of its own per Redis
// master, dialled with the client's own options (its Dialer, so a
// Sentinel-managed client reaches the current master and a TLS client
// speaks TLS; its username, password and database). The connection speaks
// RESP3, turns on CLIENT TRACKING in broadcast mode for the prefix
// (BCAST PREFIX), and then only reads: Redis pushes an "invalidate" frame
// for every key under the prefix that any client changes, expires or
// evicts, and a null one for FLUSHDB and FLUSHALL. A PING every second
// proves the connection alive; a connection silent for three seconds is
// dropped. A lost connection reports live false at once, and the
// subscription dials again with a backoff (50ms doubling to 2s); once
// tracking is on again it reports live true with keys nil, since changes
// made while it was down were never delivered. On a cluster the masters
// are polled every second (ForEachMaster), a connection is opened to each
// new master and closed for each one that left, and the subscription is
// live only while every master's connection is.

var _ backends.Invalidator = (*Store)(nil)

// TrackingName is the client name (CLIENT SETNAME) of the connections
// that receive invalidations, as CLIENT LIST shows it.
const TrackingName = "ring-near"

const (
	trackPing        = time.Second
	trackSilence     = 3 * trackPing
	trackFirstWait   = 50 * time.Millisecond
	trackMaxWait     = 2 * time.Second
	trackClusterPoll = time.Second
	trackDialTimeout = 5 * time.Second
)

// tracking is one Track subscription.
type tracking struct {
	prefix string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // serializes fn, and guards what follows
	fn      func(keys []string, live bool)
	want    map[string]bool // the masters to track
	up      map[string]bool // the masters whose tracking is on
	live    bool
	stopped bool
}

// Track implements backends.Invalidator with Redis's client tracking in
// broadcast mode (see the package documentation above the type). It
// works on a single node, a Sentinel-managed master and a cluster; a
// client-side sharded redis.Ring, or a client whose options cannot be
// read, returns an error wrapping backends.ErrNotSupported. fn's first
// call comes once tracking is on.
func (r *Store) Track(prefix string, fn func(keys []string, live bool)) (func(), error) {
	if r.client == nil {
		return nil, errors.New("ring: backend redis: track: no client")
	}
	if fn == nil {
		return nil, errors.New("ring: backend redis: track: nil function")
	}
	var opts *redis.Options
	switch {
	case r.cluster != nil:
	case r.ring != nil:
		return nil, fmt.Errorf("ring: backend redis: track: a redis.Ring's shards are not tracked: %w", backends.ErrNotSupported)
	default:
		o, ok := r.client.(interface{ Options() *redis.Options })
		if !ok {
			return nil, fmt.Errorf("ring: backend redis: track: client %T: %w", r.client, backends.ErrNotSupported)
		}
		opts = o.Options()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &tracking{prefix: prefix, fn: fn, cancel: cancel, want: map[string]bool{}, up: map[string]bool{}}
	r.trackMu.Lock()
	if r.closed {
		r.trackMu.Unlock()
		cancel()
		return nil, fmt.Errorf("ring: backend redis: track: %w", redis.ErrClosed)
	}
	if r.tracks == nil {
		r.tracks = make(map[*tracking]struct{})
	}
	r.tracks[t] = struct{}{}
	r.trackMu.Unlock()
	if opts != nil {
		t.setWanted(map[string]bool{opts.Addr: true})
		t.wg.Go(func() { t.node(ctx, opts.Addr, opts) })
	} else {
		t.wg.Go(func() { t.cluster(ctx, r.cluster) })
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			r.trackMu.Lock()
			delete(r.tracks, t)
			r.trackMu.Unlock()
			t.stop()
		})
	}, nil
}

// stopTracking stops every subscription (Close).
func (r *Store) stopTracking() {
	r.trackMu.Lock()
	r.closed = true
	ts := r.tracks
	r.tracks = nil
	r.trackMu.Unlock()
	for t := range ts {
		t.stop()
	}
}

func (t *tracking) stop() {
	t.cancel()
	t.wg.Wait()
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
}

// emit calls fn under t.mu.
func (t *tracking) emit(keys []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.fn(keys, t.live)
	}
}

// setUp records whether addr's tracking is on and reports the change with
// a flush: keys nil, live when every wanted master's tracking is on.
func (t *tracking) setUp(addr string, up bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.up[addr] = up
	t.relive()
}

// setWanted sets the masters to track.
func (t *tracking) setWanted(want map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := len(want) != len(t.want)
	for a := range want {
		changed = changed || !t.want[a]
	}
	if !changed {
		return
	}
	t.want = want
	for a := range t.up {
		if !want[a] {
			delete(t.up, a)
		}
	}
	t.relive()
}

// relive recomputes live and reports it with a flush; t.mu is held.
func (t *tracking) relive() {
	live := len(t.want) > 0
	for a := range t.want {
		live = live && t.up[a]
	}
	t.live = live
	if !t.stopped {
		t.fn(nil, live)
	}
}

// cluster keeps one tracking connection on every master of c.
func (t *tracking) cluster(ctx context.Context, c *redis.ClusterClient) {
	nodes := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, cancel := range nodes {
			cancel()
		}
		wg.Wait()
	}()
	for {
		var mu sync.Mutex
		masters := map[string]*redis.Options{}
		err := c.ForEachMaster(ctx, func(_ context.Context, m *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			masters[m.Options().Addr] = m.Options()
			return nil
		})
		if err == nil && len(masters) > 0 {
			want := make(map[string]bool, len(masters))
			for a, o := range masters {
				want[a] = true
				if _, ok := nodes[a]; !ok {
					nctx, cancel := context.WithCancel(ctx)
					nodes[a] = cancel
					wg.Go(func() { t.node(nctx, a, o) })
				}
			}
			for a, cancel := range nodes {
				if !want[a] {
					cancel()
					delete(nodes, a)
				}
			}
			t.setWanted(want)
		}
		if !sleep(ctx, trackClusterPoll) {
			return
		}
	}
}

// node keeps a tracking connection on the server of opts until ctx ends,
// dialling again with a backoff when it drops.
func (t *tracking) node(ctx context.Context, addr string, opts *redis.Options) {
	wait := trackFirstWait
	for {
		if t.session(ctx, addr, opts) {
			wait = trackFirstWait
		}
		t.setUp(addr, false)
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, trackMaxWait)
	}
}

// sleep waits d, or until ctx ends: then it returns false.
func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// session runs one tracking connection until it fails or ctx ends; it
// reports whether tracking was turned on.
func (t *tracking) session(ctx context.Context, addr string, opts *redis.Options) (tracked bool) {
	dctx, cancel := context.WithTimeout(ctx, trackDialTimeout)
	conn, err := opts.Dialer(dctx, opts.Network, addr)
	cancel()
	if err != nil {
		return false
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()
	br := bufio.NewReader(conn)
	if err := t.handshake(conn, br, opts); err != nil {
		return false
	}
	t.setUp(addr, true)

	done := make(chan struct{})
	var pinger sync.WaitGroup
	defer pinger.Wait()
	defer close(done)
	pinger.Go(func() {
		ping := appendCommand(nil, "PING")
		tk := time.NewTicker(trackPing)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				_ = conn.SetWriteDeadline(time.Now().Add(trackSilence))
				if _, err := conn.Write(ping); err != nil {
					_ = conn.Close()
					return
				}
			}
		}
	})
	for {
		_ = conn.SetReadDeadline(time.Now().Add(trackSilence))
		v, err := readResp(br)
		if err != nil {
			return true
		}
		p, ok := v.(respPush)
		if !ok || len(p) < 2 || p[0] != "invalidate" {
			continue
		}
		switch ks := p[1].(type) {
		case nil:
			t.emit(nil) // FLUSHDB, FLUSHALL
		case []any:
			keys := make([]string, 0, len(ks))
			for _, k := range ks {
				if s, ok := k.(string); ok {
					keys = append(keys, s)
				}
			}
			if len(keys) > 0 {
				t.emit(keys)
			}
		}
	}
}

// handshake switches conn to RESP3, authenticates, names it, selects the
// database and turns tracking on. Its errors carry Redis's replies, never
// the password.
func (t *tracking) handshake(conn net.Conn, br *bufio.Reader, opts *redis.Options) error {
	_ = conn.SetDeadline(time.Now().Add(trackDialTimeout))
	hello := []string{"HELLO", "3"}
	if opts.Password != "" {
		user := opts.Username
		if user == "" {
			user = "default"
		}
		hello = append(hello, "AUTH", user, opts.Password)
	}
	hello = append(hello, "SETNAME", TrackingName)
	cmds := [][]string{hello}
	if opts.DB != 0 {
		cmds = append(cmds, []string{"SELECT", strconv.Itoa(opts.DB)})
	}
	track := []string{"CLIENT", "TRACKING", "ON", "BCAST"}
	if t.prefix != "" {
		track = append(track, "PREFIX", t.prefix)
	}
	cmds = append(cmds, track)
	var b []byte
	for _, c := range cmds {
		b = appendCommand(b, c...)
	}
	if _, err := conn.Write(b); err != nil {
		return err
	}
	for range cmds {
		v, err := readResp(br)
		if err != nil {
			return err
		}
		if e, ok := v.(respError); ok {
			return e
		}
	}
	return conn.SetDeadline(time.Time{})
}
