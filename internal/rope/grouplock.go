package rope

import (
	"sync"
	"sync/atomic"
)

// group is one of the two groups of a groupLock's holders.
type group uint64

const (
	// groupWrite holds a stripe for newer writes (Commit's, Write,
	// WriteAll) and for WriteMark.WrittenSince: they exclude fills, not
	// one another.
	groupWrite group = 0
	// groupFill holds a stripe for fills (the writes of flights' results):
	// they exclude newer writes, not one another.
	groupFill group = 1
)

// groupLock is a lock held by any number of holders of one group at a
// time, never by holders of both groups at once: a stripe's fills share
// it, as its newer writes do, while a fill and a newer write exclude each
// other. (Two fills of one stripe are of different keys, or one of them
// is stale and skips its command: a write forgets its key's run before it
// takes the lock, so at most one run per key is not stale.)
//
// Taking it is one compare-and-swap when no holder of the other group
// has it and nobody waits; releasing it is one atomic add. A goroutine
// that must wait queues under a mutex and sleeps on a channel until a
// releaser hands it the lock. It is fair between the groups: once a
// goroutine of one group waits, newcomers of the group holding the lock
// wait too, and when the holders are gone every waiter of the other group
// is let in at once (or of the same group if the other has none), so
// neither group can keep the other out for ever. It starts no goroutine.
// The zero value is unlocked.
type groupLock struct {
	// state is the holders' count (the low 32 bits), their group
	// (stateGroup; meaningless when the count is 0) and whether a
	// goroutine waits (stateWait; set and cleared under mu).
	state atomic.Uint64
	// mu guards the waiters' queue: wait and nwait.
	mu sync.Mutex
	// nwait counts the goroutines of each group waiting.
	nwait [2]uint32
	// wait is, for each group that has waiters, the channel they sleep
	// on: closed when they are let in.
	wait [2]chan struct{}
}

const (
	stateCount = 1<<32 - 1 // the holders' count
	stateGroup = 1 << 32   // set: the holders are of groupFill
	stateWait  = 1 << 33   // set: a goroutine waits (nwait is not zero)
)

// groupBits returns the state's group bit of g.
func groupBits(g group) uint64 { return uint64(g) << 32 }

// lock takes l for a holder of group g.
func (l *groupLock) lock(g group) {
	s := l.state.Load()
	if s&stateWait == 0 && (s&stateCount == 0 || s&stateGroup == groupBits(g)) &&
		l.state.CompareAndSwap(s, (s&stateCount+1)|groupBits(g)) {
		return
	}
	l.lockSlow(g)
}

// lockSlow is lock when the fast path failed: the lock is held by the
// other group, a goroutine waits, or a compare-and-swap lost a race.
func (l *groupLock) lockSlow(g group) {
	l.mu.Lock()
	for {
		s := l.state.Load()
		n := s & stateCount
		if n == 0 && l.nwait[0]+l.nwait[1] != 0 {
			// The last holder has gone and its release waits for mu: let
			// the waiters in first, then look again.
			l.handoff(s)
			continue
		}
		if n == 0 || (s&stateGroup == groupBits(g) && l.nwait[1-g] == 0) {
			// Free, or held by g with nobody of the other group
			// waiting: join. (Waiters of g exist only while the other
			// group waits or holds it.)
			if l.state.CompareAndSwap(s, (n+1)|groupBits(g)|s&stateWait) {
				l.mu.Unlock()
				return
			}
			continue // a holder released it meanwhile
		}
		// Held by the other group, or by g while the other group waits:
		// queue. The flag set by a compare-and-swap that saw holders
		// makes the last of them hand the lock over (unlock).
		if s&stateWait == 0 && !l.state.CompareAndSwap(s, s|stateWait) {
			continue // a holder released it meanwhile
		}
		l.nwait[g]++
		if l.wait[g] == nil {
			l.wait[g] = make(chan struct{})
		}
		ch := l.wait[g]
		l.mu.Unlock()
		<-ch // closed by handoff, which counted this goroutine as a holder
		return
	}
}

// unlock releases l held by a holder of either group.
func (l *groupLock) unlock() {
	s := l.state.Add(^uint64(0)) // minus one
	if s&stateCount == 0 && s&stateWait != 0 {
		l.unlockSlow()
	}
}

// unlockSlow hands l over to its waiters once its last holder has gone,
// unless a goroutine that took mu before did (lockSlow).
func (l *groupLock) unlockSlow() {
	l.mu.Lock()
	if s := l.state.Load(); s&stateCount == 0 && l.nwait[0]+l.nwait[1] != 0 {
		l.handoff(s)
	}
	l.mu.Unlock()
}

// handoff lets in, as holders, every waiter of the group that did not hold
// l last if it has any, else every waiter of the other; s is l's state,
// with no holder and some waiter. Called with mu held.
func (l *groupLock) handoff(s uint64) {
	g := group(s&stateGroup>>32) ^ 1 // the group that waited for the last
	if l.nwait[g] == 0 {
		g ^= 1
	}
	n := uint64(l.nwait[g])
	l.nwait[g] = 0
	next := n | groupBits(g)
	if l.nwait[1-g] != 0 {
		next |= stateWait
	}
	// No one else changes the state now: it has the wait flag and no
	// holder, so lock's fast path and unlock cannot run on it.
	l.state.Store(next)
	close(l.wait[g])
	l.wait[g] = nil
}
