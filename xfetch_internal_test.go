package ring

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestXFetchDueProbability: with delta and beta fixed, an entry with left
// before its expiry is due with probability exp(-left/(delta*beta)), the
// law of left <= delta*beta*-ln(U); checked at several points with a
// seeded source, 40000 draws each (the bound is over 7 standard
// deviations).
func TestXFetchDueProbability(t *testing.T) {
	src := rand.New(rand.NewPCG(7, 11))
	for _, beta := range []float64{0.5, 1, 2} {
		x := &xfetcher{beta: beta, u: src.Float64}
		x.delta.Store(int64(100 * time.Millisecond))
		for _, left := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
			const n = 40000
			due := 0
			for range n {
				if x.due(left) {
					due++
				}
			}
			want := math.Exp(-float64(left) / (float64(100*time.Millisecond) * beta))
			got := float64(due) / n
			if math.Abs(got-want) > 0.02 {
				t.Errorf("beta %v, left %v: due %.4f of the time, want %.4f", beta, left, got, want)
			}
		}
	}
}

// TestXFetchDueBounds: nothing is due before the function was measured,
// nor beyond the largest draw; an entry at its expiry is always due.
func TestXFetchDueBounds(t *testing.T) {
	x := &xfetcher{beta: 1, u: func() float64 { return 0.999999 }}
	if x.due(time.Nanosecond) {
		t.Error("due before any measure of the function")
	}
	var nilX *xfetcher
	if nilX.due(0) {
		t.Error("a ring without XFetch found an entry due")
	}
	x.delta.Store(int64(time.Millisecond))
	beyond := float64(time.Millisecond)*maxDraw + 1000
	if x.due(time.Duration(beyond)) {
		t.Error("due beyond the largest draw")
	}
	x.u = func() float64 { return 0 } // U = 1: -ln U = 0
	if !x.due(0) || x.due(time.Nanosecond) {
		t.Error("U = 1 makes exactly the entries at their expiry due")
	}
	x.u = func() float64 { return 1 - math.Exp(-1) } // -ln U = 1
	if !x.due(time.Millisecond-time.Microsecond) || x.due(time.Millisecond+time.Microsecond) {
		t.Error("-ln U = 1: due within delta*beta of expiry only")
	}
}

// TestXFetchObserve: delta starts at the first measure and moves an
// eighth of the way to each next one.
func TestXFetchObserve(t *testing.T) {
	x := &xfetcher{beta: 1}
	x.observe(80 * time.Millisecond)
	if got := time.Duration(x.delta.Load()); got != 80*time.Millisecond {
		t.Fatalf("delta %v after the first run, want 80ms", got)
	}
	x.observe(160 * time.Millisecond)
	if got := time.Duration(x.delta.Load()); got != 90*time.Millisecond {
		t.Fatalf("delta %v, want 90ms", got)
	}
	for range 200 {
		x.observe(10 * time.Millisecond)
	}
	if got := time.Duration(x.delta.Load()); got < 10*time.Millisecond || got > 11*time.Millisecond {
		t.Fatalf("delta %v after 200 runs of 10ms", got)
	}
	x.observe(0)
	if x.delta.Load() <= 0 {
		t.Fatal("delta must stay positive")
	}
}
