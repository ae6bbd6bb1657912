// Package rope orders the writes of one ring's storage: the single flight
// of its misses and the rule that a fill (the write of a flight's result)
// never undoes a newer write of the same key. The root package's store
// layer (ring.Cache) writes through a Rope; package strategy hands a ring's
// entries to a Strategy as an Op, whose representation is defined here so
// that only the ring can make one.
package rope

import (
	"context"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/ringcache/ring/internal/flight"
)

// Rope is the shared state of the writes of one storage of one ring: the
// single flight of its misses and the stripe locks that order fills
// against newer writes. It is safe for concurrent use.
type Rope struct {
	flight flight.Group
	// stripes order a fill's write of a key against the newer writes of
	// the same key (see Commit and fillWrite); a key's stripe is given by
	// its flight.Hash, which a fill's run carries.
	stripes [numStripes]stripe
	// flusher is the storage, when it holds back events until the rope
	// releases its locks (see EventFlusher).
	flusher EventFlusher
	// watch, if set, is told of every write once its storage command has
	// run (SetWatcher).
	watch Watcher
}

// Watcher is told of a rope's writes once their storage commands have
// run, fills included, whatever their outcome: ring's Near tier drops its
// copies of the keys.
type Watcher interface {
	// Wrote is called for each key of a write.
	Wrote(key string)
	// WroteAll is called after a WriteAll.
	WroteAll()
}

// SetWatcher makes w the rope's Watcher; call it before the rope is used.
func (r *Rope) SetWatcher(w Watcher) { r.watch = w }

// stripe is the lock of the keys that hash to it, and the count of the
// writes of those keys that have finished (see WriteMark). Fills hold the
// lock as groupFill, newer writes as groupWrite (see groupLock). A stripe
// has a cache line of its own: the fills and writes of one stripe do not
// take the line of the next one's lock away from its users.
type stripe struct {
	mu     groupLock
	writes atomic.Uint64
	_      [64 - unsafe.Sizeof(groupLock{}) - 8]byte
}

// numStripes is the number of locks the keys of one rope are spread over:
// 64, so that a bulk write's set of stripes fits in a uint64.
const numStripes = 64

// EventFlusher is a storage wrapper that holds back the events it reports
// to a hook while the storage command that saw them may run under the
// rope's write locks (ring's guard does, for its circuit breaker's state
// changes): the rope calls FlushEvents after each write, once it has
// released them, so that a hook can use the ring.
type EventFlusher interface{ FlushEvents() }

// New returns the Rope of a storage; storage is asked only whether it is an
// EventFlusher.
func New(storage any) *Rope {
	r := &Rope{}
	r.flusher, _ = storage.(EventFlusher)
	return r
}

// Newer writes and fills.
//
// A fill (the write of a flight's result) must never write over a newer
// write of the same key: a Set, Update, Delete or their bulk forms that
// began after the flight started. Two things make this exact in one
// process:
//
//   - A write first forgets the key's run in flight (flight.Group.Forget),
//     which marks it stale and makes later callers start a run of their own.
//   - The fill's check of that mark and its storage command run under the
//     key's stripe lock (held as groupFill), and a write holds the same lock
//     (as groupWrite) across its storage command: a fill and a write of
//     one stripe exclude each other, while fills do not wait for one
//     another, nor writes for one another. So the storage receives the
//     fill's command either before the write's, or not at all. Two fills
//     that hold one stripe at once are of different keys, or one of them
//     is stale and skips its command: a write forgets a key's run before
//     it takes the lock, and a run started after that is the only one of
//     the key that is not stale.

// stripeOf returns the index of key's stripe.
func (r *Rope) stripeOf(key string) int { return stripeOfHash(flight.Hash(key)) }

// stripeOfHash returns the index of the stripe of a key whose flight.Hash
// is h.
func stripeOfHash(h uint64) int { return int(h % numStripes) }

// flushEvents delivers the events the storage held back, if it does.
func (r *Rope) flushEvents() {
	if r.flusher != nil {
		r.flusher.FlushEvents()
	}
}

// Commit runs do, the storage command that writes key. Called with the
// context a flight handed to its function (see Flight), it is that fill's
// write: do is skipped, and Commit returns nil, when a newer write of the
// flight's key was made since the flight started, or every caller of the
// flight has gone. Called with any other context it is a newer write
// itself: fills of key in flight will not write over it, and later callers
// of key do not join them.
//
// do runs under a lock of key's stripe: it must not call back into writes
// of the same rope, which would wait for that lock. A storage that reports
// events to a hook the user may write from holds them back until the rope
// has released its locks (EventFlusher).
func (r *Rope) Commit(ctx context.Context, key string, do func() error) error {
	defer r.flushEvents() // runs last: after the lock is released
	if run := r.flight.Running(ctx); run != nil {
		return r.fillWrite(ctx, run, do)
	}
	r.flight.Forget(key)
	st := &r.stripes[r.stripeOf(key)]
	st.mu.lock(groupWrite)
	defer st.mu.unlock()
	defer st.writes.Add(1)
	if r.watch != nil {
		defer r.watch.Wrote(key)
	}
	return do()
}

// fillWrite runs do unless run is stale, atomically with respect to newer
// writes of run's key. It counts as a write of the stripe either way, and
// as one of the WriteMark that ctx carries, if any.
func (r *Rope) fillWrite(ctx context.Context, run *flight.Run, do func() error) error {
	m, _ := ctx.Value(markKey{}).(*WriteMark)
	return r.fillMarked(run, m, do)
}

// FillCommit is Commit called with the context of run, a run of this
// rope's flight (FlightWork), by a caller that holds run and the
// WriteMark that context carries (nil if none): it looks neither up in
// the context. do is skipped, and FillCommit returns nil, when a newer
// write of run's key was made since the run started, or every caller of
// the run has gone. A run of another rope's flight (a misuse) makes it a
// newer write of key, as Commit with a context without a run.
func (r *Rope) FillCommit(run *flight.Run, mark *WriteMark, do func() error) error {
	if !r.flight.Owns(run) {
		return r.Commit(context.Background(), run.Key(), do)
	}
	if r.flusher != nil {
		defer r.flusher.FlushEvents() // runs last: after the lock is released
	}
	return r.fillMarked(run, mark, do)
}

// fillMarked is fillWrite with the context's WriteMark m (nil: none).
func (r *Rope) fillMarked(run *flight.Run, m *WriteMark, do func() error) error {
	i := stripeOfHash(run.Hash()) // the key's stripe, without hashing it again
	st := &r.stripes[i]
	st.mu.lock(groupFill)
	// Counted once the storage command has run, before the unlock, as
	// every write: a count taken before a read (MarkWrites, See) that
	// already holds this one is one taken after the value landed, so
	// that a read that began after it finds the value.
	defer st.fillDone()
	if m != nil && m.rope == r {
		m.own[i].Add(1)
	}
	if run.Stale() {
		return nil
	}
	if r.watch != nil {
		defer r.watch.Wrote(run.Key())
	}
	return do()
}

// fillDone ends a fill's write of the stripe: counted, then unlocked.
func (s *stripe) fillDone() {
	s.writes.Add(1)
	s.mu.unlock()
}

// Seen is a count of the finished writes of one key's stripe, taken
// before a read of the key (See), with the key's flight.Hash: a miss
// reads the key again inside its flight only if a write of the stripe
// finished since (WrittenSinceSeen).
type Seen struct {
	hash  uint64
	count uint64 // the count plus one; 0: none taken
}

// See returns the count of the finished writes of key's stripe: take it
// before the read whose miss may start a flight (FlightSeen).
func (r *Rope) See(key string) Seen {
	h := flight.Hash(key)
	return Seen{hash: h, count: r.stripes[stripeOfHash(h)].writes.Load() + 1}
}

// Hash returns the flight.Hash of the key the count was taken for.
func (s Seen) Hash() uint64 { return s.hash }

// Count returns the count, plus one, 0 for the zero Seen (no count
// taken): a word a caller can keep in place of a Seen.
func (s Seen) Count() uint64 { return s.count }

// WrittenSinceCount reports whether a write of the stripe of the key
// whose flight.Hash is h finished since count (Seen.Count) was taken:
// one atomic load. A count of 0 (none taken) reports true. Called inside
// the key's flight, by the run that started it, false means that no
// write the read before the flight could have missed landed: a write
// that finished since the count was taken is counted, and the fill of a
// run the caller did not join (another caller's flight of the same key)
// finished before the caller's run started, since a run leaves its
// flight only after its fill has written.
func (r *Rope) WrittenSinceCount(h, count uint64) bool {
	return count == 0 || r.stripes[stripeOfHash(h)].writes.Load() != count-1
}

// Write runs do, a storage command that writes every key of keys, as a
// newer write of each: their runs in flight are forgotten and do runs
// under their stripes' read locks, taken in stripe order so that bulk
// writes cannot deadlock.
func (r *Rope) Write(keys []string, do func() error) error {
	defer r.flushEvents() // runs last: after the locks are released
	var set uint64
	for _, k := range keys {
		r.flight.Forget(k)
		set |= 1 << r.stripeOf(k)
	}
	for s := set; s != 0; s &= s - 1 {
		r.stripes[bits.TrailingZeros64(s)].mu.lock(groupWrite)
	}
	defer func() {
		for s := set; s != 0; s &= s - 1 {
			st := &r.stripes[bits.TrailingZeros64(s)]
			st.writes.Add(1)
			st.mu.unlock()
		}
	}()
	if r.watch != nil {
		defer func() {
			for _, k := range keys {
				r.watch.Wrote(k)
			}
		}()
	}
	return do()
}

// WriteAll runs do, a storage command that may write any key of the rope
// (a Clear), as a newer write of every key.
func (r *Rope) WriteAll(do func() error) error {
	defer r.flushEvents() // runs last: after the locks are released
	r.flight.ForgetAll()
	for i := range r.stripes {
		r.stripes[i].mu.lock(groupWrite)
	}
	defer func() {
		for i := range r.stripes {
			r.stripes[i].writes.Add(1)
			r.stripes[i].mu.unlock()
		}
	}()
	if r.watch != nil {
		defer r.watch.WroteAll()
	}
	return do()
}

// Unordered runs do, a storage command that needs no ordering against
// fills (a Touch), and then delivers the events the storage held back.
func (r *Rope) Unordered(do func() error) error {
	defer r.flushEvents()
	return do()
}

// WriteMark tells whether a write of a key may have finished since the mark
// was made, not counting the fills made under a context that carries the
// mark. A bulk read uses it to skip the re-check of a miss that no write
// (a concurrent Call's fill, say) may have stored since the bulk read
// began. It is exact for writes that go through the rope and safe for
// concurrent use.
type WriteMark struct {
	rope   *Rope
	counts [numStripes]uint64
	// own counts the fills made under the mark's context, per stripe:
	// changed by fills, which share the stripe's lock (groupFill), and
	// read under it as groupWrite, which excludes them.
	own [numStripes]atomic.Uint64
}

// markKey is the context key of a WriteMark: one that the context
// Outside returns for a run's own context hides (flight.HiddenKey), so
// that a mark never reaches the function.
type markKey = flight.HiddenKey

// MarkWrites returns a WriteMark of the writes finished so far, and ctx
// carrying it: fills (see Flight) started with that context are the
// mark's own and do not count as writes since the mark.
func (r *Rope) MarkWrites(ctx context.Context) (context.Context, *WriteMark) {
	m := &WriteMark{rope: r}
	for i := range r.stripes {
		m.counts[i] = r.stripes[i].writes.Load()
	}
	return context.WithValue(ctx, markKey{}, m), m
}

// anyWrite is the mark of Always.
var anyWrite WriteMark

// Always returns a WriteMark that reports every key as written since:
// the mark of a read that must be checked again whatever happened. It
// belongs to no rope and no context: no fill is its own.
func Always() *WriteMark { return &anyWrite }

// WrittenSince reports whether a write that may concern key (one of key's
// stripe) finished since the mark was made, fills under the mark's context
// aside. False means that no write of key through the rope finished since.
// The mark of Always reports true.
func (m *WriteMark) WrittenSince(key string) bool {
	if m.rope == nil {
		return true
	}
	i := m.rope.stripeOf(key)
	st := &m.rope.stripes[i]
	st.mu.lock(groupWrite)
	defer st.mu.unlock()
	return st.writes.Load()-m.counts[i] > m.own[i].Load()
}

// Flight runs fn once per key across concurrent callers. fn receives the
// run's context: it keeps the values of the first caller's ctx, is not
// ended by any one caller's cancellation, and is cancelled when every
// caller has stopped waiting. Each caller returns as soon as its own ctx
// ends (with its error); the others still receive the result.
//
// Writes made with the run's context (Commit) are the fill's: they do not
// happen once a newer write of key was made, nor once every caller has
// gone. A caller that arrives after such a newer write does not join the
// run.
func (r *Rope) Flight(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	v, err, _ := r.flight.Do(ctx, key, fn)
	return v, err
}

// FlightShared is Flight that also reports whether the caller joined a
// run another caller had started (single flight coalesced it).
func (r *Rope) FlightShared(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error, bool) {
	return r.flight.Do(ctx, key, fn)
}

// FlightWork is FlightShared with the function given as a flight.Work and
// the run made in run, if this caller starts one (flight.Group.DoWork): a
// caller that keeps run in w's own struct pays one allocation for both.
func (r *Rope) FlightWork(ctx context.Context, key string, run *flight.Run, w flight.Work) (any, error, bool) {
	return r.flight.DoWork(ctx, key, run, w)
}

// FlightWorkHash is FlightWork for a caller that has hashed key already
// (Seen.Hash): h must be flight.Hash(key).
func (r *Rope) FlightWorkHash(ctx context.Context, key string, h uint64, run *flight.Run, w flight.Work) (any, error, bool) {
	return r.flight.DoWorkHash(ctx, key, h, run, w)
}

// Outside returns ctx without the run of a flight nor a WriteMark: the
// context for the wrapped function, whose own writes and fills are not the
// flight's.
func Outside(ctx context.Context) context.Context {
	if out, ok := flight.OutsideRun(ctx); ok {
		return out // a run's own context: its Outside hides the mark (markKey)
	}
	ctx = flight.Outside(ctx)
	if m, _ := ctx.Value(markKey{}).(*WriteMark); m != nil {
		ctx = context.WithValue(ctx, markKey{}, (*WriteMark)(nil))
	}
	return ctx
}
