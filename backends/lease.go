package backends

import (
	"context"
	"time"
)

// Leaser is implemented by shared backends that can hand out a lease on a
// key: a short-lived right, held by one client among all the processes that
// use the backend, to compute the key's value and write it. ring's Lease
// option uses it so that, when many processes see the same missing or
// stale entry at once, one runs the function and the others wait for its
// value or keep serving the stale one.
//
// A lease lives beside its entry, under a key of its own that the backend
// names (never one of ring's entry keys, never read as an entry), and
// expires by itself after the ttl it was taken with: a holder that dies
// loses it within that time. A Delete (or Remove) of an existing entry
// made while its lease is held makes the holder's SetLeased write
// nothing, so that a fill started before the delete does not land after
// it: Redis clears the lease with the entry, memcached compares the
// entry's CAS. The backendtest suite checks these promises.
type Leaser interface {
	// TakeLease tries to take the lease on key for ttl (> 0). ok is false
	// when another client holds it; token, opaque, names this holder's
	// lease for SetLeased and ReleaseLease.
	TakeLease(ctx context.Context, key string, ttl time.Duration) (token string, ok bool, err error)
	// SetLeased writes value under key with ttl (0: no expiry) only if the
	// lease token still holds, and releases the lease. written is false
	// (and nothing was written) when the lease was lost: it expired, a
	// delete of the entry cleared it, or another holder took it since.
	SetLeased(ctx context.Context, key, token string, value any, ttl time.Duration) (written bool, err error)
	// ReleaseLease gives the lease up without writing, if token still holds
	// it (a holder whose function failed). Releasing a lost lease is not an
	// error.
	ReleaseLease(ctx context.Context, key, token string) error
}

// TakeLease takes the lease on key natively where s implements [Leaser],
// and returns an error wrapping [ErrNotSupported] otherwise.
func TakeLease(ctx context.Context, s Storage, key string, ttl time.Duration) (string, bool, error) {
	if l, ok := s.(Leaser); ok {
		return l.TakeLease(ctx, key, ttl)
	}
	return "", false, NotSupported(s, "take lease")
}

// SetLeased writes value under key if the lease token still holds, where s
// implements [Leaser], and returns an error wrapping [ErrNotSupported]
// otherwise.
func SetLeased(ctx context.Context, s Storage, key, token string, value any, ttl time.Duration) (bool, error) {
	if l, ok := s.(Leaser); ok {
		return l.SetLeased(ctx, key, token, value, ttl)
	}
	return false, NotSupported(s, "set leased")
}

// ReleaseLease releases the lease token on key where s implements
// [Leaser], and returns an error wrapping [ErrNotSupported] otherwise.
func ReleaseLease(ctx context.Context, s Storage, key, token string) error {
	if l, ok := s.(Leaser); ok {
		return l.ReleaseLease(ctx, key, token)
	}
	return NotSupported(s, "release lease")
}

// A Cancelable wrapper offers Leaser through the helpers above: native
// where the wrapped backend has it, an error wrapping ErrNotSupported
// otherwise; each call returns as soon as its ctx ends.

var _ Leaser = cancelable{}

type taken struct {
	token string
	ok    bool
}

func (c cancelable) TakeLease(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	if c.inline(ctx) {
		return TakeLease(ctx, c.s, key, ttl)
	}
	t, err := interruptible(ctx, func() (taken, error) {
		token, ok, err := TakeLease(ctx, c.s, key, ttl)
		return taken{token, ok}, err
	})
	return t.token, t.ok, err
}

func (c cancelable) SetLeased(ctx context.Context, key, token string, value any, ttl time.Duration) (bool, error) {
	if c.inline(ctx) {
		return SetLeased(ctx, c.s, key, token, value, ttl)
	}
	return interruptible(ctx, func() (bool, error) { return SetLeased(ctx, c.s, key, token, value, ttl) })
}

func (c cancelable) ReleaseLease(ctx context.Context, key, token string) error {
	if c.inline(ctx) {
		return ReleaseLease(ctx, c.s, key, token)
	}
	return interruptibleErr(ctx, func() error { return ReleaseLease(ctx, c.s, key, token) })
}
