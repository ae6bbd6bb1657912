package backends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) add(d time.Duration) { c.t.Add(int64(d)) }
func newBreaker(c *fakeClock) *Breaker   { return &Breaker{now: c.now} }
func (b *Breaker) mustAllow(t *testing.T) bool {
	t.Helper()
	probe, ok := b.Allow()
	require.True(t, ok, "allowed in state %v", b.State())
	return probe
}

var errDown = errors.New("down")

func TestBreakerStates(t *testing.T) {
	var clock fakeClock
	clock.add(time.Hour)
	b := newBreaker(&clock)

	// No policy: it never opens.
	for range 100 {
		b.mustAllow(t)
		b.Failure(false, errDown)
	}
	require.Equal(t, BreakerClosed, b.State())
	b.Success(false)

	require.NoError(t, b.SetPolicy(3, time.Second))
	require.NoError(t, b.SetPolicy(3, time.Second), "the same policy again")
	require.EqualError(t, b.SetPolicy(4, time.Second), "ring: circuit breaker already set to open after 3 failures for 1s")
	require.Error(t, b.SetPolicy(0, time.Second))
	require.Error(t, (&Breaker{}).SetPolicy(1, 0))
	n, cd := b.Policy()
	require.Equal(t, 3, n)
	require.Equal(t, time.Second, cd)

	// A success between failures resets the count.
	for range 10 {
		b.Failure(false, errDown)
		b.Failure(false, errDown)
		b.Success(false)
	}
	require.Equal(t, BreakerClosed, b.State())
	require.Nil(t, b.LastFailure())
	require.True(t, b.Since().IsZero())

	// Three in a row open it, for the cool-down.
	b.Failure(false, errDown)
	b.Failure(false, errDown)
	b.Failure(false, fmt.Errorf("third: %w", errDown))
	require.Equal(t, BreakerOpen, b.State())
	require.EqualError(t, b.LastFailure(), "third: down")
	require.Equal(t, clock.now(), b.Since())
	_, ok := b.Allow()
	require.False(t, ok)
	clock.add(999 * time.Millisecond)
	_, ok = b.Allow()
	require.False(t, ok, "still cooling down")

	// Then one probe; the others are refused while it runs.
	clock.add(time.Millisecond)
	require.True(t, b.mustAllow(t), "the first after the cool-down probes")
	require.Equal(t, BreakerHalfOpen, b.State())
	for range 5 {
		_, ok = b.Allow()
		require.False(t, ok)
	}
	// Late outcomes of operations admitted before the breaker opened do
	// not change a half-open breaker.
	b.Success(false)
	b.Failure(false, errDown)
	require.Equal(t, BreakerHalfOpen, b.State())

	// The probe fails: open for another cool-down.
	b.Failure(true, errors.New("probe failed"))
	require.Equal(t, BreakerOpen, b.State())
	require.EqualError(t, b.LastFailure(), "probe failed")
	_, ok = b.Allow()
	require.False(t, ok)
	clock.add(time.Second)

	// A probe whose caller gave up hands the probe on at once.
	require.True(t, b.mustAllow(t))
	b.Abandon(true)
	require.Equal(t, BreakerOpen, b.State())
	require.True(t, b.mustAllow(t), "the next operation probes")

	// A probe slower than a cool-down lets another probe.
	_, ok = b.Allow()
	require.False(t, ok)
	clock.add(time.Second)
	require.True(t, b.mustAllow(t), "a second probe")

	// A probe succeeds: closed, the count starts again.
	b.Success(true)
	require.Equal(t, BreakerClosed, b.State())
	require.False(t, b.mustAllow(t))
	b.Failure(true, errDown) // a late probe of the same round counts as a failure
	b.Failure(false, errDown)
	require.Equal(t, BreakerClosed, b.State())
	b.Failure(false, errDown)
	require.Equal(t, BreakerOpen, b.State())
	b.Abandon(false) // not a probe: nothing
	require.Equal(t, BreakerOpen, b.State())
}

func TestBreakerStateString(t *testing.T) {
	require.Equal(t, "closed", BreakerClosed.String())
	require.Equal(t, "open", BreakerOpen.String())
	require.Equal(t, "half-open", BreakerHalfOpen.String())
	require.Equal(t, "BreakerState(7)", BreakerState(7).String())
}

// TestBreakerOneProbeAtATime hammers a breaker from many goroutines with a
// frozen clock: once open, exactly one of them gets the probe.
func TestBreakerOneProbeAtATime(t *testing.T) {
	var clock fakeClock
	b := newBreaker(&clock)
	require.NoError(t, b.SetPolicy(2, time.Second))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				if probe, ok := b.Allow(); ok {
					b.Failure(probe, errDown)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, BreakerOpen, b.State())
	clock.add(time.Second)
	var probes atomic.Int32
	for range 16 {
		wg.Go(func() {
			for range 200 {
				if probe, ok := b.Allow(); ok && probe {
					probes.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, probes.Load())
	require.Equal(t, BreakerHalfOpen, b.State())
}

func TestBreakerNodes(t *testing.T) {
	var clock fakeClock
	b := newBreaker(&clock)
	require.NoError(t, b.SetPolicy(2, time.Second))
	a, c := b.Node("a:1"), b.Node("c:1")
	require.Same(t, a, b.Node("a:1"))
	require.Equal(t, "a:1", a.NodeName())
	require.Equal(t, "", b.NodeName())
	n, cd := a.Policy()
	require.Equal(t, 2, n, "a node breaker has its storage's policy")
	require.Equal(t, time.Second, cd)
	a.Failure(false, errDown)
	a.Failure(false, errDown)
	require.Equal(t, BreakerOpen, a.State())
	require.Equal(t, BreakerClosed, c.State(), "one server's failures leave the others alone")
	require.Equal(t, BreakerClosed, b.State())
}

func TestBreakerOfCancelable(t *testing.T) {
	d := NewDict()
	require.Nil(t, BreakerOf(d))
	w := Cancelable(d)
	b := BreakerOf(w)
	require.NotNil(t, b)
	require.Same(t, b, BreakerOf(w), "one per wrapped value")
	require.NotSame(t, b, BreakerOf(Cancelable(d)), "one per Cancelable call")
}

func TestUnreachable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{refused, true},
		{fmt.Errorf("ring: backend redis: get \"k\": %w", refused), true},
		{fmt.Errorf("wrapped: %w", io.EOF), true},
		{io.ErrUnexpectedEOF, true},
		{syscall.ECONNRESET, true},
		{syscall.EPIPE, true},
		{net.ErrClosed, true},
		{os.ErrDeadlineExceeded, true}, // a connection's i/o timeout
		{context.DeadlineExceeded, false},
		{fmt.Errorf("x: %w", context.Canceled), false},
		{fmt.Errorf("ring: backend x: touch: %w", ErrNotSupported), false},
		{errors.New("value must be []byte"), false},
	} {
		require.Equal(t, c.want, Unreachable(c.err), "%v", c.err)
	}
}
