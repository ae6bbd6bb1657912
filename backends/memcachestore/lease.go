package memcachestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Leases (backends.Leaser) on memcached. The meta protocol's own lease
// flags are not used: "mg <key> N<ttl>" vivifies a missing item as an
// empty placeholder that a plain get (ring's Get, any other client) reads
// as an empty value, not a miss, and the win flag of "mg <key> R<secs>"
// is handed out once per item, so a winner that dies blocks the others
// until the item itself expires, not within a lease's ttl. Instead:
//
//   - the lease is a key of its own, "ring-lease:" + the entry's key
//     (rewritten as every key is when too long), taken with add and a
//     random token, for the lease's ttl rounded up to whole seconds, plus
//     one (memcached's clock ticks in seconds, and an item given n
//     seconds lives between n-1 and n): a holder that dies loses it
//     within that time;
//   - taking it also reads the entry's CAS ("mg <key> c"), and the holder's
//     write is a compare-and-set against it ("ms <key> C<cas>", or an add
//     when the entry was absent): it lands only if nobody wrote or deleted
//     the entry since the lease was taken, atomically on the entry's
//     server;
//   - the write checks that the lease still holds the token first, and
//     deletes it after. memcached has no transaction over two keys: a lease
//     that expires between that check and the write does not stop the
//     write (the CAS still does, if the next holder wrote first).
//
// Leases need the server selector (WithSelector), as the meta commands do;
// without it TakeLease reports backends.ErrNotSupported and ring fills
// without a lease.

var _ backends.Leaser = (*Store)(nil)

// leaseKey is the key of key's lease.
func (m *Store) leaseKey(key string) string { return m.RefactorKey("ring-lease:" + m.RefactorKey(key)) }

// TakeLease adds the lease key of key with a random token for ttl (whole
// seconds, rounded up, plus one), and reads the entry's CAS for SetLeased; ok is
// false when the lease key exists.
func (m *Store) TakeLease(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	const op = "take lease"
	if err := m.ready(ctx, op); err != nil {
		return "", false, err
	}
	if m.pipe == nil {
		return "", false, fmt.Errorf("ring: backend memcache: %s %s: leases need the server selector (WithSelector): %w", op, storeutil.QuoteKey(key), backends.ErrNotSupported)
	}
	if ttl <= 0 {
		return "", false, m.fail(op, key, fmt.Errorf("the lease needs a positive ttl, got %v", ttl))
	}
	// memcached's clock ticks in whole seconds: an item given n seconds
	// lives between n-1 and n; one more second keeps the lease at least
	// ttl.
	exp, err := m.expiration(ttl + time.Second)
	if err != nil {
		return "", false, err
	}
	token := rand.Text()
	err = m.client.Add(&memcache.Item{Key: m.leaseKey(key), Value: []byte(token), Expiration: exp})
	if errors.Is(err, memcache.ErrNotStored) {
		return "", false, nil
	}
	if err != nil {
		return "", false, m.fail(op, key, err)
	}
	cas, err := m.pipe.cas(ctx, m.RefactorKey(key))
	if err != nil {
		_ = m.client.Delete(m.leaseKey(key))
		return "", false, m.fail(op, key, err)
	}
	return token + ":" + strconv.FormatUint(cas, 10), true, nil
}

// SetLeased writes value under key if the lease still holds token, with a
// compare-and-set against the entry as it was when the lease was taken,
// and deletes the lease.
func (m *Store) SetLeased(ctx context.Context, key, token string, value any, ttl time.Duration) (bool, error) {
	const op = "set leased"
	if err := m.ready(ctx, op); err != nil {
		return false, err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(m.Name(), op, key, value)
	if err != nil {
		return false, err
	}
	tok, cas, ok := parseLeaseToken(token)
	if !ok || m.pipe == nil {
		return false, nil
	}
	held, err := m.holds(key, tok)
	if err != nil || !held {
		return false, err
	}
	written, err := m.pipe.setCAS(ctx, m.RefactorKey(key), b, exp, cas)
	if err != nil {
		return false, fmt.Errorf("ring: backend memcache: %s %s (%d bytes): %w", op, storeutil.QuoteKey(key), len(b), err)
	}
	if err := m.client.Delete(m.leaseKey(key)); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return written, m.fail(op, key, err)
	}
	return written, nil
}

// ReleaseLease deletes the lease of key if it holds token.
func (m *Store) ReleaseLease(ctx context.Context, key, token string) error {
	const op = "release lease"
	if err := m.ready(ctx, op); err != nil {
		return err
	}
	tok, _, ok := parseLeaseToken(token)
	if !ok {
		return nil
	}
	held, err := m.holds(key, tok)
	if err != nil || !held {
		return err
	}
	if err := m.client.Delete(m.leaseKey(key)); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return m.fail(op, key, err)
	}
	return nil
}

// holds reports whether the lease of key holds tok.
func (m *Store) holds(key, tok string) (bool, error) {
	it, err := m.client.Get(m.leaseKey(key))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return false, nil
	}
	if err != nil {
		return false, m.fail("lease of", key, err)
	}
	return string(it.Value) == tok, nil
}

// parseLeaseToken splits a token of TakeLease into the lease key's value
// and the entry's CAS (0: the entry was absent).
func parseLeaseToken(token string) (tok string, cas uint64, ok bool) {
	i := strings.LastIndexByte(token, ':')
	if i <= 0 {
		return "", 0, false
	}
	cas, err := strconv.ParseUint(token[i+1:], 10, 64)
	return token[:i], cas, err == nil
}

// cas reads the CAS of key (already refactored) with "mg <key> c": 0 when
// key is absent.
func (p *mcPipe) cas(ctx context.Context, key string) (uint64, error) {
	var cas uint64
	err := p.run(ctx, []string{key},
		func(cn *mcConn, _ []int) error {
			_, _ = cn.w.WriteString("mg ")
			_, _ = cn.w.WriteString(key)
			_, err := cn.w.WriteString(" c\r\n")
			return err
		},
		func(cn *mcConn, _ []int) error {
			line, err := cn.line()
			if err != nil {
				return err
			}
			answer := bytes.TrimSuffix(line, []byte("\r\n"))
			if string(answer) == "EN" {
				return nil
			}
			for _, f := range bytes.Fields(bytes.TrimPrefix(answer, []byte("HD"))) {
				if f[0] == 'c' {
					if cas, err = strconv.ParseUint(string(f[1:]), 10, 64); err == nil && bytes.HasPrefix(answer, []byte("HD ")) {
						return nil
					}
				}
			}
			return fmt.Errorf("%w: %q to mg %s c", errMemcacheProtocol, answer, storeutil.QuoteKey(key))
		},
		func() { cas = 0 })
	return cas, err
}

// setCAS writes b under key (already refactored) with "ms <key> <len>
// T<exp> C<cas>", or with mode add (ME) when cas is 0: written is false
// when the item changed, went away, or (add) appeared since cas was read.
func (p *mcPipe) setCAS(ctx context.Context, key string, b []byte, exp int32, cas uint64) (bool, error) {
	written := false
	err := p.run(ctx, []string{key},
		func(cn *mcConn, _ []int) error {
			line := fmt.Appendf(nil, "ms %s %d T%d", key, len(b), exp)
			if cas == 0 {
				line = append(line, " ME\r\n"...)
			} else {
				line = fmt.Appendf(line, " C%d\r\n", cas)
			}
			_, _ = cn.w.Write(line)
			if len(b) >= mcLargeValue {
				if err := p.extend(ctx, cn.nc.SetWriteDeadline); err != nil {
					return err
				}
			}
			_, _ = cn.w.Write(b)
			_, err := cn.w.WriteString("\r\n")
			return err
		},
		func(cn *mcConn, _ []int) error {
			if err := p.extend(ctx, cn.nc.SetReadDeadline); err != nil {
				return err
			}
			line, err := cn.line()
			if err != nil {
				return err
			}
			switch answer := bytes.TrimSuffix(line, []byte("\r\n")); string(answer) {
			case "HD":
				written = true
			case "EX", "NF", "NS":
			default:
				return fmt.Errorf("%w: %q to ms %s", errMemcacheProtocol, answer, storeutil.QuoteKey(key))
			}
			return nil
		},
		func() { written = false })
	return written, err
}
