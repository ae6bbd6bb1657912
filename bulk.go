package ring

import (
	"context"
	"fmt"
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
// args[i]. It returns the storage's error.
func (b Bulk[K, R]) Get(ctx context.Context, args []K) (values []R, found []bool, err error) {
	return b.ops.getMany(ctx, args)
}

// Update runs the function for each argument set (at most BulkConcurrency
// at once) and writes the results in one round trip: results with an error
// are returned per set and not written.
func (b Bulk[K, R]) Update(ctx context.Context, args []K) ([]R, error) {
	return b.ops.updateMany(ctx, args)
}

// GetOrUpdate reads every entry in one round trip and runs the function
// for the misses only, at most BulkConcurrency at once, each inside its
// key's single flight as Call does (one run per key across Call and the
// bulk forms), writing its result before the flight ends. Like Call, it
// reports storage failures to OnError instead of returning them.
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
