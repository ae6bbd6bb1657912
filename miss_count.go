package ring

import (
	"sync/atomic"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/rope"
)

// The miss on an in-process LRU or Dict: Call takes the count of the
// ring's finished writes of that storage before its read (one atomic load,
// no hash), and the miss reads again inside its flight only if a write
// finished since. A write of another key also counts (one counter for the
// whole storage): that only costs the miss the read it made before.

// writeCount counts the writes of a rope once their storage commands have
// run, fills included (a rope.Watcher, told after each command).
type writeCount struct{ n atomic.Uint64 }

// Wrote counts a write of one key.
func (w *writeCount) Wrote(string) { w.n.Add(1) }

// WroteAll counts a write of every key (a Clear).
func (w *writeCount) WroteAll() { w.n.Add(1) }

// see returns the count as a rope.Seen (without a hash).
func (w *writeCount) see() rope.Seen { return rope.SeenCount(w.n.Load()) }

// writtenSince reports whether a write finished since count (Seen.Count,
// 0: none taken, which reports true) was taken.
func (w *writeCount) writtenSince(count uint64) bool {
	return count == 0 || w.n.Load() != count-1
}

// countWrites returns the write count that Call takes before it reads
// storage, installed as r's Watcher, or nil where Call reads again
// instead: the storage is not an LRU or a Dict (through wrappers that
// Unwrap), or it talks to a server (seenCounted, miss.go). An LRU or a
// Dict serializes its writes under one lock, so one counter costs its
// writes no contention of their own; a sharded store (Concurrent) keeps
// the second read.
func countWrites(s backends.Storage, r *rope.Rope) *writeCount {
	if seenCounted(s) || !lockedInProcess(s) || r == nil {
		return nil
	}
	w := &writeCount{}
	r.SetWatcher(w)
	return w
}

// lockedInProcess reports whether s is an LRU or a Dict, or wraps one.
func lockedInProcess(s backends.Storage) bool {
	for range 8 { // wrappers of wrappers, but not forever
		switch s.(type) {
		case *backends.LRU, *backends.Dict:
			return true
		}
		u, ok := s.(interface{ Unwrap() backends.Storage })
		if !ok {
			return false
		}
		s = u.Unwrap()
	}
	return false
}
