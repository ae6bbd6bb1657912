package ring

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
	"github.com/ringcache/ring/strategy"
)

// component appends one key component for the argument tuple k.
type component[K any] func(dst []byte, k K) ([]byte, error)

// core is the implementation shared by every ring type: K is the tuple of
// key arguments (a single type for one argument, ArgsN for more), R the
// result type. It is built once, by reflection, and the call path only runs
// the precomputed plan: typed key components, a typed function call, and
// the typed store layer (Cache[R]) that reads and writes the entries.
type core[K any, R any] struct {
	// store is the ring's store layer: prefix, key rewriting, coder,
	// decoding, write policy, hook, and the rope that orders its writes.
	// It is also what the ring's Cache method returns.
	store *Cache[R]
	// strategy, if set, gives the sub-functions their semantics; nil runs
	// strategy.Default's on the typed path.
	strategy strategy.Strategy
	shape    *descriptor.Shape
	name     string
	prefix   string
	comps    []component[K]
	keyFunc  func(args ...any) string
	// keyHint is the length of a recent key: the size of the next key's
	// buffer.
	keyHint atomic.Int32
	// byBytes: Call looks the key up in the near tier or the typed
	// Concurrent store from a reused buffer (hitkey.go).
	byBytes bool
	// front, when not nil, finds a near hit by the argument tuple itself
	// (near_front.go).
	front *nearFront[K, R]
	// hashed, when not nil, replaces the argument part of every key with
	// its hash (HashKeys).
	hashed  *keyHasher
	exec    func(ctx context.Context, k K) (R, error)
	toAny   func(k K) []any
	fromAny func(args []any) (K, error)
	// choose, if set, picks the storage per call (nil: bypass the cache);
	// stores holds the store layer of each chosen storage.
	choose func(ctx context.Context, key string, args []any) backends.Storage
	stores sync.Map
	// checkValue, if set, checks values given to the untyped view against
	// the function's result type (rings from New, where R is any).
	checkValue func(v any) error
	// bulk bounds how many functions a bulk form runs at once (0: the
	// default, defaultBulkConcurrency).
	bulk int
	// batch, on a batch function's ring, fetches many tuples in one call
	// of the function (batch.go); nil on other rings.
	batch func(ctx context.Context, ks []K) ([]R, []error)
	// windowFill, with BatchWindow, fills a Call's miss in a window shared
	// with concurrent Calls (batch_window.go).
	windowFill func(ctx context.Context, key string, k K) (R, error)
}

// maxKeyHint bounds the buffer a key is built in before it is known how
// long it will be; longer keys grow the buffer as append does.
const maxKeyHint = 512

// key builds the backend key of k with one allocation: the buffer, sized
// from the length of the previous key, becomes the string without a copy.
// A buffer that came out more than 16 bytes too large is copied to a
// string of its own, so that a stored key never holds much unused memory.
func (c *core[K, R]) key(k K) (string, error) {
	hint := int(c.keyHint.Load())
	b, err := c.appendKey(make([]byte, 0, hint), k)
	if n := len(b); n > hint || n+16 < hint {
		c.keyHint.Store(int32(min(n, maxKeyHint)))
	}
	var s string
	if cap(b)-len(b) > 16 {
		s = string(b)
	} else {
		// b is never written again: it is the string's memory now.
		s = unsafe.String(unsafe.SliceData(b), len(b))
	}
	if err != nil {
		return "", named(c.name, "key", err)
	}
	if c.store.refactor {
		s = c.store.rewrite(s)
	}
	return s, nil
}

// appendKey appends the key of k to b, before the backend's rewriting
// (refactor): what key returns, and what the hit by bytes looks up
// (hitkey.go).
//
// appendTuple (hitkey.go) builds the same key's part after "prefix:": the
// two are kept apart, since calling one from the other costs the LRU hit
// 6% (callgrind, BenchmarkCallHit/ring); TestKeyBytesEqualKey checks them
// against each other.
func (c *core[K, R]) appendKey(b []byte, k K) ([]byte, error) {
	start := len(b)
	b = append(b, c.prefix...)
	var err error
	if c.keyFunc != nil {
		b = append(b, ':')
		b = append(b, c.keyFunc(c.toAny(k)...)...)
	} else {
		for _, comp := range c.comps {
			b = append(b, ':')
			if b, err = comp(b, k); err != nil {
				break
			}
		}
	}
	if c.hashed != nil && err == nil && len(b) > start+len(c.prefix) {
		b = c.hashed.tail(b, start+len(c.prefix)+1)
	}
	return b, err
}

// keyHasher hashes the argument part of keys (HashKeys) with the hash
// function the user chose, reusing hashers and their output buffers.
type keyHasher struct {
	pool sync.Pool
	size int // bytes of a digest
}

type pooledHash struct {
	h   hash.Hash
	sum []byte
}

func newKeyHasher(newHash func() hash.Hash) *keyHasher {
	if newHash == nil {
		return nil
	}
	k := &keyHasher{size: newHash().Size()}
	k.pool.New = func() any { return &pooledHash{h: newHash()} }
	return k
}

// tail replaces b[from:], the arguments after the prefix and its ':', with
// their hex digest: fixed-length keys for long arguments.
func (k *keyHasher) tail(b []byte, from int) []byte {
	p := k.pool.Get().(*pooledHash)
	p.h.Reset()
	_, _ = p.h.Write(b[from:]) // a hash.Hash never returns an error
	p.sum = p.h.Sum(p.sum[:0])
	b = appendHex(b[:from], p.sum)
	k.pool.Put(p)
	return b
}

// appendHex appends the lower-case hex digits of src to dst, as
// encoding/hex's AppendEncode (which would be one more package in every
// program: TestLRUProgramLinksNoClient).
func appendHex(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&0x0f])
	}
	return dst
}

// op is the Op of one invocation, for a custom strategy.
func (c *core[K, R]) op(st *Cache[R], key string, k K) strategy.Op {
	return strategy.Op(rope.NewOp(entries[R]{st}, key, func(ctx context.Context) (any, error) {
		return c.exec(ctx, k)
	}))
}

// target returns the key of k and the store layer that serves it: the
// ring's own, or the one of the storage a Choose function picked; nil when
// it chose to bypass the cache.
func (c *core[K, R]) target(ctx context.Context, k K) (string, *Cache[R], error) {
	key, err := c.key(k)
	if err != nil || c.choose == nil {
		return key, c.store, err
	}
	st := c.choose(ctx, key, c.toAny(k))
	switch {
	case st == nil:
		return key, nil, nil
	case st == c.store.store:
		return key, c.store, nil
	}
	if !reflect.TypeOf(st).Comparable() {
		return key, nil, fmt.Errorf("ring: %s: Choose returned a %T, which cannot be compared: return a pointer", c.name, st)
	}
	if s, ok := c.stores.Load(st); ok {
		return key, s.(*Cache[R]), nil
	}
	s, err := c.store.on(st)
	if err != nil {
		return key, nil, err
	}
	v, _ := c.stores.LoadOrStore(st, s)
	return key, v.(*Cache[R]), nil
}

// perItem reports whether bulk forms must go item by item: a custom
// strategy or a per-call storage choice.
func (c *core[K, R]) perItem() bool { return c.strategy != nil || c.choose != nil }

// fromStrategy converts what a custom strategy returned into R. A value
// of another type is a miss, reported.
func (c *core[K, R]) fromStrategy(op strategy.Op, v any) (R, bool) {
	if v == nil {
		var zero R
		return zero, true
	}
	r, ok := v.(R)
	if !ok {
		op.Report("decode", fmt.Errorf("strategy %T returned a %T, want %v", c.strategy, v, reflect.TypeFor[R]()))
	}
	return r, ok
}

func result[R any](v any, err error) (R, error) {
	r, _ := v.(R)
	return r, err
}

// call is the default action: GetOrUpdate, failing open. Without a custom
// strategy it is one straight path: read and convert (store layer), and on
// a miss fill.
func (c *core[K, R]) call(ctx context.Context, k K) (R, error) {
	if c.byBytes { // the in-process hit without the key string: hitkey.go
		if f := c.front; f != nil { // by the tuple itself: near_front.go
			if r, ok := f.get(&k); ok {
				if o := c.store.obs; o != nil {
					o.nearHit(ctx)
				}
				return r, nil
			}
		}
		return c.callBytes(ctx, k)
	}
	key, st, err := c.target(ctx, k)
	if err != nil {
		var zero R
		return zero, err
	}
	if st == nil {
		if o := c.store.obs; o != nil {
			o.request(ctx, observe.Bypass, 1)
		}
		return c.exec(ctx, k)
	}
	if st.near != nil { // Near: near.go
		if r, ok := st.near.get(key); ok {
			if st.obs != nil {
				st.obs.nearHit(ctx)
			}
			return r, nil
		}
		return c.callNear(ctx, st, key, k)
	}
	if c.strategy != nil {
		return result[R](c.strategy.GetOrUpdate(ctx, c.op(st, key, k)))
	}
	if st.ahead != nil {
		return c.callAhead(ctx, st, key, k) // RefreshAhead: refresh.go
	}
	if st.mem != nil { // the typed in-process hit (Concurrent: memstore.go)
		r, ok := st.mem.Load(key)
		if st.obs != nil {
			st.obs.got(ctx, ok, nil, false)
		}
		if ok {
			return r, nil
		}
		return c.fill(ctx, st, key, k, true, nil)
	}
	var seen rope.Seen
	if st.seen { // a server's storage: the count its miss may spare a read with (miss.go)
		seen = st.rope.See(key)
	} else if st.writes != nil { // an LRU or a Dict: one load, no hash (miss_count.go)
		seen = st.writes.see()
	}
	v, ok, err := st.store.Get(ctx, key)
	recheck := err == nil
	if err != nil {
		st.report("get", key, err)
	} else if ok {
		if st.direct { // the in-process hit, without a call
			if r, ok := v.(R); ok {
				if st.obs != nil {
					st.obs.request(ctx, observe.Hit, 1)
				}
				return r, nil
			}
		}
		if st.neg != nil {
			return c.callNegative(ctx, st, key, k, v) // NegativeCache: negative.go
		}
		if r, ok := st.fromStored(key, v); ok {
			if st.obs != nil {
				st.obs.request(ctx, observe.Hit, 1)
			}
			return r, nil
		}
		recheck = false // the entry does not decode, or holds another type
	}
	if st.obs != nil {
		st.obs.missOrError(ctx, err)
	}
	return c.fillSeen(ctx, st, key, k, recheck, nil, seen) // miss.go
}

// fill is the miss path of key: inside the key's single flight, on the
// run's context, it reads the entry once more when recheck is set (another
// caller may have filled it between the first read and the start of the
// flight; with a mark, only if a write of key may have finished since the
// mark), runs the function, and writes its result unless a newer write of
// the key was made since the flight started: the callers still receive the
// result. A failed write is reported, not returned (fail-open); a function
// error is returned and nothing is written, unless NegativeCache calls the
// outcome "not found": then a negative entry is written (negative.go). It is strategy.Fill on the
// typed path: an entry of another type (or one that no longer decodes) is
// never returned as the result.
func (c *core[K, R]) fill(ctx context.Context, st *Cache[R], key string, k K, recheck bool, mark *rope.WriteMark) (R, error) {
	return c.fillSeen(ctx, st, key, k, recheck, mark, rope.Seen{}) // miss.go
}

// onEntry runs one single-entry sub-function for k on the store layer
// that serves it: through the custom strategy with the invocation's Op, or
// on the typed path. When Choose bypasses the cache it runs bypass, if
// set, and otherwise does nothing.
func onEntry[K, R, T any](ctx context.Context, c *core[K, R], k K,
	custom func(op strategy.Op) (T, error),
	typed func(st *Cache[R], key string) (T, error),
	bypass func() (T, error),
) (T, error) {
	key, st, err := c.target(ctx, k)
	switch {
	case err != nil:
		var zero T
		return zero, err
	case st == nil && bypass != nil:
		return bypass()
	case st == nil:
		var zero T
		return zero, nil
	case c.strategy != nil:
		return custom(c.op(st, key, k))
	}
	return typed(st, key)
}

// found is a value and whether it was found, for onEntry.
type found[R any] struct {
	v  R
	ok bool
}

func (c *core[K, R]) get(ctx context.Context, k K) (R, bool, error) {
	f, err := onEntry(ctx, c, k, func(op strategy.Op) (found[R], error) {
		v, ok, err := c.strategy.Get(ctx, op)
		if err != nil || !ok {
			return found[R]{}, err
		}
		r, ok := c.fromStrategy(op, v)
		return found[R]{r, ok}, nil
	}, func(st *Cache[R], key string) (found[R], error) {
		r, ok, err := st.readLive(ctx, key) // reported; Near: near.go
		return found[R]{r, ok}, err
	}, nil)
	return f.v, f.ok, err
}

func (c *core[K, R]) update(ctx context.Context, k K) (R, error) {
	return onEntry(ctx, c, k, func(op strategy.Op) (R, error) {
		return result[R](c.strategy.Update(ctx, op))
	}, func(st *Cache[R], key string) (R, error) {
		r, err := c.execLoad(rope.Outside(ctx), st, observe.LoadUpdate, k)
		if st.neg != nil {
			if t, ok := st.neg.classify(any(r), err); ok {
				if werr := st.writeNegative(ctx, key, t); werr != nil {
					return r, errors.Join(err, werr)
				}
				return r, err
			}
		}
		if err != nil {
			return r, err
		}
		return r, st.put(ctx, key, r)
	}, func() (R, error) { return c.exec(ctx, k) })
}

// none is the result of the sub-functions that return only an error.
type none struct{}

func (c *core[K, R]) set(ctx context.Context, v R, k K) error {
	_, err := onEntry(ctx, c, k, func(op strategy.Op) (none, error) {
		return none{}, c.strategy.Set(ctx, op, v)
	}, func(st *Cache[R], key string) (none, error) {
		return none{}, st.put(ctx, key, v)
	}, nil)
	return err
}

func (c *core[K, R]) delete(ctx context.Context, k K) error {
	_, err := onEntry(ctx, c, k, func(op strategy.Op) (none, error) {
		return none{}, c.strategy.Delete(ctx, op)
	}, func(st *Cache[R], key string) (none, error) {
		return none{}, st.remove(ctx, key)
	}, nil)
	return err
}

func (c *core[K, R]) has(ctx context.Context, k K) (bool, error) {
	return onEntry(ctx, c, k, func(op strategy.Op) (bool, error) {
		return c.strategy.Has(ctx, op)
	}, func(st *Cache[R], key string) (bool, error) {
		return st.hasLive(ctx, key)
	}, nil)
}

func (c *core[K, R]) touch(ctx context.Context, k K) error {
	_, err := onEntry(ctx, c, k, func(op strategy.Op) (none, error) {
		return none{}, c.strategy.Touch(ctx, op)
	}, func(st *Cache[R], key string) (none, error) {
		return none{}, st.touch(ctx, key)
	}, nil)
	return err
}

func (c *core[K, R]) execute(ctx context.Context, k K) (R, error) {
	if c.strategy == nil {
		return c.exec(ctx, k)
	}
	key, err := c.key(k)
	if err != nil {
		var zero R
		return zero, err
	}
	return result[R](c.strategy.Execute(ctx, c.op(c.store, key, k)))
}

func (c *core[K, R]) encode(v R) ([]byte, error) { return c.store.encodeValue(v) }

func (c *core[K, R]) decode(data []byte) (R, error) { return c.store.decodeValue(data) }

// cache returns the Cache over this ring's entries: the key of an argument
// tuple is the part of the ring's key after "prefix:".
func (c *core[K, R]) cache() *Cache[R] { return c.store }

func (c *core[K, R]) storage() backends.Storage { return c.store.store }

// Bulk forms.
