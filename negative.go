package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/observe"
)

// NegativeCache caches the "not found" outcome of the ring's function for
// ttl, so that a lookup of something that does not exist does not reach
// the data source on every call (negative caching).
//
// An outcome is "not found" when the function returns an error e with
// errors.Is(e, target) for one of notFound (ErrNotFound when none is
// given), or, when notFound lists ErrZeroResult, a zero result with a nil
// error. The first target in the list that matches is the entry's.
//
// A negative entry lives exactly ttl: ExpireJitter, TTLFunc, Expire and
// Exclude are for the values the ring caches and do not apply to it (an
// IfNotExists ring writes it only where the key is absent, as it writes
// values). Until it expires:
//   - Call (and Many().GetOrUpdate, per argument set) returns from the
//     cache without running the function: for an error target, the zero
//     result and an error that errors.Is the target, reading "ring: NAME:
//     cached not-found result: TARGET"; for ErrZeroResult, the zero
//     result and a nil error, as the function returned. The call that ran
//     the function returns the function's own error.
//   - Get returns the zero value, found false and that error, so that a
//     negative entry differs from a miss (nil error) and from a value
//     (found true); Many().Get marks the argument set not found and joins
//     the error, naming its index, into its error. The Cache view's Get
//     does as Get; its GetMany leaves the key out, as a miss.
//   - Has reports true: the entry is cached, and Call would not run the
//     function. Touch gives the entry the ring's Expire, as it does any
//     entry (the ring cannot tell without reading it).
//   - Update runs the function and writes its outcome, a value or a
//     negative entry; Set writes a value over it; Delete removes it.
//   - With RefreshAhead it is served and never refreshed ahead; a refresh
//     of a value whose function says "not found" writes the negative
//     entry over the value (and reports the error as a failed refresh).
//
// Stored form: an in-process store without a coder holds a private Go
// value. A store of bytes holds a marker: the bytes "\x00ring-negative\x00"
// followed by the text of the target's Error method, so that reordering
// notFound across deploys keeps the entries' meaning. A marker whose text
// is not one of the ring's targets (a target removed since it was written)
// is a miss, reported to OnError as a "decode" event, never a wrong value.
// No coder of this module writes a value that starts with the marker's
// prefix except the identity coders ("bytes", "string") and custom ones:
// on a ring with NegativeCache, a value whose encoding starts with it is
// refused (the write fails with an error saying so; Call reports it and
// returns the value) rather than be read back as a negative entry.
// Python Ring, or any other reader of the raw bytes, cannot decode a
// marker (see docs/python-ring.md).
//
// ttl must be positive, the targets not nil and their Error texts
// distinct; ErrZeroResult needs a result type whose zero value can be
// told without reflection (not a struct or array that cannot be compared
// with ==). A custom strategy (WithStrategy) gives Call its semantics: the
// two cannot be combined. Otherwise building the ring fails. A Cache from
// NewCache has no function and refuses the option.
func NegativeCache(ttl time.Duration, notFound ...error) Option {
	targets := notFound
	if len(targets) == 0 {
		targets = []error{ErrNotFound}
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		switch t {
		case nil:
			names[i] = "nil"
		case ErrNotFound:
			names[i] = "ErrNotFound"
		case ErrZeroResult:
			names[i] = "ErrZeroResult"
		default:
			names[i] = fmt.Sprintf("%q", t.Error())
		}
	}
	name := fmt.Sprintf("NegativeCache(%v, %s)", ttl, strings.Join(names, ", "))
	return newOption(name, func(c *config) {
		if ttl <= 0 {
			c.fail(fmt.Errorf("ring: %s: the time-to-live must be positive", name))
			return
		}
		seen := make(map[string]bool, len(targets))
		for i, t := range targets {
			if t == nil {
				c.fail(fmt.Errorf("ring: %s: not-found error %d is nil", name, i+1))
				return
			}
			if seen[t.Error()] {
				c.fail(fmt.Errorf("ring: %s: two not-found errors read %q: a stored entry names its error by its text, so the texts must differ", name, t.Error()))
				return
			}
			seen[t.Error()] = true
		}
		c.negative = &negativeOption{name: name, ttl: ttl, targets: targets}
	})
}

// ErrZeroResult, listed among NegativeCache's not-found errors, makes a
// zero result with a nil error a "not found" outcome: Call returns it from
// the cache as the zero result with a nil error, and Get reports the entry
// with an error that errors.Is ErrZeroResult.
var ErrZeroResult = errors.New("ring: zero result")

// negativeOption is what NegativeCache sets.
type negativeOption struct {
	name    string
	ttl     time.Duration
	targets []error
}

// negativeMarker starts the bytes of a negative entry on a store of bytes;
// the target's Error text follows it.
const negativeMarker = "\x00ring-negative\x00"

// negEntry is a negative entry on an in-process store without a coder.
type negEntry struct{ text string }

// negTarget is one not-found error of a ring and its prebuilt forms.
type negTarget struct {
	err    error
	entry  *negEntry // the in-process entry
	marker string    // negativeMarker + the error's text
	// hit is what Get returns for the entry; call what Call returns (nil
	// for ErrZeroResult).
	hit, call error
}

// negativePolicy is a ring's negative caching (NegativeCache), shared by
// its store layers (Choose's too).
type negativePolicy struct {
	ttl     time.Duration
	targets []negTarget
	// zero reports whether a result is its type's zero value; nil unless
	// ErrZeroResult is a target.
	zero func(v any) bool
	// result is the zero value of the function's result type, what Call
	// returns with a negative entry (boxed: on the untyped view it is not
	// the zero of any, nil, but of the type the function returns).
	result any
}

// newNegative checks NegativeCache against the other options and the
// result type and returns the ring's policy, or nil without the option.
// R is the ring's static result type, result the function's (they differ
// on the untyped view, where R is any).
func newNegative[R any](name string, cfg *config, result reflect.Type) (*negativePolicy, error) {
	o := cfg.negative
	if o == nil {
		return nil, nil
	}
	if cfg.strategy != nil {
		return nil, fmt.Errorf("ring: %s: %s: a custom strategy (WithStrategy) gives Call its semantics; cache not-found outcomes in the strategy instead", name, o.name)
	}
	p := &negativePolicy{ttl: o.ttl, result: reflect.Zero(result).Interface()}
	for _, t := range o.targets {
		nt := negTarget{err: t, entry: &negEntry{text: t.Error()}, marker: negativeMarker + t.Error()}
		nt.hit = &nameError{name: name, context: "cached not-found result", err: t}
		if t != ErrZeroResult {
			nt.call = nt.hit
		} else {
			zero, err := zeroTest[R](result)
			if err != nil {
				return nil, fmt.Errorf("ring: %s: %s: %w", name, o.name, err)
			}
			p.zero = zero
		}
		p.targets = append(p.targets, nt)
	}
	return p, nil
}

// zeroTest returns the test of a zero result of type t, built here so
// that a fill runs no reflection: == against the boxed zero value for a
// comparable type, a nil test for an interface, and for a slice, map,
// func or chan a test of its pointer word on the typed path (R is t) or
// reflection on the untyped view (which calls its function by reflection
// anyway).
func zeroTest[R any](t reflect.Type) (func(v any) bool, error) {
	switch {
	case t.Kind() == reflect.Interface:
		return func(v any) bool { return v == nil }, nil
	case t.Comparable():
		z := reflect.Zero(t).Interface()
		return func(v any) bool { return v == z }, nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
		if reflect.TypeFor[R]() == t {
			return func(v any) bool {
				r, _ := v.(R)
				// The first word of a slice header, and the whole of a
				// map, func or chan value, is nil exactly when it is nil.
				return *(*unsafe.Pointer)(unsafe.Pointer(&r)) == nil
			}, nil
		}
		return func(v any) bool { return v == nil || reflect.ValueOf(v).IsNil() }, nil
	}
	return nil, fmt.Errorf("ErrZeroResult: the result type %v cannot be compared with ==, so its zero value cannot be told without reflection on every fill: return ErrNotFound for not found instead", t)
}

// classify returns the target of the outcome (v, err) of the function, if
// it is a not-found one: the seam where a fill decides to write a
// negative entry. A nil policy (no NegativeCache) classifies nothing.
func (p *negativePolicy) classify(v any, err error) (*negTarget, bool) {
	if p == nil {
		return nil, false
	}
	if err == nil {
		if p.zero == nil || !p.zero(v) {
			return nil, false
		}
		return p.target(ErrZeroResult)
	}
	return p.target(err)
}

// target returns the first target that err is (errors.Is).
func (p *negativePolicy) target(err error) (*negTarget, bool) {
	for i := range p.targets {
		t := &p.targets[i]
		if t.err == ErrZeroResult {
			if err == ErrZeroResult {
				return t, true
			}
			continue // ErrZeroResult stands for a result, not for an error a function returns
		}
		if errors.Is(err, t.err) {
			return t, true
		}
	}
	return nil, false
}

// match reports whether v, as a store holds it, is a negative entry, and
// which of the ring's targets it names (nil: one the ring does not list):
// a marker on a ring with a coder (bytes), the private entry otherwise.
func (p *negativePolicy) match(v any, bytes bool) (*negTarget, bool) {
	if !bytes { // a Go value: only the private entry, never a []byte result
		e, ok := v.(*negEntry)
		if !ok {
			return nil, false
		}
		for i := range p.targets {
			if t := &p.targets[i]; t.entry == e || t.entry.text == e.text {
				return t, true
			}
		}
		return nil, true
	}
	switch e := v.(type) {
	case []byte:
		if len(e) < len(negativeMarker) || string(e[:len(negativeMarker)]) != negativeMarker {
			return nil, false
		}
		for i := range p.targets {
			if string(e[len(negativeMarker):]) == p.targets[i].marker[len(negativeMarker):] {
				return &p.targets[i], true
			}
		}
		return nil, true
	}
	return nil, false
}

// negative returns the not-found target that err matches on this store
// layer's ring, if it has NegativeCache: the seam for callers that learn
// of a not-found outcome without running the fill (a batch function's
// missing IDs). The target is for putNegative.
func (c *Cache[V]) negative(err error) (target error, ok bool) {
	if c.neg == nil {
		return nil, false
	}
	t, ok := c.neg.target(err)
	if !ok {
		return nil, false
	}
	return t.err, true
}

// putNegative writes a negative entry for target (one that negative
// returned) under key, for NegativeCache's ttl, as a write of the ring
// (under a flight's context, the fill's own).
func (c *Cache[V]) putNegative(ctx context.Context, key string, target error) error {
	if c.neg == nil {
		return fmt.Errorf("ring: %s: put negative %q: the ring has no NegativeCache", c.name, key)
	}
	var t *negTarget
	for i := range c.neg.targets {
		if c.neg.targets[i].err == target {
			t = &c.neg.targets[i]
		}
	}
	if t == nil {
		return fmt.Errorf("ring: %s: put negative %q: %v is not one of NegativeCache's errors", c.name, key, target)
	}
	return c.writeNegative(ctx, key, t)
}

func (c *Cache[V]) writeNegative(ctx context.Context, key string, t *negTarget) error {
	var stored any = t.entry
	if c.coder != nil {
		stored = []byte(t.marker) // a copy per write: a store may keep the slice
	}
	return c.rope.Commit(ctx, key, func() error {
		if c.policy.ifNotExists {
			_, err := backends.SetIfAbsent(ctx, c.store, key, stored, c.neg.ttl)
			return err
		}
		return c.store.Set(ctx, key, stored, c.neg.ttl)
	})
}

// negativeStored reports whether v, read under key, is a negative entry:
// t is its target, nil for a marker of an error the ring does not list,
// which is reported and is a miss.
func (c *Cache[V]) negativeStored(key string, v any) (t *negTarget, ok bool) {
	if t, ok = c.neg.match(v, c.coder != nil); ok && t == nil {
		c.report("decode", key, fmt.Errorf("negative entry for a not-found error the ring does not list (%q): a miss", negativeText(v)))
	}
	return t, ok
}

// negativeRead is negativeStored for the readers of Get: hit is the
// error Get returns for the entry, nil for a foreign marker (a miss).
func (c *Cache[V]) negativeRead(key string, v any) (hit error, ok bool) {
	t, ok := c.negativeStored(key, v)
	if t != nil {
		hit = t.hit
	}
	return hit, ok
}

func negativeText(v any) string {
	if e, ok := v.(*negEntry); ok {
		return e.text
	}
	b, _ := v.([]byte)
	return string(b[len(negativeMarker):])
}

// fillNegative writes the negative entry of target t for a fill, reporting
// a failed write (fail-open), and returns the function's outcome.
func (c *Cache[V]) fillNegative(ctx context.Context, key string, t *negTarget) {
	if err := c.writeNegative(ctx, key, t); err != nil {
		c.report("set", key, err)
	}
}

// refuseMarker fails the write of an encoded value that starts with the
// marker of negative entries, which would be read back as one.
func (c *Cache[V]) refuseMarker(b []byte) error {
	if len(b) >= len(negativeMarker) && string(b[:len(negativeMarker)]) == negativeMarker {
		return fmt.Errorf("the encoded value starts with %q, the marker of NegativeCache's entries, and would be read back as one: not cached", negativeMarker)
	}
	return nil
}

// hitsAsCalls turns the negative entries that a bulk read found (hits,
// from loadMany) into Call's outcomes: found, with Call's result and error
// (nil for ErrZeroResult).
func (c *Cache[V]) hitsAsCalls(hits []error, out []V, found []bool, errs []error) {
	for i, hit := range hits {
		if t := c.neg.ofHit(hit); t != nil {
			out[i], found[i], errs[i] = c.negResult(), true, t.call
		}
	}
}

// negResult is the result Call returns with a negative entry: the zero
// value of the function's result type.
func (c *Cache[V]) negResult() V { return c.negZero }

// ofHit returns the target whose Get error hit is (from load), nil for
// any other error and on a ring without NegativeCache.
func (p *negativePolicy) ofHit(hit error) *negTarget {
	if p == nil || hit == nil {
		return nil
	}
	for i := range p.targets {
		if p.targets[i].hit == hit {
			return &p.targets[i]
		}
	}
	return nil
}

// negativeLanded returns the target of v, read under key, if it is a
// negative entry of the ring (nil on a ring without NegativeCache).
func (c *Cache[V]) negativeLanded(key string, v any) *negTarget {
	if c.neg == nil {
		return nil
	}
	t, _ := c.negativeStored(key, v)
	return t
}

// callNegative is call's hit path on a ring with NegativeCache, for what
// the in-process fast path did not return: a negative entry's outcome, a
// value decoded, or, for a foreign marker or a value that does not
// decode, a fill (without the re-check, as call does).
func (c *core[K, R]) callNegative(ctx context.Context, st *Cache[R], key string, k K, v any) (R, error) {
	t, isNeg := st.negativeStored(key, v)
	if t != nil {
		if st.obs != nil {
			st.obs.request(ctx, observe.Negative, 1)
		}
		return st.negResult(), t.call
	}
	if !isNeg {
		if r, ok := st.fromStored(key, v); ok {
			if st.obs != nil {
				st.obs.request(ctx, observe.Hit, 1)
			}
			return r, nil
		}
	}
	if st.obs != nil {
		st.obs.request(ctx, observe.Miss, 1)
	}
	return c.fill(ctx, st, key, k, false, nil)
}
