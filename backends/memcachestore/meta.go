package memcachestore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Reading a value with its remaining time-to-live (backends.TTLGetter) with
// memcached's meta protocol: "mg <key> v t" answers the value and the
// seconds the item has left ("t-1": no expiry) in one command, so the
// stored bytes stay the ones the coder wrote. gomemcache has no meta
// commands: the backend sends them on its own pipelined connections, which
// it has only when it knows the client's server selector (WithSelector).

var (
	_ backends.TTLGetter     = (*Store)(nil)
	_ backends.BulkTTLGetter = (*Store)(nil)
)

// GetWithTTL returns the bytes under key and the time the item has left, in
// whole seconds as memcached counts them (0: no expiry; memcached rounds a
// written ttl up to the next second, so a fresh item can read up to a
// second more than the ttl that was asked for). With the selector it sends
// "mg <key> v t" on the backend's connections (memcached 1.6 or later):
// one round trip, one command, so the value and the time left come from
// the same item. Without the selector it is a Get whose hit reports
// backends.TTLUnknown.
func (m *Store) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	if m.pipe == nil {
		v, found, err := m.Get(ctx, key)
		if err != nil || !found {
			return nil, 0, false, err
		}
		return v, backends.TTLUnknown, true, nil
	}
	if err := m.ready(ctx, "get with ttl"); err != nil {
		return nil, 0, false, err
	}
	var out [1][]byte
	var ttls [1]time.Duration
	if err := m.pipe.getManyWithTTL(ctx, []string{m.RefactorKey(key)}, out[:], ttls[:]); err != nil {
		return nil, 0, false, m.fail("get with ttl", key, err)
	}
	if out[0] == nil {
		return nil, 0, false, nil
	}
	return out[0], ttls[0], true, nil
}

// GetManyWithTTL reads keys and the time each has left: with the selector,
// one "mg <key> v t" per key, every server's share written before any
// answer is read (one round trip); without it, GetManyBytes, every hit
// reporting backends.TTLUnknown.
func (m *Store) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	const op = "get many with ttl"
	if err := m.ready(ctx, op); err != nil {
		return nil, nil, nil, err
	}
	values := make([]any, len(keys))
	ttls := make([]time.Duration, len(keys))
	found := make([]bool, len(keys))
	if len(keys) == 0 {
		return values, ttls, found, nil
	}
	out := make([][]byte, len(keys))
	if m.pipe == nil {
		if err := m.getMulti(ctx, op, keys, out); err != nil {
			return nil, nil, nil, err
		}
		for i, b := range out {
			if b != nil {
				values[i], ttls[i], found[i] = b, backends.TTLUnknown, true
			}
		}
		return values, ttls, found, nil
	}
	if err := m.pipe.getManyWithTTL(ctx, m.refactorAll(keys), out, ttls); err != nil {
		return nil, nil, nil, fmt.Errorf("ring: backend memcache: %s (%d keys): %w", op, len(keys), err)
	}
	for i, b := range out {
		if b != nil {
			values[i], found[i] = b, true
		}
	}
	return values, ttls, found, nil
}

// getManyWithTTL reads keys (already refactored) into out and ttls with one
// "mg <key> v t" each, pipelined: a hit is a slice of its own and its time
// left, a miss stays nil with ttl 0.
func (p *mcPipe) getManyWithTTL(ctx context.Context, keys []string, out [][]byte, ttls []time.Duration) error {
	return p.run(ctx, keys,
		func(cn *mcConn, idx []int) error {
			w := cn.w
			for _, i := range idx {
				_, _ = w.WriteString("mg ")
				_, _ = w.WriteString(keys[i])
				if _, err := w.WriteString(" v t\r\n"); err != nil {
					return err
				}
			}
			return nil
		},
		func(cn *mcConn, idx []int) error {
			for _, i := range idx {
				line, err := cn.line()
				if err != nil {
					return err
				}
				if string(line) == "EN\r\n" {
					continue
				}
				size, ttl, err := parseMetaValue(line)
				if err != nil {
					return fmt.Errorf("mg %s: %w", storeutil.QuoteKey(keys[i]), err)
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
					return fmt.Errorf("%w: the value of %s does not end with CRLF", errMemcacheProtocol, storeutil.QuoteKey(keys[i]))
				}
				out[i], ttls[i] = v[:size:size], ttl
			}
			return nil
		},
		func() { clear(out); clear(ttls) })
}

// parseMetaValue reads the answer line of "mg <key> v t" for a hit:
// "VA <size> t<seconds>\r\n", where t-1 means no expiry (ttl 0). A time
// left of 0 seconds, which a live item does not report, reads as 1ns so
// that it is never taken for "no expiry". An error line of the server
// (ERROR from a memcached without meta commands, CLIENT_ERROR,
// SERVER_ERROR) becomes an error with its text.
func parseMetaValue(line []byte) (size int, ttl time.Duration, err error) {
	rest, ok := bytes.CutPrefix(line, []byte("VA "))
	if !ok || !bytes.HasSuffix(rest, []byte("\r\n")) {
		t := bytes.TrimRight(line, "\r\n")
		for _, e := range []string{"ERROR", "CLIENT_ERROR", "SERVER_ERROR"} {
			if bytes.HasPrefix(t, []byte(e)) {
				return 0, 0, fmt.Errorf("server answered %q", t)
			}
		}
		return 0, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, t)
	}
	rest = rest[:len(rest)-2]
	n, rest, _ := bytes.Cut(rest, []byte(" "))
	if len(n) == 0 {
		return 0, 0, fmt.Errorf("%w: %q", errMemcacheProtocol, bytes.TrimRight(line, "\r\n"))
	}
	size, ok = parseUint(n, mcMaxValue)
	if !ok {
		return 0, 0, fmt.Errorf("%w: a value size out of range in %q", errMemcacheProtocol, bytes.TrimRight(line, "\r\n"))
	}
	seen := false
	for len(rest) > 0 {
		var f []byte
		f, rest, _ = bytes.Cut(rest, []byte(" "))
		if len(f) == 0 || f[0] != 't' {
			continue // a flag this reader did not ask for
		}
		seen = true
		switch n := f[1:]; {
		case string(n) == "-1":
			ttl = 0
		default:
			secs, ok := parseUint(n, 1<<31)
			if !ok {
				return 0, 0, fmt.Errorf("%w: a time left out of range in %q", errMemcacheProtocol, bytes.TrimRight(line, "\r\n"))
			}
			ttl = time.Duration(secs) * time.Second
			if ttl == 0 {
				ttl = time.Nanosecond
			}
		}
	}
	if !seen {
		return 0, 0, fmt.Errorf("%w: no time left (t flag) in %q", errMemcacheProtocol, bytes.TrimRight(line, "\r\n"))
	}
	return size, ttl, nil
}

// parseUint reads a decimal number of at most limit; ok is false for an
// empty number, a byte that is not a digit, or a number over limit.
func parseUint(b []byte, limit int) (n int, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, false
		}
	}
	return n, true
}
