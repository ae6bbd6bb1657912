package memcachestore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/ringcache/ring/internal/storeutil"
)

// The bulk path of Memcache when it knows the client's server selector
// (WithSelector, or a backend made by storeurl.Open): one get command per server
// and batch, all written from the calling goroutine before any answer is
// read, on connections the backend keeps itself. gomemcache's GetMulti
// starts a goroutine per server and waits on a channel for each, and the
// wake-ups cost as much as the reads on a two-core machine
// (docs/benchmarks.md); the answers of a get come back in the order of its
// keys, so no map is needed either.

// mcBatch is the most keys one get command carries: it bounds the request
// line (about 25 KB of keys) so that a server never waits on a reader that
// is still writing.
const mcBatch = 100

// mcBufSize is the size of a connection's read and write buffers: a get
// of mcBatch keys of the longest length goes out in one write, and the
// answers of small values come in with few reads (every syscall on
// loopback also runs the other side's network stack).
const mcBufSize = 32 << 10

// mcLargeValue is the value size from which the read deadline is extended
// before the value is read, as gomemcache extends it for every item.
const mcLargeValue = 16 << 10

// mcMaxValue bounds the size a server may announce for one value (memcached
// stores at most 1 GiB per item): a larger one is a corrupt answer, refused
// before anything is allocated. Below it, readN allocates as the bytes
// arrive.
const mcMaxValue = 1 << 30

// errMemcacheProtocol marks an answer the bulk reader cannot parse.
var errMemcacheProtocol = errors.New("unexpected answer")

// aLongTimeAgo is a deadline in the past: setting it stops a read or write
// in flight.
var aLongTimeAgo = time.Unix(1, 0)

// mcPipe is the connection pool and protocol of the bulk path. Its
// settings (Timeout, MaxIdleConns, DialContext) are the client's, read at
// each use as gomemcache reads them.
type mcPipe struct {
	client *memcache.Client
	ss     memcache.ServerSelector

	mu     sync.Mutex
	idle   map[string][]*mcConn // by server address
	closed bool

	combine bool     // AutoPipeline: Get combines concurrent reads (combine.go)
	combs   sync.Map // server address -> *mcCombiner
}

type mcConn struct {
	nc   net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	addr string
}

// line reads one answer line, CRLF included; the slice is valid until the
// next read.
func (cn *mcConn) line() ([]byte, error) {
	line, err := cn.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: a line of over %d bytes", errMemcacheProtocol, len(line))
	}
	return line, err
}

// mcGroup is the share of one server in a bulk call: the positions of its
// keys and the connection it runs on.
type mcGroup struct {
	addr net.Addr
	n    int // keys counted before idx is filled
	idx  []int
	cn   *mcConn
}

func (p *mcPipe) timeout() time.Duration {
	if p.client.Timeout > 0 {
		return p.client.Timeout
	}
	return memcache.DefaultTimeout
}

func (p *mcPipe) maxIdle() int {
	if p.client.MaxIdleConns > 0 {
		return p.client.MaxIdleConns
	}
	return memcache.DefaultMaxIdleConns
}

// conn takes an idle connection to addr or dials one.
func (p *mcPipe) conn(ctx context.Context, addr net.Addr) (*mcConn, error) {
	a := addr.String()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("backend closed")
	}
	if l := p.idle[a]; len(l) > 0 {
		cn := l[len(l)-1]
		l[len(l)-1] = nil
		p.idle[a] = l[:len(l)-1]
		p.mu.Unlock()
		return cn, nil
	}
	p.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	var nc net.Conn
	var err error
	if dial := p.client.DialContext; dial != nil {
		nc, err = dial(dctx, addr.Network(), a)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(dctx, addr.Network(), a)
	}
	if err != nil {
		return nil, err
	}
	return &mcConn{nc: nc, r: bufio.NewReaderSize(nc, mcBufSize), w: bufio.NewWriterSize(nc, mcBufSize), addr: a}, nil
}

// put returns a connection whose answers were all read to the idle list,
// or closes it when the list is full or the backend closed.
func (p *mcPipe) put(cn *mcConn) {
	p.mu.Lock()
	if !p.closed && len(p.idle[cn.addr]) < p.maxIdle() {
		if p.idle == nil {
			p.idle = make(map[string][]*mcConn)
		}
		p.idle[cn.addr] = append(p.idle[cn.addr], cn)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = cn.nc.Close()
}

// close closes the idle connections; a connection in use is closed when
// its call ends.
func (p *mcPipe) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, l := range idle {
		for _, cn := range l {
			_ = cn.nc.Close()
		}
	}
}

// group sorts the positions of keys by the server each key lives on.
func (p *mcPipe) group(keys []string) ([]mcGroup, error) {
	which := make([]int, len(keys))
	var groups []mcGroup
	for i, k := range keys {
		addr, err := p.ss.PickServer(k)
		if err != nil {
			return nil, fmt.Errorf("pick the server of %s: %w", storeutil.QuoteKey(k), err)
		}
		g := 0
		// By name: a selector may return a new net.Addr for each key.
		for g < len(groups) && groups[g].addr.String() != addr.String() {
			g++
		}
		if g == len(groups) {
			groups = append(groups, mcGroup{addr: addr})
		}
		which[i] = g
		groups[g].n++
	}
	// One backing array for every group's positions.
	all := make([]int, 0, len(keys))
	for g := range groups {
		n := groups[g].n
		groups[g].idx = all[len(all) : len(all) : len(all)+n]
		all = all[:len(all)+n]
	}
	for i, g := range which {
		groups[g].idx = append(groups[g].idx, i)
	}
	return groups, nil
}

// roundTrips runs a bulk call: for each round, write writes the request for
// up to mcBatch positions of each server, then read reads the answers,
// server by server. The connections are taken before the first write; a
// ctx that ends stops every read and write in flight (their deadlines are
// moved to the past), and a failure closes the connections, whose state is
// unknown, instead of returning them.
func (p *mcPipe) roundTrips(ctx context.Context, groups []mcGroup,
	write func(cn *mcConn, idx []int) error,
	read func(cn *mcConn, idx []int) error,
) (err error) {
	taken := 0
	defer func() {
		for _, g := range groups[:taken] {
			if err != nil {
				_ = g.cn.nc.Close()
			} else {
				p.put(g.cn)
			}
		}
	}()
	for i := range groups {
		cn, err := p.conn(ctx, groups[i].addr)
		if err != nil {
			return p.ctxErr(ctx, fmt.Errorf("server %s: %w", groups[i].addr, err))
		}
		groups[i].cn = cn
		taken++
	}
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			for _, g := range groups {
				_ = g.cn.nc.SetDeadline(aLongTimeAgo)
			}
			close(fired)
		})
		defer func() {
			if !stop() {
				// The ctx ended: wait until every deadline is moved, so
				// that no connection goes back to the pool with a
				// deadline still to be changed under its next user (who
				// sets a deadline of its own before writing). A call that
				// had read every answer by then keeps its result.
				<-fired
			}
		}()
	}
	for lo := 0; ; lo += mcBatch {
		more := false
		for _, g := range groups {
			if lo >= len(g.idx) {
				continue
			}
			more = true
			if err := p.extend(ctx, g.cn.nc.SetDeadline); err != nil {
				return fmt.Errorf("server %s: %w", g.addr, err)
			}
			if err := write(g.cn, g.idx[lo:min(lo+mcBatch, len(g.idx))]); err != nil {
				return p.ctxErr(ctx, fmt.Errorf("server %s: %w", g.addr, err))
			}
			if err := g.cn.w.Flush(); err != nil {
				return p.ctxErr(ctx, fmt.Errorf("server %s: %w", g.addr, err))
			}
		}
		if !more {
			return nil
		}
		for _, g := range groups {
			if lo >= len(g.idx) {
				continue
			}
			if err := read(g.cn, g.idx[lo:min(lo+mcBatch, len(g.idx))]); err != nil {
				return p.ctxErr(ctx, fmt.Errorf("server %s: %w", g.addr, err))
			}
		}
	}
}

// extend moves a deadline of a connection (set is its SetDeadline, SetReadDeadline
// or SetWriteDeadline) to the client's Timeout from now, or to ctx's
// deadline if sooner. It checks ctx after the move: a cancel that came
// before has already put the deadlines in the past (context.AfterFunc runs
// after ctx.Err is set), and the move must not undo it.
func (p *mcPipe) extend(ctx context.Context, set func(time.Time) error) error {
	d := time.Now().Add(p.timeout())
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	_ = set(d)
	return ctx.Err()
}

// ctxErr returns ctx's error, wrapped in err's words, when ctx has ended:
// a read stopped by a moved deadline reports a timeout, and the caller
// wants to know it was its context. A timeout at ctx's own deadline is
// that deadline, even if ctx's timer has not fired yet.
func (p *mcPipe) ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil {
		var ne net.Error
		if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
			cerr = context.DeadlineExceeded
		}
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// run sorts keys by server and runs the round trips of one bulk call; when
// an idle connection turns out to be dead (the server restarted, or dropped
// idle clients) it runs them once more on new connections: every bulk call
// is safe to repeat (reads, and writes of the same values), and reset
// clears what the first attempt gathered.
func (p *mcPipe) run(ctx context.Context, keys []string,
	write func(cn *mcConn, idx []int) error,
	read func(cn *mcConn, idx []int) error,
	reset func(),
) error {
	groups, err := p.group(keys)
	if err != nil {
		return err
	}
	return p.runGroups(ctx, groups, write, read, reset)
}

// runGroups is run on keys already sorted by server.
func (p *mcPipe) runGroups(ctx context.Context, groups []mcGroup,
	write func(cn *mcConn, idx []int) error,
	read func(cn *mcConn, idx []int) error,
	reset func(),
) error {
	err := p.roundTrips(ctx, groups, write, read)
	if err != nil && staleConn(err) && ctx.Err() == nil {
		// The other idle connections of these servers are suspect too.
		for _, g := range groups {
			p.dropIdle(g.addr.String())
		}
		reset()
		err = p.roundTrips(ctx, groups, write, read)
	}
	return err
}

// staleConn reports whether err is what a connection the server closed
// gives on its next use.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dropIdle closes the idle connections to addr.
func (p *mcPipe) dropIdle(addr string) {
	p.mu.Lock()
	l := p.idle[addr]
	delete(p.idle, addr)
	p.mu.Unlock()
	for _, cn := range l {
		_ = cn.nc.Close()
	}
}

// getMany reads keys (already refactored) into out: a hit is a slice of
// its own, a miss stays nil.
func (p *mcPipe) getMany(ctx context.Context, keys []string, out [][]byte) error {
	groups, err := p.group(keys)
	if err != nil {
		return err
	}
	return p.getGroups(ctx, groups, keys, out)
}

// getGroups is getMany on keys already sorted by server.
func (p *mcPipe) getGroups(ctx context.Context, groups []mcGroup, keys []string, out [][]byte) error {
	return p.runGroups(ctx, groups,
		func(cn *mcConn, idx []int) error {
			w := cn.w
			_, _ = w.WriteString("get")
			for _, i := range idx {
				_ = w.WriteByte(' ')
				_, _ = w.WriteString(keys[i])
			}
			_, err := w.WriteString("\r\n")
			return err
		},
		func(cn *mcConn, idx []int) error { return p.readValues(ctx, cn, keys, idx, out) },
		func() { clear(out) })
}

// A mcCommand is a storage command of the bulk writes: what it sends for
// one key, how its failures are named, and which answers mean it did its
// work.
type mcCommand struct {
	verb string                       // "set", "delete" or "touch"
	args func(b []byte, i int) []byte // appended after the key, up to the line's end
	data func(i int) []byte           // the data block of a set, or nil
	ok   []string                     // the answers that are success
}

// success reports whether answer is one of c.ok (compared without
// converting answer to a string, which would allocate).
func (c *mcCommand) success(answer []byte) bool {
	for _, ok := range c.ok {
		if string(answer) == ok {
			return true
		}
	}
	return false
}

// writeMany sends the command for every key (already refactored), one
// server's share after another's, before reading any answer, then reads
// one answer per key. A key the server refuses (SERVER_ERROR, NOT_STORED)
// does not stop the others; the error counts them and names the first with
// its key from names. An answer out of the protocol stops the call.
func (p *mcPipe) writeMany(ctx context.Context, keys, names []string, c mcCommand) error {
	failed := 0
	var first error
	var scratch [64]byte
	err := p.run(ctx, keys,
		func(cn *mcConn, idx []int) error {
			w := cn.w
			for _, i := range idx {
				line := append(scratch[:0], c.verb...)
				line = append(line, ' ')
				_, _ = w.Write(line)
				_, _ = w.WriteString(keys[i])
				_, _ = w.Write(c.args(scratch[:0], i))
				if _, err := w.WriteString("\r\n"); err != nil {
					return err
				}
				if c.data == nil {
					continue
				}
				d := c.data(i)
				if len(d) >= mcLargeValue {
					if err := p.extend(ctx, cn.nc.SetWriteDeadline); err != nil {
						return err
					}
				}
				_, _ = w.Write(d)
				if _, err := w.WriteString("\r\n"); err != nil {
					return err
				}
			}
			return nil
		},
		func(cn *mcConn, idx []int) error {
			// The writes of large values may have taken most of the
			// round's time.
			if err := p.extend(ctx, cn.nc.SetReadDeadline); err != nil {
				return err
			}
			for _, i := range idx {
				line, err := cn.line()
				if err != nil {
					return err
				}
				answer := bytes.TrimSuffix(line, []byte("\r\n"))
				if c.success(answer) {
					continue
				}
				if !bytes.HasPrefix(answer, []byte("SERVER_ERROR")) && string(answer) != "NOT_STORED" {
					return fmt.Errorf("%w: %q to %s %s", errMemcacheProtocol, answer, c.verb, storeutil.QuoteKey(names[i]))
				}
				failed++
				if first == nil {
					what := c.verb + " " + storeutil.QuoteKey(names[i])
					if c.data != nil {
						what += fmt.Sprintf(" (%d bytes)", len(c.data(i)))
					}
					first = fmt.Errorf("%s: server answered %q", what, answer)
				}
			}
			return nil
		},
		func() { failed, first = 0, nil })
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d keys failed, the first: %w", failed, len(keys), first)
	}
	return nil
}

// setMany stores bs under keys with one set each, pipelined.
func (p *mcPipe) setMany(ctx context.Context, keys, names []string, bs [][]byte, exp int32) error {
	return p.writeMany(ctx, keys, names, mcCommand{
		verb: "set",
		args: func(b []byte, i int) []byte {
			b = append(b, " 0 "...)
			b = strconv.AppendInt(b, int64(exp), 10)
			b = append(b, ' ')
			return strconv.AppendInt(b, int64(len(bs[i])), 10)
		},
		data: func(i int) []byte { return bs[i] },
		ok:   []string{"STORED"},
	})
}

// deleteMany deletes keys with one delete each, pipelined; an absent key is
// no failure.
func (p *mcPipe) deleteMany(ctx context.Context, keys, names []string) error {
	return p.writeMany(ctx, keys, names, mcCommand{
		verb: "delete",
		args: func(b []byte, _ int) []byte { return b },
		ok:   []string{"DELETED", "NOT_FOUND"},
	})
}

// touchMany sets the expiry of keys with one touch each, pipelined; an
// absent key is no failure (it stays absent).
func (p *mcPipe) touchMany(ctx context.Context, keys, names []string, exp int32) error {
	return p.writeMany(ctx, keys, names, mcCommand{
		verb: "touch",
		args: func(b []byte, _ int) []byte {
			b = append(b, ' ')
			return strconv.AppendInt(b, int64(exp), 10)
		},
		ok: []string{"TOUCHED", "NOT_FOUND"},
	})
}

// readValues reads the answer to one get: a VALUE block for each key found,
// in the order of the request, then END.
func (p *mcPipe) readValues(ctx context.Context, cn *mcConn, keys []string, idx []int, out [][]byte) error {
	next := 0
	for {
		line, err := cn.line()
		if err != nil {
			return err
		}
		if string(line) == "END\r\n" {
			return nil
		}
		key, size, err := parseValueLine(line)
		if err != nil {
			return err
		}
		for next < len(idx) && keys[idx[next]] != string(key) {
			next++
		}
		if next == len(idx) {
			return fmt.Errorf("%w: a value for %q, which was not asked for or not in this order", errMemcacheProtocol, key)
		}
		if size >= mcLargeValue {
			if err := p.extend(ctx, cn.nc.SetReadDeadline); err != nil {
				return err
			}
		}
		v, err := readN(cn.r, size+2)
		if err != nil {
			return err
		}
		if v[size] != '\r' || v[size+1] != '\n' {
			return fmt.Errorf("%w: the value of %s does not end with CRLF", errMemcacheProtocol, storeutil.QuoteKey(keys[idx[next]]))
		}
		out[idx[next]] = v[:size:size]
		next++
	}
}

// mcChunk is the most readN allocates ahead of the bytes that arrive.
const mcChunk = 1 << 20

// readN reads exactly n bytes. Up to mcChunk it allocates them at once;
// beyond, the buffer grows (doubling) as the bytes arrive, so that a size
// announced by a corrupt answer costs memory only for the bytes really
// sent.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= mcChunk {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := make([]byte, 0, mcChunk)
	for len(b) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(n-len(b), len(b)))
		}
		k, err := io.ReadFull(r, b[len(b):min(cap(b), n)])
		b = b[:len(b)+k]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// parseValueLine reads "VALUE <key> <flags> <bytes>[ <cas>]\r\n". An error
// line of the server (ERROR, CLIENT_ERROR, SERVER_ERROR) becomes an error
// with its text.
func parseValueLine(line []byte) (key []byte, size int, err error) {
	rest, ok := bytes.CutPrefix(line, []byte("VALUE "))
	if !ok || !bytes.HasSuffix(rest, []byte("\r\n")) {
		t := bytes.TrimRight(line, "\r\n")
		for _, e := range []string{"ERROR", "CLIENT_ERROR", "SERVER_ERROR"} {
			if bytes.HasPrefix(t, []byte(e)) {
				return nil, 0, fmt.Errorf("server answered %q", t)
			}
		}
		return nil, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, t)
	}
	rest = rest[:len(rest)-2]
	key, rest, _ = bytes.Cut(rest, []byte(" "))
	_, rest, ok = bytes.Cut(rest, []byte(" ")) // flags
	if !ok || len(key) == 0 {
		return nil, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, line)
	}
	n, _, _ := bytes.Cut(rest, []byte(" ")) // a cas follows only for gets
	if len(n) == 0 {
		return nil, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, line)
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return nil, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, line)
		}
		size = size*10 + int(c-'0')
		if size > mcMaxValue {
			return nil, 0, fmt.Errorf("%w: a value of over %d bytes in %q", errMemcacheProtocol, mcMaxValue, line)
		}
	}
	return key, size, nil
}
