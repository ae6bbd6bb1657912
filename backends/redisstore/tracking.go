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
	"github.com/redis/go-redis/v9/auth"

	"github.com/ringcache/ring/backends"
)

// Client tracking: the invalidations that ring's Near tier needs
// (backends.Invalidator).
//
// Each Track subscription holds one connection of its own per Redis
// node that serves the client's reads (the master on a single node and
// through Sentinel, every master of a cluster, every live shard of a
// redis.Ring), dialled with the client's own options: its Dialer (so a
// Sentinel-managed client reaches the current master, and a TLS client
// speaks TLS), its credentials resolved as go-redis resolves them
// (StreamingCredentialsProvider, CredentialsProviderContext,
// CredentialsProvider, then Username and Password), and its database. The
// connection speaks RESP3, turns on CLIENT TRACKING in broadcast mode for
// the prefix (BCAST PREFIX), and then only reads: Redis pushes an
// "invalidate" frame for every key under the prefix that any client
// changes, expires or evicts, and a null one for FLUSHDB and FLUSHALL.
//
// A HELLO every second proves the connection alive (HELLO, unlike PING,
// is allowed to every ACL user) and reports the node's role: a node that
// changed role since the handshake (a master demoted to a replica by
// Sentinel or REPLICAOF, which leaves its clients connected) is dropped,
// and the client's Dialer is asked again for the node to track. A
// connection silent for three seconds is dropped too. A lost connection
// reports live false at once, and the subscription dials again with a
// backoff (50ms doubling to 2s); once tracking is on again it reports
// live true with keys nil, since changes made while it was down were
// never delivered. On a cluster the masters are polled every second
// (ForEachMaster), on a redis.Ring the live shards every 100ms
// (ForEachShard, which reads no network): a connection is opened to each
// new node and closed for each one that left, and the subscription is
// live only while every node's connection is. With a
// StreamingCredentialsProvider the connection stays subscribed to it and
// re-authenticates (AUTH) with each new credential.

var _ backends.Invalidator = (*Store)(nil)

// failoverAddr is the Addr of a go-redis Sentinel failover client's
// options: its Dialer asks Sentinel for the master at every dial.
const failoverAddr = "FailoverClient"

// TrackingName is the client name (CLIENT SETNAME) of the connections
// that receive invalidations, as CLIENT LIST shows it.
const TrackingName = "ring-near"

const (
	trackPing        = time.Second
	trackSilence     = 3 * trackPing
	trackFirstWait   = 50 * time.Millisecond
	trackMaxWait     = 2 * time.Second
	trackClusterPoll = time.Second
	trackRingPoll    = 100 * time.Millisecond
	// trackFailoverProbe is how often a tracking connection through
	// Sentinel asks the client's Dialer where the master is.
	trackFailoverProbe = 250 * time.Millisecond
	trackDialTimeout   = 5 * time.Second
)

// tracking is one Track subscription.
type tracking struct {
	prefix string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	probe *masterProbe // shared by the subscriptions on one client

	mu      sync.Mutex // serializes fn, and guards what follows
	fn      func(keys []string, live bool)
	want    map[string]bool  // the nodes to track
	up      map[string]bool  // the nodes whose tracking is on
	errs    map[string]error // why a node's last session failed
	live    bool
	stopped bool
}

// Track implements backends.Invalidator with Redis's client tracking in
// broadcast mode (see the package documentation above the type). It
// works on a single node, a Sentinel-managed master, a cluster and a
// client-side sharded redis.Ring; a client whose options cannot be read
// returns an error wrapping backends.ErrNotSupported. fn's first call
// comes once tracking is on; [Store.TrackingErr] tells why it is not.
func (r *Store) Track(prefix string, fn func(keys []string, live bool)) (func(), error) {
	if r.client == nil {
		return nil, errors.New("ring: backend redis: track: no client")
	}
	if fn == nil {
		return nil, errors.New("ring: backend redis: track: nil function")
	}
	var opts *redis.Options
	switch {
	case r.cluster != nil, r.ring != nil:
	default:
		o, ok := r.client.(interface{ Options() *redis.Options })
		if !ok {
			return nil, fmt.Errorf("ring: backend redis: track: client %T: %w", r.client, backends.ErrNotSupported)
		}
		opts = o.Options()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &tracking{prefix: prefix, fn: fn, cancel: cancel, want: map[string]bool{}, up: map[string]bool{}, errs: map[string]error{}}
	r.trackMu.Lock()
	if r.closed {
		r.trackMu.Unlock()
		cancel()
		return nil, fmt.Errorf("ring: backend redis: track: %w", redis.ErrClosed)
	}
	if r.tracks == nil {
		r.tracks = make(map[*tracking]struct{})
	}
	for o := range r.tracks {
		t.probe = o.probe
	}
	if t.probe == nil {
		t.probe = &masterProbe{}
	}
	r.tracks[t] = struct{}{}
	r.trackMu.Unlock()
	switch {
	case opts != nil:
		t.setWanted(map[string]bool{opts.Addr: true})
		t.wg.Go(func() { t.node(ctx, opts.Addr, opts) })
	case r.cluster != nil:
		c := r.cluster
		t.wg.Go(func() { t.nodes(ctx, trackClusterPoll, c.ForEachMaster) })
	default:
		c := r.ring
		t.wg.Go(func() { t.nodes(ctx, trackRingPoll, c.ForEachShard) })
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

// TrackingErr returns why the connections of the Track subscriptions that
// are not up failed last (their dial, handshake or credentials; joined,
// each naming its node), or nil when every one is up. It never holds a
// password: Redis's replies to a failed authentication do not repeat it.
func (r *Store) TrackingErr() error {
	r.trackMu.Lock()
	ts := make([]*tracking, 0, len(r.tracks))
	for t := range r.tracks {
		ts = append(ts, t)
	}
	r.trackMu.Unlock()
	var errs []error
	for _, t := range ts {
		t.mu.Lock()
		for a, up := range t.want {
			if up && !t.up[a] && t.errs[a] != nil {
				errs = append(errs, t.errs[a])
			}
		}
		t.mu.Unlock()
	}
	return errors.Join(errs...)
}

// setErr records why addr's last session ended (nil: it is up).
func (t *tracking) setErr(ctx context.Context, addr string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		delete(t.errs, addr)
	} else {
		t.errs[addr] = err
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
// a flush: keys nil, live when every wanted node's tracking is on. A
// session whose ctx ended (its node left, perhaps to come back with a
// session of its own) reports nothing: setWanted has forgotten it.
func (t *tracking) setUp(ctx context.Context, addr string, up bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
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
			delete(t.errs, a)
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

// nodes keeps one tracking connection on every node that forEach visits
// (a cluster's masters, a redis.Ring's live shards), polled every poll.
func (t *tracking) nodes(ctx context.Context, poll time.Duration,
	forEach func(context.Context, func(context.Context, *redis.Client) error) error) {
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
		found := map[string]*redis.Options{}
		err := forEach(ctx, func(_ context.Context, m *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			found[m.Options().Addr] = m.Options()
			return nil
		})
		if err == nil && len(found) > 0 {
			want := make(map[string]bool, len(found))
			for a, o := range found {
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
		if !sleep(ctx, poll) {
			return
		}
	}
}

// node keeps a tracking connection on the server of opts until ctx ends,
// dialling again with a backoff when it drops.
func (t *tracking) node(ctx context.Context, addr string, opts *redis.Options) {
	wait := trackFirstWait
	for {
		tracked, err := t.session(ctx, addr, opts)
		if tracked {
			wait = trackFirstWait
		}
		if ctx.Err() != nil {
			return
		}
		t.setErr(ctx, addr, err)
		t.setUp(ctx, addr, false)
		if !sleep(ctx, wait) {
			return
		}
		wait = nextRedial(wait, opts.Addr == failoverAddr)
	}
}

// nextRedial is the wait before the dial after one that waited wait: it
// doubles up to trackMaxWait, or up to trackFailoverProbe through
// Sentinel. There every dial asks Sentinel where the master is, so a
// killed master's replacement is tracked within a probe of Sentinel
// naming it (and the tier, flushed when the connection dropped, serves
// hits again) instead of within the 2s step a backoff reaches while
// Sentinel still names the dead master; a failed dial there costs a
// Sentinel query and a refused connection.
func nextRedial(wait time.Duration, failover bool) time.Duration {
	limit := trackMaxWait
	if failover {
		limit = trackFailoverProbe
	}
	return min(2*wait, limit)
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
// reports whether tracking was turned on, and why the connection ended.
func (t *tracking) session(ctx context.Context, addr string, opts *redis.Options) (tracked bool, err error) {
	where := addr
	defer func() {
		if err != nil {
			err = fmt.Errorf("ring: backend redis: tracking on %s: %w", where, err)
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, trackDialTimeout)
	conn, err := opts.Dialer(dctx, opts.Network, addr)
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	if ra := remoteAddr(conn); ra != "" {
		where = ra // through Sentinel, addr is "FailoverClient"
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()

	// A streaming provider stays subscribed for the connection's life:
	// each new credential is sent as AUTH.
	creds := &credsListener{next: make(chan auth.Credentials, 1), failed: make(chan error, 1)}
	var user, pass string
	if sp := opts.StreamingCredentialsProvider; sp != nil {
		c, unsubscribe, err := sp.Subscribe(creds)
		if err != nil {
			return false, fmt.Errorf("credentials: %w", err)
		}
		defer func() { _ = unsubscribe() }()
		user, pass = c.BasicAuth()
	} else {
		cctx, cancel := context.WithTimeout(ctx, trackDialTimeout)
		user, pass, err = credentials(cctx, opts)
		cancel()
		if err != nil {
			return false, fmt.Errorf("credentials: %w", err)
		}
	}

	br := bufio.NewReader(conn)
	role, err := t.handshake(conn, br, opts, user, pass)
	if err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	t.setErr(ctx, addr, nil)
	t.setUp(ctx, addr, true)

	// On the way out: close the connection and cancel a probe in flight,
	// then wait for the writer and the probe.
	done := make(chan struct{})
	sctx, scancel := context.WithCancel(ctx)
	var writer sync.WaitGroup
	defer writer.Wait()
	defer close(done)
	defer scancel()
	defer conn.Close()
	var failed error
	var failedMu sync.Mutex
	fail := func(err error) {
		failedMu.Lock()
		if failed == nil {
			failed = err
		}
		failedMu.Unlock()
		_ = conn.Close()
	}
	// The writer: HELLO every trackPing (it proves the connection alive
	// and reports the role), AUTH on a new credential.
	writer.Go(func() {
		ping := appendCommand(nil, "HELLO", "3")
		tk := time.NewTicker(trackPing)
		defer tk.Stop()
		for {
			var b []byte
			select {
			case <-done:
				return
			case <-tk.C:
				b = ping
			case c := <-creds.next:
				u, p := c.BasicAuth()
				b = appendCommand(nil, "AUTH", authUser(u), p)
			case err := <-creds.failed:
				fail(fmt.Errorf("credentials: %w", err))
				return
			}
			_ = conn.SetWriteDeadline(time.Now().Add(trackSilence))
			if _, err := conn.Write(b); err != nil {
				fail(err)
				return
			}
		}
	})
	if opts.Addr == failoverAddr && where != failoverAddr && role == "master" {
		// Through Sentinel the client follows the master that Sentinel
		// names; a demoted master keeps its clients (this one) until
		// Sentinel reconfigures it, seconds later. Ask the Dialer where it
		// leads now.
		writer.Go(func() {
			tk := time.NewTicker(trackFailoverProbe)
			defer tk.Stop()
			for {
				select {
				case <-done:
					return
				case <-tk.C:
				}
				if now := t.probe.master(sctx, opts); now != "" && now != where {
					fail(fmt.Errorf("the master is now %s", now))
					return
				}
			}
		})
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(trackSilence))
		v, err := readResp(br)
		if err != nil {
			failedMu.Lock()
			defer failedMu.Unlock()
			if failed != nil {
				return true, failed
			}
			return true, err
		}
		switch v := v.(type) {
		case respError: // a failed AUTH, for one
			return true, v
		case []any: // HELLO's map
			if r := helloRole(v); r != "" && r != role {
				return true, fmt.Errorf("the node's role changed from %s to %s", role, r)
			}
		case respPush:
			t.push(v)
		}
	}
}

// masterProbe asks a Sentinel failover client's Dialer where the master
// is, at most once per trackFailoverProbe for all the subscriptions of a
// Store: a Sentinel query and a connection, closed at once.
type masterProbe struct {
	mu   sync.Mutex
	at   time.Time
	addr string
}

// master returns the address the Dialer of opts reaches now, or "" when
// it cannot dial.
func (p *masterProbe) master(ctx context.Context, opts *redis.Options) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.at) < trackFailoverProbe*9/10 {
		return p.addr
	}
	dctx, cancel := context.WithTimeout(ctx, trackDialTimeout)
	c, err := opts.Dialer(dctx, opts.Network, opts.Addr)
	cancel()
	p.at, p.addr = time.Now(), ""
	if err == nil {
		p.addr = remoteAddr(c)
		_ = c.Close()
	}
	return p.addr
}

// remoteAddr returns c's remote address, or "".
func remoteAddr(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// push reports an invalidation push.
func (t *tracking) push(p respPush) {
	if len(p) < 2 || p[0] != "invalidate" {
		return
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

// credsListener receives a streaming provider's new credentials (the
// latest one wins) and its errors.
type credsListener struct {
	next   chan auth.Credentials
	failed chan error
}

func (l *credsListener) OnNext(c auth.Credentials) {
	for {
		select {
		case l.next <- c:
			return
		default:
		}
		select {
		case <-l.next: // replace the one not sent yet
		default:
		}
	}
}

func (l *credsListener) OnError(err error) {
	select {
	case l.failed <- err:
	default:
	}
}

// credentials resolves the user and password as go-redis does for its
// own connections: CredentialsProviderContext, then CredentialsProvider,
// then Username and Password.
func credentials(ctx context.Context, opts *redis.Options) (user, pass string, err error) {
	switch {
	case opts.CredentialsProviderContext != nil:
		return opts.CredentialsProviderContext(ctx)
	case opts.CredentialsProvider != nil:
		user, pass = opts.CredentialsProvider()
		return user, pass, nil
	}
	return opts.Username, opts.Password, nil
}

// authUser is the user HELLO and AUTH name: "default" when none is given.
func authUser(user string) string {
	if user == "" {
		return "default"
	}
	return user
}

// helloRole returns the "role" of a HELLO reply (a map, as key, value,
// ...), or "".
func helloRole(m []any) string {
	for i := 0; i+1 < len(m); i += 2 {
		if m[i] == "role" {
			r, _ := m[i+1].(string)
			return r
		}
	}
	return ""
}

// handshake switches conn to RESP3, authenticates as user, names it,
// selects the database and turns tracking on; it returns the node's role
// ("master" or "replica"). Its errors carry Redis's replies, never the
// password.
func (t *tracking) handshake(conn net.Conn, br *bufio.Reader, opts *redis.Options, user, pass string) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(trackDialTimeout))
	hello := []string{"HELLO", "3"}
	if pass != "" {
		hello = append(hello, "AUTH", authUser(user), pass)
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
		return "", err
	}
	var role string
	for i := range cmds {
		v, err := readResp(br)
		if err != nil {
			return "", err
		}
		if e, ok := v.(respError); ok {
			return "", e
		}
		if m, ok := v.([]any); ok && i == 0 {
			role = helloRole(m)
		}
	}
	return role, conn.SetDeadline(time.Time{})
}
