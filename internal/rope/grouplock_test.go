package rope

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// within fails t unless fn returns within d: a lost wake-up of a
// groupLock shows as a goroutine that never gets in.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: not done after %v (a waiter never got the lock)", what, d)
	}
}

// Many goroutines of both groups take and release one groupLock, some
// holding it across a yield or a sleep: a holder of one group never sees
// a holder of the other inside, holders of one group do share it (fills
// are not serialised), every goroutine gets in every time (the run ends),
// and the lock ends free with nobody queued.
func TestGroupLockExcludesTheOtherGroup(t *testing.T) {
	var l groupLock
	var in [2]atomic.Int64   // holders inside, per group
	var most [2]atomic.Int64 // the most holders of a group seen inside at once
	var bad atomic.Int64
	const goroutines, rounds = 48, 2000
	within(t, 60*time.Second, "stress", func() {
		var wg sync.WaitGroup
		for n := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(n), 1))
				for range rounds {
					g := group(rnd.IntN(2))
					if n%4 == 0 {
						g = groupWrite // some goroutines only write, some only fill
					} else if n%4 == 1 {
						g = groupFill
					}
					l.lock(g)
					c := in[g].Add(1)
					if in[1-g].Load() != 0 {
						bad.Add(1)
					}
					for m := most[g].Load(); c > m && !most[g].CompareAndSwap(m, c); m = most[g].Load() {
					}
					switch rnd.IntN(16) {
					case 0:
						time.Sleep(time.Duration(rnd.IntN(50)) * time.Microsecond)
					case 1, 2, 3:
						runtime.Gosched()
					}
					if in[1-g].Load() != 0 {
						bad.Add(1)
					}
					in[g].Add(-1)
					l.unlock()
				}
			}()
		}
		wg.Wait()
	})
	require.Zero(t, bad.Load(), "holders of both groups inside at once")
	require.Greater(t, most[groupFill].Load(), int64(1), "fills never shared the lock")
	require.Greater(t, most[groupWrite].Load(), int64(1), "writes never shared the lock")
	require.Zero(t, l.state.Load()&^stateGroup, "the lock ends free, nobody waiting")
	require.Equal(t, [2]uint32{}, l.nwait)
}

// A group that holds the lock without a break (its holders overlap)
// does not keep the other group out: once one of the other group waits,
// newcomers of the holding group wait behind it. Both ways round.
func TestGroupLockDoesNotStarveAGroup(t *testing.T) {
	for _, hold := range []group{groupFill, groupWrite} {
		var l groupLock
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var holding atomic.Int64
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					l.lock(hold)
					holding.Add(1)
					time.Sleep(200 * time.Microsecond)
					holding.Add(-1)
					l.unlock()
				}
			}()
		}
		for holding.Load() == 0 {
			runtime.Gosched()
		}
		for range 20 {
			within(t, 5*time.Second, "the other group", func() {
				l.lock(hold ^ 1)
				if holding.Load() != 0 {
					t.Error("the other group got in with holders inside")
				}
				l.unlock()
			})
		}
		close(stop)
		wg.Wait()
		require.Zero(t, l.state.Load()&^stateGroup)
	}
}

// When the last holder of a group leaves, every waiter of the other group
// is let in at once (they are holders together, not one after another),
// and then the waiters of the first group that queued behind them.
func TestGroupLockLetsAWaitingGroupInTogether(t *testing.T) {
	var l groupLock
	l.lock(groupWrite)
	const n = 5
	var inside sync.WaitGroup // every fill inside at once
	inside.Add(n)
	var fills sync.WaitGroup
	for range n {
		fills.Add(1)
		go func() {
			defer fills.Done()
			l.lock(groupFill)
			inside.Done()
			inside.Wait() // would never return if they came in one by one
			l.unlock()
		}()
	}
	waiting := func(g group, want uint32) {
		require.Eventually(t, func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.nwait[g] == want
		}, 5*time.Second, time.Millisecond)
	}
	waiting(groupFill, n)
	// A newcomer write queues behind the fills, though writes hold it.
	wrote := make(chan struct{})
	go func() {
		l.lock(groupWrite)
		close(wrote)
		l.unlock()
	}()
	waiting(groupWrite, 1)
	select {
	case <-wrote:
		t.Fatal("a write barged in ahead of the waiting fills")
	default:
	}
	l.unlock()
	within(t, 5*time.Second, "the fills", fills.Wait)
	within(t, 5*time.Second, "the write", func() { <-wrote })
	require.Zero(t, l.state.Load()&^stateGroup)
}

// Uncontended, taking and releasing the lock allocates nothing and
// leaves its state as it was.
func TestGroupLockFastPath(t *testing.T) {
	var l groupLock
	allocs := testing.AllocsPerRun(1000, func() {
		l.lock(groupFill)
		l.lock(groupFill)
		l.unlock()
		l.unlock()
		l.lock(groupWrite)
		l.unlock()
	})
	require.Zero(t, allocs)
	require.Zero(t, l.state.Load()&^stateGroup)
}

// BenchmarkGroupLock is the uncontended lock and unlock of a fill.
func BenchmarkGroupLock(b *testing.B) {
	var l groupLock
	for range b.N {
		l.lock(groupFill)
		l.unlock()
	}
}
