package backends

import (
	"sync/atomic"
	"time"
)

// The coarse clock of the in-process hit paths (Concurrent's reads and
// ring's near tier): a hit checks its entry's deadline against a reading
// that a ticker goroutine refreshes every millisecond, one load of one
// word, instead of reading the system clock (a third of a near hit's time
// on a VM). It lives here, not in a package of its own, because ring's
// LRU-only program may link no more packages.
//
// Staleness bound: a deadline less than coarseMargin (50ms) ahead of the
// coarse reading is checked against the exact clock, so an entry expires
// exactly on time whenever the coarse reading lags the exact clock by
// less than coarseMargin: a tick plus the ticker goroutine's scheduling
// delay. Only when that goroutine is kept off the CPU for longer can an
// entry be read after its deadline, late by at most that delay minus
// coarseMargin. With every CPU busy, Go's scheduler gives a runnable
// goroutine a turn about every 10ms time slice per goroutine queued ahead
// of it: TestCoarseLagUnderLoad measured a worst lag of 20ms with twice as
// many spinning goroutines as CPUs (2 shared CPUs), and 74ms once in a
// -race run of a whole test suite with other processes on the same CPUs
// (entries late by up to 24ms then). The coarse reading
// never runs ahead of the exact clock, so an entry never expires early.
//
// The goroutine has an owner and a stop: the package starts it on the
// first read, and it stops itself when it has not been read for between
// one and two idle periods (50ms each); the next read starts it again and
// is judged by the exact clock. Readers write no shared memory on a hit:
// they load the word; the first read after an idle check marks it read
// again (one compare-and-swap per idle period for all readers together).

const (
	// coarseTick is how often the coarse reading is refreshed.
	coarseTick = time.Millisecond
	// coarseMargin is how far ahead of the coarse reading a deadline must
	// be for the coarse reading alone to judge it.
	coarseMargin = 50 * time.Millisecond
	// coarseIdle is the idle period: the ticker checks this often whether
	// it was read since its last check, and stops if not.
	coarseIdle = 50 * time.Millisecond
)

// coarseWord holds a reading (ClockNow) with its two low bits replaced by
// the ticker's state.
var coarseWord atomic.Uint64

const (
	coarseStopped = 0 // no ticker: the reading is stale
	coarseRead    = 1 // ticking, read since the last idle check
	coarseUnread  = 2 // ticking, not read since the last idle check
	coarseState   = 3 // the state bits
)

// coarseStarts counts the ticker goroutines started (tests).
var coarseStarts atomic.Int64

// ClockNow returns the exact reading of the in-process backends' monotonic
// clock: nanoseconds since an origin taken when the program started. Its
// readings plus a duration are the deadlines that ClockBefore judges.
func ClockNow() int64 { return int64(time.Since(epoch)) }

// ClockBefore reports whether the clock has not reached deadline (a
// ClockNow reading plus a duration), like ClockNow() < deadline but much
// cheaper: a deadline more than 50ms ahead of a coarse reading refreshed
// every millisecond is judged by that reading, a nearer one by the exact
// clock. It is never early, and late only when the goroutine refreshing
// the reading is kept off the CPU for more than 50ms (by that delay minus
// 50ms). It takes no lock and writes no shared memory but once per 50ms.
// It is the expiry check of Concurrent's reads and of ring's near tier.
func ClockBefore(deadline int64) bool {
	w := coarseWord.Load()
	if w&coarseState == coarseRead && deadline-int64(w&^coarseState) > int64(coarseMargin) {
		return true
	}
	return clockBefore(w, deadline)
}

// clockBefore is ClockBefore's rare path: the ticker is stopped, unread
// since its last idle check, or the deadline is near.
func clockBefore(w uint64, deadline int64) bool {
	switch w & coarseState {
	case coarseUnread:
		coarseWord.CompareAndSwap(w, w&^coarseState|coarseRead)
		if deadline-int64(w&^coarseState) > int64(coarseMargin) {
			return true
		}
	case coarseStopped:
		now := ClockNow()
		if coarseWord.CompareAndSwap(w, uint64(now)&^coarseState|coarseRead) {
			coarseStarts.Add(1)
			go coarseTicker()
		}
		return now < deadline
	}
	return ClockNow() < deadline
}

// coarseTicker refreshes the reading every tick until an idle check finds
// that nobody read it since the previous check.
func coarseTicker() {
	t := time.NewTicker(coarseTick)
	defer t.Stop()
	last := ClockNow()
	for range t.C {
		n := ClockNow()
		check := n-last >= int64(coarseIdle)
		if check {
			last = n
		}
		now := uint64(n) &^ coarseState
		for {
			w := coarseWord.Load()
			st := w & coarseState
			if check {
				if st == coarseUnread {
					if coarseWord.CompareAndSwap(w, now|coarseStopped) {
						return
					}
					continue // a reader marked it read meanwhile
				}
				st = coarseUnread
			}
			if coarseWord.CompareAndSwap(w, now|st) {
				break
			}
		}
	}
}
