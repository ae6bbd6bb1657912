package ring

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/wire"
)

// component appends one key component for the argument tuple k.
type component[K any] func(dst []byte, k K) ([]byte, error)

// core is the implementation shared by every ring type: K is the tuple of
// key arguments (a single type for one argument, ArgsN for more), R the
// result type. It is built once, by reflection, and the call path only runs
// the precomputed plan: typed key components, a typed function call, and a
// type assertion on the value the storage returns.
type core[K any, R any] struct {
	rope    *wire.Rope
	shape   *descriptor.Shape
	name    string
	prefix  string
	comps   []component[K]
	keyFunc func(args ...any) string
	// keyHint is the length of a recent key: the size of the next key's
	// buffer.
	keyHint atomic.Int32
	// refactor is set when the backend rewrites keys (memcached).
	refactor bool
	// hashed, when not nil, replaces the argument part of every key with
	// its hash (HashKeys).
	hashed  *keyHasher
	exec    func(ctx context.Context, k K) (R, error)
	toAny   func(k K) []any
	fromAny func(args []any) (K, error)
	// choose, if set, picks the storage per call (nil: bypass the cache);
	// ropes holds a rope per chosen storage.
	choose func(ctx context.Context, key string, args []any) backends.Storage
	ropes  sync.Map
	// decodeR decodes stored bytes into R; nil when the ring stores Go
	// values as they are (no coder).
	decodeR func([]byte) (R, error)
	// checkValue, if set, checks values given to the untyped view against
	// the function's result type (rings from New, where R is any).
	checkValue func(v any) error
	// bulk bounds how many functions a bulk form runs at once (0: the
	// default, DefaultBulkConcurrency).
	bulk int
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
	b := make([]byte, 0, hint)
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
	if c.hashed != nil && err == nil {
		b = c.hashed.tail(b, len(c.prefix))
	}
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
	if c.refactor {
		s = c.rope.RefactorKey(s)
	}
	return s, nil
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

// tail replaces what follows the prefix and its ':' in b with the hex
// digest of it: fixed-length keys for long arguments.
func (k *keyHasher) tail(b []byte, prefixLen int) []byte {
	if len(b) <= prefixLen {
		return b
	}
	p := k.pool.Get().(*pooledHash)
	p.h.Reset()
	_, _ = p.h.Write(b[prefixLen+1:]) // a hash.Hash never returns an error
	p.sum = p.h.Sum(p.sum[:0])
	b = hex.AppendEncode(b[:prefixLen+1], p.sum)
	k.pool.Put(p)
	return b
}

func (c *core[K, R]) op(rope *wire.Rope, key string, k K) wire.Op {
	return wire.NewOp(rope, key, func(ctx context.Context) (any, error) {
		return c.exec(ctx, k)
	})
}

// target returns the key of k and the rope that serves it: the ring's own,
// or the one of the storage a Choose function picked; nil when it chose to
// bypass the cache.
func (c *core[K, R]) target(ctx context.Context, k K) (string, *wire.Rope, error) {
	key, err := c.key(k)
	if err != nil || c.choose == nil {
		return key, c.rope, err
	}
	st := c.choose(ctx, key, c.toAny(k))
	switch {
	case st == nil:
		return key, nil, nil
	case st == c.rope.Storage():
		return key, c.rope, nil
	}
	if !reflect.TypeOf(st).Comparable() {
		return key, nil, fmt.Errorf("ring: %s: Choose returned a %T, which cannot be compared: return a pointer", c.name, st)
	}
	if r, ok := c.ropes.Load(st); ok {
		return key, r.(*wire.Rope), nil
	}
	cfg := c.rope.Config()
	cfg.Storage = st
	rope, err := wire.NewRope(cfg)
	if err != nil {
		return key, nil, err
	}
	r, _ := c.ropes.LoadOrStore(st, rope)
	return key, r.(*wire.Rope), nil
}

// perItem reports whether bulk forms must go item by item: a custom
// strategy or a per-call storage choice.
func (c *core[K, R]) perItem() bool { return c.rope.CustomStrategy() || c.choose != nil }

// value converts what the rope returned into R. A value of another type
// (another ring wrote under the same key) is a miss.
func (c *core[K, R]) value(key string, v any) (R, bool) {
	if v == nil {
		var zero R
		return zero, true
	}
	r, ok := v.(R)
	if !ok {
		c.rope.Report("decode", key, fmt.Errorf("stored value is %T, want %v", v, reflect.TypeFor[R]()))
	}
	return r, ok
}

func (c *core[K, R]) result(v any, err error) (R, error) {
	r, _ := v.(R)
	return r, err
}

// call is the default action: GetOrUpdate, failing open.
func (c *core[K, R]) call(ctx context.Context, k K) (R, error) {
	key, rope, err := c.target(ctx, k)
	if err != nil {
		var zero R
		return zero, err
	}
	if rope == nil {
		return c.exec(ctx, k)
	}
	if rope.CustomStrategy() {
		return c.result(rope.Strategy().GetOrUpdate(ctx, c.op(rope, key, k)))
	}
	v, ok, err := rope.Storage().Get(ctx, key)
	recheck := err == nil
	if err != nil {
		rope.Report("get", key, err)
	} else if ok {
		if r, ok := c.stored(key, v); ok {
			return r, nil
		}
		recheck = false // the entry does not decode, or holds another type
	}
	return c.result(wire.Fill(ctx, c.op(rope, key, k), recheck))
}

func (c *core[K, R]) get(ctx context.Context, k K) (R, bool, error) {
	var zero R
	key, rope, err := c.target(ctx, k)
	if err != nil || rope == nil {
		return zero, false, err
	}
	v, ok, err := rope.Strategy().Get(ctx, c.op(rope, key, k))
	if err != nil || !ok {
		return zero, false, err
	}
	r, ok := c.value(key, v)
	return r, ok, nil
}

func (c *core[K, R]) update(ctx context.Context, k K) (R, error) {
	key, rope, err := c.target(ctx, k)
	if err != nil {
		var zero R
		return zero, err
	}
	if rope == nil {
		return c.exec(ctx, k)
	}
	return c.result(rope.Strategy().Update(ctx, c.op(rope, key, k)))
}

func (c *core[K, R]) getOrUpdate(ctx context.Context, k K) (R, error) {
	return c.call(ctx, k)
}

func (c *core[K, R]) set(ctx context.Context, v R, k K) error {
	key, rope, err := c.target(ctx, k)
	if err != nil || rope == nil {
		return err
	}
	return rope.Strategy().Set(ctx, c.op(rope, key, k), v)
}

func (c *core[K, R]) delete(ctx context.Context, k K) error {
	key, rope, err := c.target(ctx, k)
	if err != nil || rope == nil {
		return err
	}
	return rope.Strategy().Delete(ctx, c.op(rope, key, k))
}

func (c *core[K, R]) has(ctx context.Context, k K) (bool, error) {
	key, rope, err := c.target(ctx, k)
	if err != nil || rope == nil {
		return false, err
	}
	return rope.Strategy().Has(ctx, c.op(rope, key, k))
}

func (c *core[K, R]) touch(ctx context.Context, k K) error {
	key, rope, err := c.target(ctx, k)
	if err != nil || rope == nil {
		return err
	}
	return rope.Strategy().Touch(ctx, c.op(rope, key, k))
}

func (c *core[K, R]) execute(ctx context.Context, k K) (R, error) {
	if !c.rope.CustomStrategy() {
		return c.exec(ctx, k)
	}
	key, err := c.key(k)
	if err != nil {
		var zero R
		return zero, err
	}
	return c.result(c.rope.Strategy().Execute(ctx, c.op(c.rope, key, k)))
}

func (c *core[K, R]) encode(v R) ([]byte, error) { return c.rope.Encode(v) }

func (c *core[K, R]) decode(data []byte) (R, error) {
	v, err := c.rope.Decode(data)
	if err != nil {
		var zero R
		return zero, err
	}
	r, ok := c.value("", v)
	if !ok {
		return r, fmt.Errorf("ring: %s: decode: got %T, want %v", c.name, v, reflect.TypeFor[R]())
	}
	return r, nil
}

func (c *core[K, R]) storage() backends.Storage { return c.rope.Storage() }

// Bulk forms.

func (c *core[K, R]) keyMany(ks []K) ([]string, error) {
	keys := make([]string, len(ks))
	for i, k := range ks {
		key, err := c.key(k)
		if err != nil {
			return nil, named(c.name, fmt.Sprintf("argument set %d", i), err)
		}
		keys[i] = key
	}
	return keys, nil
}

// itemErr annotates the error of item i of a bulk call.
type itemErr struct {
	i   int
	err error
}

func (e itemErr) Error() string { return fmt.Sprintf("argument set %d: %v", e.i, e.err) }
func (e itemErr) Unwrap() error { return e.err }

func joinItems(errs []error) error {
	var out []error
	for i, err := range errs {
		if err != nil {
			out = append(out, itemErr{i: i, err: err})
		}
	}
	return errors.Join(out...)
}

// each runs fn for every tuple, one by one, and joins the errors, each
// naming its argument set.
func each[K, T any](ks []K, fn func(K) (T, error)) ([]T, error) {
	out := make([]T, len(ks))
	errs := make([]error, len(ks))
	for i, k := range ks {
		out[i], errs[i] = fn(k)
	}
	return out, joinItems(errs)
}

// eachErr is each for sub-functions that return only an error.
func eachErr[K any](ks []K, fn func(K) error) error {
	_, err := each(ks, func(k K) (struct{}, error) { return struct{}{}, fn(k) })
	return err
}

func (c *core[K, R]) executeMany(ctx context.Context, ks []K) ([]R, error) {
	return each(ks, func(k K) (R, error) { return c.execute(ctx, k) })
}

func (c *core[K, R]) getMany(ctx context.Context, ks []K) ([]R, []bool, error) {
	out := make([]R, len(ks))
	found := make([]bool, len(ks))
	if c.perItem() {
		errs := make([]error, len(ks))
		for i, k := range ks {
			out[i], found[i], errs[i] = c.get(ctx, k)
		}
		return out, found, joinItems(errs)
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, nil, err
	}
	out, found, err = c.loadMany(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	return out, found, nil
}

// loadMany reads keys in one round trip where the backend can and converts
// what it finds to R: encoded entries are read as bytes and decoded straight
// into R, without boxing each one in an interface.
func (c *core[K, R]) loadMany(ctx context.Context, keys []string) ([]R, []bool, error) {
	out := make([]R, len(keys))
	found := make([]bool, len(keys))
	if c.decodeR != nil {
		bs, err := backends.GetManyBytes(ctx, c.rope.Storage(), keys)
		if err != nil {
			return nil, nil, err
		}
		for i, b := range bs {
			if b != nil {
				out[i], found[i] = c.decodeStored(keys[i], b)
			}
		}
		return out, found, nil
	}
	values, ok, err := backends.GetMany(ctx, c.rope.Storage(), keys)
	if err != nil {
		return nil, nil, err
	}
	for i := range keys {
		if ok[i] {
			out[i], found[i] = c.value(keys[i], values[i])
		}
	}
	return out, found, nil
}

// stored converts what the storage holds into R: the value itself on an
// in-process backend without a coder, decoded bytes otherwise. A value that
// does not convert or decode is a miss, reported to OnError.
func (c *core[K, R]) stored(key string, v any) (R, bool) {
	if c.decodeR == nil {
		return c.value(key, v)
	}
	b, ok := v.([]byte)
	if !ok {
		c.rope.Report("decode", key, fmt.Errorf("stored value is %T, not []byte", v))
		var zero R
		return zero, false
	}
	return c.decodeStored(key, b)
}

func (c *core[K, R]) decodeStored(key string, b []byte) (R, bool) {
	r, err := c.decodeR(b)
	if err != nil {
		c.rope.Report("decode", key, err)
		return r, false
	}
	return r, true
}

// getOrUpdateMany reads every key in one round trip, then runs the misses
// concurrently (at most c.bulk at once), each inside its key's single
// flight, the same as Call's: one execution per key across Call and the bulk
// forms, each written (unless a newer write of its key came first) before
// its flight ends. Like Call it fails open: storage errors are reported,
// function errors returned per item.
func (c *core[K, R]) getOrUpdateMany(ctx context.Context, ks []K) ([]R, error) {
	if c.perItem() {
		return eachParallel(c.bulkLimit(), ks, func(k K) (R, error) { return c.call(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, err
	}
	// A miss is read again inside its flight only if some write finished
	// after the bulk read began (a concurrent Call's fill, say): otherwise
	// nothing can have stored it since, and the one bulk read suffices.
	fctx, mark := c.rope.MarkWrites(ctx)
	out, found, err := c.loadMany(ctx, keys)
	recheck := err == nil
	if err != nil {
		c.rope.Report("get many", "", err)
		out, found = make([]R, len(keys)), make([]bool, len(keys))
	}
	errs := make([]error, len(ks))
	// first[key] is the first item of each missed key; later items with the
	// same key copy its result.
	var misses []int
	var first map[string]int
	for i := range ks {
		if found[i] {
			continue
		}
		if first == nil {
			first = make(map[string]int)
		}
		if _, ok := first[keys[i]]; !ok {
			first[keys[i]] = i
			misses = append(misses, i)
		}
	}
	parallel(len(misses), c.bulkLimit(), func(j int) {
		i := misses[j]
		errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
		out[i], errs[i] = c.fill(fctx, keys[i], ks[i], recheck, mark)
	})
	for i := range ks {
		if !found[i] {
			if f := first[keys[i]]; f != i {
				out[i], errs[i] = out[f], errs[f]
			}
		}
	}
	return out, joinItems(errs)
}

// fill is the miss path of one key of a bulk call: wire.Fill with a typed
// re-check, so that an entry of another type (or one that no longer
// decodes) is never returned as the result. The re-check runs when recheck
// is set and a write of key may have finished since mark (not counting the
// fills of this bulk call).
func (c *core[K, R]) fill(ctx context.Context, key string, k K, recheck bool, mark *wire.WriteMark) (R, error) {
	op := c.op(c.rope, key, k)
	return c.result(c.rope.Flight(ctx, key, func(ctx context.Context) (any, error) {
		if recheck && mark.WrittenSince(key) {
			if v, ok, err := c.rope.Storage().Get(ctx, key); err == nil && ok {
				if r, ok := c.stored(key, v); ok {
					return r, nil
				}
			}
		}
		v, err := op.Execute(ctx)
		if err != nil {
			return v, err
		}
		if err := op.Store(ctx, key, v); err != nil {
			c.rope.Report("set", key, err)
		}
		return v, nil
	}))
}

// updateMany runs the function for every item, at most c.bulk at once, and
// writes the results in one round trip: a newer write of every key, which
// fills in flight do not undo.
func (c *core[K, R]) updateMany(ctx context.Context, ks []K) ([]R, error) {
	if c.perItem() {
		return eachParallel(c.bulkLimit(), ks, func(k K) (R, error) { return c.update(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, err
	}
	out, errs := make([]R, len(ks)), make([]error, len(ks))
	parallel(len(ks), c.bulkLimit(), func(i int) {
		errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
		out[i], errs[i] = c.exec(ctx, ks[i])
	})
	var wkeys []string
	var wvals []any
	for i := range ks {
		if errs[i] == nil {
			wkeys = append(wkeys, keys[i])
			wvals = append(wvals, out[i])
		}
	}
	if err := c.rope.StoreMany(ctx, wkeys, wvals); err != nil {
		return out, errors.Join(err, joinItems(errs))
	}
	return out, joinItems(errs)
}

func (c *core[K, R]) setMany(ctx context.Context, values []R, ks []K) error {
	if len(values) != len(ks) {
		return fmt.Errorf("ring: %s: set many: %d values for %d argument sets", c.name, len(values), len(ks))
	}
	if c.perItem() {
		errs := make([]error, len(ks))
		for i, k := range ks {
			errs[i] = c.set(ctx, values[i], k)
		}
		return joinItems(errs)
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return err
	}
	vals := make([]any, len(values))
	for i, v := range values {
		vals[i] = v
	}
	return c.rope.StoreMany(ctx, keys, vals)
}

func (c *core[K, R]) deleteMany(ctx context.Context, ks []K) error {
	if c.perItem() {
		return eachErr(ks, func(k K) error { return c.delete(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return err
	}
	return c.rope.RemoveMany(ctx, keys)
}

func (c *core[K, R]) hasMany(ctx context.Context, ks []K) ([]bool, error) {
	if c.perItem() {
		return each(ks, func(k K) (bool, error) { return c.has(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, err
	}
	return backends.HasMany(ctx, c.rope.Storage(), keys)
}

func (c *core[K, R]) touchMany(ctx context.Context, ks []K) error {
	if c.perItem() {
		return eachErr(ks, func(k K) error { return c.touch(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return err
	}
	return c.rope.TouchMany(ctx, keys)
}
