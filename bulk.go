package ring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
)

// Bulk is the bulk forms of a ring's sub-functions: each takes a slice of
// argument sets of type K and does for every set what the sub-function of
// the same name does for one (see [Ring]), in one round trip where the
// backend can (a backend without a bulk command gets a correct loop). Get
// one from a ring's Many method. K is the key argument tuple: the argument
// itself for one argument, [Args2] or [Args3] for more; a method ring's
// tuples have the receiver first, a wire's leave it out.
//
// Errors of single argument sets are joined, each naming its set's index.
// A Bulk is a small value, safe for concurrent use.
type Bulk[K, R any] struct {
	ops bulkOps[K, R]
}

// bulkOps is what a Bulk runs on: a ring's core, a wire (which adds its
// receiver to each argument set), or the untyped view.
type bulkOps[K, R any] interface {
	keyMany(ks []K) ([]string, error)
	executeMany(ctx context.Context, ks []K) ([]R, error)
	getMany(ctx context.Context, ks []K) ([]R, []bool, error)
	updateMany(ctx context.Context, ks []K) ([]R, error)
	getOrUpdateMany(ctx context.Context, ks []K) ([]R, error)
	setMany(ctx context.Context, values []R, ks []K) error
	deleteMany(ctx context.Context, ks []K) error
	hasMany(ctx context.Context, ks []K) ([]bool, error)
	touchMany(ctx context.Context, ks []K) error
}

// Key returns the backend key of each argument set.
func (b Bulk[K, R]) Key(args []K) ([]string, error) { return b.ops.keyMany(args) }

// Execute runs the function for each argument set, one after the other,
// without reading or writing the cache.
func (b Bulk[K, R]) Execute(ctx context.Context, args []K) ([]R, error) {
	return b.ops.executeMany(ctx, args)
}

// Get reads every entry in one round trip; found[i] is false on a miss of
// args[i]. It returns the storage's error. With NegativeCache, a negative
// entry of args[i] is not found, and its error (as Get's) is joined into
// the error, naming i; values and found are then still returned.
func (b Bulk[K, R]) Get(ctx context.Context, args []K) (values []R, found []bool, err error) {
	return b.ops.getMany(ctx, args)
}

// Update runs the function for each argument set (at most BulkConcurrency
// at once; on a Batch ring, one call for all) and writes the results in one
// round trip: results with an error are returned per set and not written
// (with NegativeCache, a "not found" it lists is written as a negative
// entry, one write each).
func (b Bulk[K, R]) Update(ctx context.Context, args []K) ([]R, error) {
	return b.ops.updateMany(ctx, args)
}

// GetOrUpdate reads every entry in one round trip and runs the function
// for the misses only, at most BulkConcurrency at once, each inside its
// key's single flight as Call does (one run per key across Call and the
// bulk forms), writing its result before the flight ends. Like Call, it
// reports storage failures to OnError instead of returning them. On a
// batch function's ring (Batch) the misses share one call of the function
// and one bulk write, inside the flights of all of them.
func (b Bulk[K, R]) GetOrUpdate(ctx context.Context, args []K) ([]R, error) {
	return b.ops.getOrUpdateMany(ctx, args)
}

// Set caches values[i] as the result for args[i], in one round trip; the
// two slices must have the same length.
func (b Bulk[K, R]) Set(ctx context.Context, values []R, args []K) error {
	return b.ops.setMany(ctx, values, args)
}

// Delete removes the entries; absent entries are not an error.
func (b Bulk[K, R]) Delete(ctx context.Context, args []K) error {
	return b.ops.deleteMany(ctx, args)
}

// Has reports for each argument set whether an entry (not expired) is
// cached.
func (b Bulk[K, R]) Has(ctx context.Context, args []K) ([]bool, error) {
	return b.ops.hasMany(ctx, args)
}

// Touch resets the expiry of the entries to the ring's Expire; on a ring
// without one it returns an error wrapping ErrNoExpiry and changes nothing.
func (b Bulk[K, R]) Touch(ctx context.Context, args []K) error {
	return b.ops.touchMany(ctx, args)
}

// bound is the bulk view of a wire: it turns each argument set A into the
// core's tuple K by adding the wire's receiver.
type bound[A, K, R any] struct {
	c     *core[K, R]
	tuple func(a A) K
}

func (b bound[A, K, R]) tuples(as []A) []K {
	ks := make([]K, len(as))
	for i, a := range as {
		ks[i] = b.tuple(a)
	}
	return ks
}

func (b bound[A, K, R]) keyMany(as []A) ([]string, error) { return b.c.keyMany(b.tuples(as)) }

func (b bound[A, K, R]) executeMany(ctx context.Context, as []A) ([]R, error) {
	return b.c.executeMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) getMany(ctx context.Context, as []A) ([]R, []bool, error) {
	return b.c.getMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) updateMany(ctx context.Context, as []A) ([]R, error) {
	return b.c.updateMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) getOrUpdateMany(ctx context.Context, as []A) ([]R, error) {
	return b.c.getOrUpdateMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) setMany(ctx context.Context, values []R, as []A) error {
	return b.c.setMany(ctx, values, b.tuples(as))
}

func (b bound[A, K, R]) deleteMany(ctx context.Context, as []A) error {
	return b.c.deleteMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) hasMany(ctx context.Context, as []A) ([]bool, error) {
	return b.c.hasMany(ctx, b.tuples(as))
}

func (b bound[A, K, R]) touchMany(ctx context.Context, as []A) error {
	return b.c.touchMany(ctx, b.tuples(as))
}

// untypedBulk is the bulk view of the untyped Ring: each argument set is a
// []any, checked against the signature.
type untypedBulk struct{ c anyCore }

func (u untypedBulk) keyMany(argSets [][]any) ([]string, error) { return u.c.anyKeys(argSets) }

func (u untypedBulk) executeMany(ctx context.Context, argSets [][]any) ([]any, error) {
	v, _, err := u.c.anyMany(ctx, "execute", argSets, nil)
	return v, err
}

func (u untypedBulk) getMany(ctx context.Context, argSets [][]any) ([]any, []bool, error) {
	return u.c.anyMany(ctx, "get", argSets, nil)
}

func (u untypedBulk) updateMany(ctx context.Context, argSets [][]any) ([]any, error) {
	v, _, err := u.c.anyMany(ctx, "update", argSets, nil)
	return v, err
}

func (u untypedBulk) getOrUpdateMany(ctx context.Context, argSets [][]any) ([]any, error) {
	v, _, err := u.c.anyMany(ctx, "getorupdate", argSets, nil)
	return v, err
}

func (u untypedBulk) setMany(ctx context.Context, values []any, argSets [][]any) error {
	if len(values) != len(argSets) {
		return fmt.Errorf("ring: %s: set many: %d values for %d argument sets", u.c.shapeOf().Name, len(values), len(argSets))
	}
	_, _, err := u.c.anyMany(ctx, "set", argSets, values)
	return err
}

func (u untypedBulk) deleteMany(ctx context.Context, argSets [][]any) error {
	_, _, err := u.c.anyMany(ctx, "delete", argSets, nil)
	return err
}

func (u untypedBulk) hasMany(ctx context.Context, argSets [][]any) ([]bool, error) {
	_, found, err := u.c.anyMany(ctx, "has", argSets, nil)
	return found, err
}

func (u untypedBulk) touchMany(ctx context.Context, argSets [][]any) error {
	_, _, err := u.c.anyMany(ctx, "touch", argSets, nil)
	return err
}

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

// newKeyBuf returns the buffer keyManyShared builds keys in: a variable
// so that a test can keep the buffer and overwrite it after a call, to
// find any key that outlived the call without being copied.
var newKeyBuf = func(size int) []byte { return make([]byte, 0, size) }

// keyManyShared is keyMany with the keys carved from one buffer: one
// allocation for all of them instead of one per key. The buffer is never
// written again, so the keys stay valid, but a key kept beyond the call
// would keep the whole buffer alive: whatever keeps one copies it
// (strings.Clone). That is a miss's fill (getOrUpdateMany copies the keys
// of the misses), every event with a key (Cache.report copies it), and no
// backend's bulk read (backends.BulkGetter: a backend that keeps a key
// copies it); TestBulkSharedKeysNotRetained overwrites the buffer after
// calls to check. Rewritten keys (a Storage that refactors keys) are
// built one by one, as keyMany does.
func (c *core[K, R]) keyManyShared(ks []K) ([]string, error) {
	if c.store.refactor {
		return c.keyMany(ks)
	}
	hint := int(c.keyHint.Load())
	buf := newKeyBuf((hint + hint/8 + 2) * len(ks))
	keys := make([]string, len(ks))
	for i, k := range ks {
		start := len(buf)
		var err error
		if buf, err = c.appendKey(buf, k); err != nil {
			return nil, named(c.name, fmt.Sprintf("argument set %d", i), named(c.name, "key", err))
		}
		// Bytes before len(buf) are never written again (append writes
		// past them, or copies them to a larger array and leaves these).
		keys[i] = unsafe.String(unsafe.SliceData(buf[start:]), len(buf)-start)
	}
	if n := len(keys); n > 0 {
		if l := len(keys[n-1]); l > hint || l+16 < hint {
			c.keyHint.Store(int32(min(l, maxKeyHint)))
		}
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
	out, found, hits, err := c.store.loadManyLive(ctx, keys)
	if c.store.obs != nil {
		c.store.obs.bulk(ctx, len(keys), found, hits, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return out, found, joinItems(hits) // negative entries: NegativeCache
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
	if c.batch != nil {
		return c.batchGetOrUpdateMany(ctx, ks) // a batch function's ring: batch.go
	}
	var keys []string
	var err error
	if c.store.ahead != nil { // refresh-ahead keeps the keys of due hits: keys of their own
		keys, err = c.keyMany(ks)
	} else {
		keys, err = c.keyManyShared(ks)
	}
	if err != nil {
		return nil, err
	}
	// A miss is read again inside its flight only if some write finished
	// after the bulk read began (a concurrent Call's fill, say): otherwise
	// nothing can have stored it since, and the one bulk read suffices.
	fctx, mark := c.store.rope.MarkWrites(ctx)
	var (
		out   []R
		found []bool
		hits  []error
	)
	if c.store.ahead != nil { // a freshness policy: due hits are refreshed as Call's (batch_refresh.go)
		out, found, hits, err = c.loadManyAhead(ctx, c.store, keys, ks)
	} else {
		out, found, hits, err = c.store.loadMany(ctx, keys)
	}
	recheck := err == nil
	if err != nil {
		c.store.report("get many", "", err)
		out, found = make([]R, len(keys)), make([]bool, len(keys))
	}
	if c.store.obs != nil {
		c.store.obs.bulk(ctx, len(keys), found, hits, err)
	}
	var errs []error // all hits, the common case: none to report
	if hits != nil || !allTrue(found) {
		errs = make([]error, len(ks))
	}
	if hits != nil { // negative entries are Call's outcome, without a fill
		c.store.hitsAsCalls(hits, out, found, errs)
	}
	misses, first := distinctMisses(keys, found)
	for _, i := range misses {
		// A fill keeps its key (the store, the flight, events): a copy of
		// its own, not one that pins the other keys' buffer.
		keys[i] = strings.Clone(keys[i])
	}
	parallel(len(misses), c.bulkLimit(), func(j int) {
		i := misses[j]
		errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
		out[i], errs[i] = c.fill(fctx, c.store, keys[i], ks[i], recheck, mark)
	})
	copyRepeats(keys, found, first, out, errs)
	return out, joinItems(errs)
}

// distinctMisses returns the first item of each missed key (misses), and
// first[key], that item's index: later items with the same key copy its
// outcome (copyRepeats).
// allTrue reports whether every element of found is true.
func allTrue(found []bool) bool {
	for _, f := range found {
		if !f {
			return false
		}
	}
	return true
}

func distinctMisses(keys []string, found []bool) (misses []int, first map[string]int) {
	for i, key := range keys {
		if found[i] {
			continue
		}
		if first == nil {
			first = make(map[string]int)
		}
		if _, ok := first[key]; !ok {
			first[key] = i
			misses = append(misses, i)
		}
	}
	return misses, first
}

// copyRepeats gives every missed item whose key came earlier the outcome
// of its key's first item.
func copyRepeats[R any](keys []string, found []bool, first map[string]int, out []R, errs []error) {
	for i, key := range keys {
		if !found[i] {
			if f := first[key]; f != i {
				out[i], errs[i] = out[f], errs[f]
			}
		}
	}
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
	if c.batch != nil {
		out, errs = c.batchLoad(rope.Outside(ctx), c.store, observe.LoadUpdate, ks) // one call of a batch function
	} else {
		parallel(len(ks), c.bulkLimit(), func(i int) {
			errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
			out[i], errs[i] = c.execLoad(ctx, c.store, observe.LoadUpdate, ks[i])
		})
	}
	var wkeys []string
	var wvals []any
	for i := range ks {
		if t, ok := c.store.neg.classify(any(out[i]), errs[i]); ok { // NegativeCache
			if err := c.store.writeNegative(ctx, keys[i], t); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		} else if errs[i] == nil {
			wkeys = append(wkeys, keys[i])
			wvals = append(wvals, out[i])
		}
	}
	if err := c.store.putMany(ctx, wkeys, wvals); err != nil {
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
	return c.store.putMany(ctx, keys, vals)
}

func (c *core[K, R]) deleteMany(ctx context.Context, ks []K) error {
	if c.perItem() {
		return eachErr(ks, func(k K) error { return c.delete(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return err
	}
	return c.store.removeMany(ctx, keys)
}

func (c *core[K, R]) hasMany(ctx context.Context, ks []K) ([]bool, error) {
	if c.perItem() {
		return each(ks, func(k K) (bool, error) { return c.has(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, err
	}
	return backends.HasMany(ctx, c.store.store, keys)
}

func (c *core[K, R]) touchMany(ctx context.Context, ks []K) error {
	if c.perItem() {
		return eachErr(ks, func(k K) error { return c.touch(ctx, k) })
	}
	keys, err := c.keyMany(ks)
	if err != nil {
		return err
	}
	return c.store.touchMany(ctx, keys)
}

// bulkLimit returns the ring's BulkConcurrency.
func (c *core[K, R]) bulkLimit() int {
	if c.bulk > 0 {
		return c.bulk
	}
	return defaultBulkConcurrency
}

// parallel runs fn(0) .. fn(n-1) on at most limit goroutines at once and
// returns when every call has returned. With one item or a limit of 1 it
// runs them on the caller's goroutine. A panic in fn stops the goroutine it
// happened on (the others finish their items) and is raised again here,
// after all of them have stopped.
func parallel(n, limit int, fn func(i int)) {
	if n <= 1 || limit <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first any
	)
	for range min(n, limit) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { first = r })
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// eachParallel is each with the items run concurrently, at most limit at
// once.
func eachParallel[K, T any](limit int, ks []K, fn func(K) (T, error)) ([]T, error) {
	out := make([]T, len(ks))
	errs := make([]error, len(ks))
	parallel(len(ks), limit, func(i int) {
		errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
		out[i], errs[i] = fn(ks[i])
	})
	return out, joinItems(errs)
}
