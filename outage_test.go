package ring_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// The outage tests run real servers through what a cache does in
// production: frozen (SIGSTOP), resumed, killed, refusing connections,
// restarted; for a Redis Cluster a master is frozen, then killed and its
// replica promoted. 64 callers make Calls with 300ms deadlines on a
// function that takes 1ms (each caller pausing 10ms between calls), against
// clients built with their libraries' defaults and ring's own defaults, so
// the bounds are ring's. They check
// that fail-open holds for latency, not only for correctness:
//
//   - at least 99% of the calls during the outage return the function's
//     correct result within their deadline;
//   - no call misses its deadline because of the cache: a call that is
//     late by no more than the stalls of the process during it (a watch
//     goroutine measures them: on a busy machine with the race detector
//     they reach a few hundred milliseconds) is counted, and reported, as
//     late because of the machine;
//   - no wrong result, no panic;
//   - caching resumes within about a second of the server's return (the
//     first hit after it; and at least half the calls of the last 500ms
//     are hits).
//
// TestOutageRedisUnguarded runs the same with ring's guard turned off and
// checks that calls then miss their deadlines: the test can fail.
//
// Run with -v to read the figures (docs/reliability.md records them):
//
//	go test -race -count=1 -run Outage -v .
const (
	outageCallers  = 64
	outageDeadline = 300 * time.Millisecond
	outageKeys     = 256
	outagePause    = 10 * time.Millisecond // between a caller's calls
	// outageResume is the longest wait for caching to resume after the
	// server's return that the tests accept ("about a second").
	outageResume = 1500 * time.Millisecond
)

// outageItem is what the cached function returns: V is a function of K
// alone, so a wrong result shows; At is when the function ran, so a result
// from before the call began came from the cache.
type outageItem struct {
	K  int    `json:"k"`
	V  string `json:"v"`
	At int64  `json:"at"`
}

func outageValue(k int) string { return "v" + strconv.Itoa(k*7919) }

func outageFunc(runs *counter) func(context.Context, int) (outageItem, error) {
	return func(_ context.Context, k int) (outageItem, error) {
		runs.add()
		time.Sleep(time.Millisecond)
		return outageItem{K: k, V: outageValue(k), At: time.Now().UnixNano()}, nil
	}
}

// outcome is one Call as a caller saw it.
type outcome struct {
	key        int
	start, end time.Time
	err        error
	wrong      bool
	hit        bool
}

func (o outcome) ok() bool            { return o.err == nil && !o.wrong }
func (o outcome) took() time.Duration { return o.end.Sub(o.start) }
func (o outcome) missed() bool        { return o.err != nil || o.took() >= outageDeadline }

// stall is a time the process did not run a goroutine that asked to: the
// machine was busy (other processes, the race detector, the collector).
type stall struct {
	at time.Time
	d  time.Duration
}

// watch records the process's stalls: a goroutine that sleeps 2ms over and
// over, and notes each wake-up more than 10ms late. A call that missed its
// deadline only by the stalls it lived through missed it because of the
// machine, not because of the cache.
func (l *outageLoad) watch() {
	for !l.quit.Load() {
		t0 := time.Now()
		time.Sleep(2 * time.Millisecond)
		if late := time.Since(t0) - 2*time.Millisecond; late > 10*time.Millisecond {
			l.stalls = append(l.stalls, stall{at: t0.Add(2 * time.Millisecond), d: late})
		}
	}
}

// stalled returns how long the process stalled while o ran.
func (l *outageLoad) stalled(o outcome) time.Duration {
	var sum time.Duration
	for _, st := range l.stalls {
		from, to := st.at, st.at.Add(st.d)
		if o.start.After(from) {
			from = o.start
		}
		if o.end.Before(to) {
			to = o.end
		}
		if to.After(from) {
			sum += to.Sub(from)
		}
	}
	return sum
}

// byCache reports whether o missed its deadline because of the cache:
// by more than the stalls of the process during the call.
func (l *outageLoad) byCache(o outcome) bool {
	return o.missed() && (o.took() < outageDeadline || o.took()-l.stalled(o) >= outageDeadline)
}

// mark is a moment of the run: a phase begins.
type mark struct {
	name string
	at   time.Time
}

// outageLoad runs the callers until stop is called and gathers what they
// saw.
type outageLoad struct {
	t      *testing.T
	r      *ring.Ring1[int, outageItem]
	begin  time.Time
	quit   atomic.Bool
	wg     sync.WaitGroup
	panics atomic.Int64
	calls  atomic.Int64 // every call so far, for warm
	hits   atomic.Int64 // the hits among them
	per    [][]outcome
	marks  []mark
	stalls []stall // written by the watch goroutine until stop

	mu     sync.Mutex
	events map[string]int
	first  map[string]ring.Event
}

func newOutageLoad(t *testing.T) *outageLoad {
	return &outageLoad{t: t, events: map[string]int{}, first: map[string]ring.Event{}}
}

// hook is the ring's OnError.
func (l *outageLoad) hook(e ring.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events[e.Op]++
	if _, ok := l.first[e.Op]; !ok {
		l.first[e.Op] = e
	}
}

func (l *outageLoad) start(r *ring.Ring1[int, outageItem]) {
	l.r = r
	// One read first, as a program's start-up does: the client connects.
	if _, _, err := r.Get(context.Background(), -1); err != nil {
		l.t.Fatalf("the server does not answer before the outage: %v", err)
	}
	l.begin = time.Now()
	l.per = make([][]outcome, outageCallers)
	l.wg.Go(l.watch)
	for i := range outageCallers {
		l.wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			// The callers arrive over the first 100ms, as traffic does,
			// not in one burst of 64 new connections.
			time.Sleep(time.Duration(i) * 100 * time.Millisecond / outageCallers)
			for !l.quit.Load() {
				o := l.one(rng.IntN(outageKeys))
				l.per[i] = append(l.per[i], o)
				l.calls.Add(1)
				if o.hit {
					l.hits.Add(1)
				}
				time.Sleep(outagePause)
			}
		})
	}
}

func (l *outageLoad) one(k int) (o outcome) {
	o.key = k
	ctx, cancel := context.WithTimeout(context.Background(), outageDeadline)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			l.panics.Add(1)
			o.err = fmt.Errorf("panic: %v", p)
			o.end = time.Now()
		}
	}()
	o.start = time.Now()
	v, err := l.r.Call(ctx, k)
	o.end = time.Now()
	switch {
	case err != nil:
		o.err = err
	case v.K != k || v.V != outageValue(k):
		o.wrong = true
	default:
		o.hit = v.At < o.start.UnixNano()
	}
	return o
}

// mark records that a phase begins now.
func (l *outageLoad) mark(name string) { l.marks = append(l.marks, mark{name, time.Now()}) }

// warm is the phase before the outage: at least 600ms, and on until at
// two thirds of the calls of its last 300ms were hits (at most 15s), so
// that the outage begins on a working cache even when the machine is so
// busy that the first connections time out and the breakers open (a
// race-detector run under a load average of 10 saw 0% hits in a fixed
// 600ms). report checks the calls that ended in those last 300ms.
func (l *outageLoad) warm() {
	l.mark("warm")
	time.Sleep(300 * time.Millisecond)
	for began := time.Now(); ; {
		calls, hits := l.calls.Load(), l.hits.Load()
		time.Sleep(warmWindow)
		calls, hits = l.calls.Load()-calls, l.hits.Load()-hits
		// Two thirds here, half in report: its window (the calls that
		// ended in the last 300ms, as here) is a few instants off this one.
		if (3*hits >= 2*calls && calls > 0) || time.Since(began) > 15*time.Second {
			return
		}
	}
}

// endedIn counts the calls that ended in [from, to), and their hits.
func endedIn(all []outcome, from, to time.Time) (calls, hits int) {
	for _, o := range all {
		if !o.end.Before(from) && o.end.Before(to) {
			calls++
			if o.hit {
				hits++
			}
		}
	}
	return calls, hits
}

// warmWindow is the end of the warm phase that report checks for hits.
const warmWindow = 300 * time.Millisecond

// phase sleeps d while the callers run.
func (l *outageLoad) phase(name string, d time.Duration) {
	l.mark(name)
	time.Sleep(d)
}

func (l *outageLoad) stop() []outcome {
	l.mark("end")
	l.quit.Store(true)
	l.wg.Wait()
	var all []outcome
	for _, p := range l.per {
		all = append(all, p...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	return all
}

func (l *outageLoad) at(name string) time.Time {
	for _, m := range l.marks {
		if m.name == name {
			return m.at
		}
	}
	l.t.Fatalf("no mark %q", name)
	return time.Time{}
}

// stats sums up the calls that began in [from, to).
type stats struct {
	calls, ok, good, hits, missed, wrong int // good: correct and in time
	byCache                              int // missed by more than the process's stalls
	worst, p99                           time.Duration
}

func (l *outageLoad) summarize(all []outcome, from, to time.Time, keep func(outcome) bool) stats {
	var s stats
	var took []time.Duration
	for _, o := range all {
		if o.start.Before(from) || !o.start.Before(to) || (keep != nil && !keep(o)) {
			continue
		}
		s.calls++
		if o.ok() {
			s.ok++
			if !o.missed() {
				s.good++
			}
		}
		if o.hit {
			s.hits++
		}
		if o.missed() {
			s.missed++
			if l.byCache(o) {
				s.byCache++
			}
		}
		if o.wrong {
			s.wrong++
		}
		took = append(took, o.took())
	}
	if len(took) > 0 {
		slices.Sort(took)
		s.worst = took[len(took)-1]
		s.p99 = took[len(took)*99/100]
	}
	return s
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func (s stats) String() string {
	return fmt.Sprintf("%6d calls, %6.2f%% correct in time, %5.1f%% hits, %d missed deadlines (%d by the cache), worst %v, p99 %v",
		s.calls, pct(s.good, s.calls), pct(s.hits, s.calls), s.missed, s.byCache, s.worst.Round(100*time.Microsecond), s.p99.Round(100*time.Microsecond))
}

// firstHit returns how long after t the first call that began after t
// was served from the cache (keep, if set, selects the calls).
func firstHit(all []outcome, t time.Time, keep func(outcome) bool) (time.Duration, bool) {
	for _, o := range all {
		if !o.start.Before(t) && o.hit && (keep == nil || keep(o)) {
			return o.end.Sub(t), true
		}
	}
	return 0, false
}

// report logs the figures of a run and returns the promises it broke.
// outageFrom names the mark where the outage begins, back the one where the
// server (or the killed master's replica) serves again; keep selects the
// calls whose keys the returning server holds (nil: all).
func (l *outageLoad) report(all []outcome, outageFrom, back string, keep func(outcome) bool) (broken []string) {
	t := l.t
	t.Helper()
	var lines []string
	for i, m := range l.marks[:len(l.marks)-1] {
		s := l.summarize(all, m.at, l.marks[i+1].at, nil)
		lines = append(lines, fmt.Sprintf("  %-10s %5dms  %v", m.name, l.marks[i+1].at.Sub(m.at).Milliseconds(), s))
	}
	end := l.at("end")
	outage := l.summarize(all, l.at(outageFrom), end, nil)
	total := l.summarize(all, l.begin, end.Add(time.Hour), nil)
	resume, resumed := firstHit(all, l.at(back), keep)
	tail := l.summarize(all, end.Add(-500*time.Millisecond), end, keep)
	l.mu.Lock()
	var evs []string
	for op, n := range l.events {
		evs = append(evs, fmt.Sprintf("%s=%d", op, n))
	}
	sort.Strings(evs)
	l.mu.Unlock()
	var worstStall time.Duration
	for _, st := range l.stalls {
		worstStall = max(worstStall, st.d)
	}
	t.Logf("%s: %d callers, %v deadlines, 1ms function\n%s\n  outage (from %s): %v\n  all: %v, %d panics\n  first hit %v after %s; last 500ms: %.1f%% hits\n  events: %s\n  process stalls over 10ms: %d, the longest %v",
		t.Name(), outageCallers, outageDeadline, strings.Join(lines, "\n"), outageFrom, outage, total, l.panics.Load(),
		resume.Round(time.Millisecond), back, pct(tail.hits, tail.calls), strings.Join(evs, " "), len(l.stalls), worstStall.Round(time.Millisecond))
	for op, e := range l.first {
		t.Logf("  first %q event: %v", op, e.Err)
	}

	errorf := func(format string, args ...any) { broken = append(broken, fmt.Sprintf(format, args...)) }
	if l.panics.Load() != 0 || total.wrong != 0 {
		errorf("%d panics and %d wrong results, want none", l.panics.Load(), total.wrong)
	}
	if total.byCache != 0 {
		for _, o := range all {
			if l.byCache(o) {
				errorf("a call that began %v into the run took %v (the process stalled %v meanwhile): %v",
					o.start.Sub(l.begin).Round(time.Millisecond), o.took().Round(time.Millisecond), l.stalled(o).Round(time.Millisecond), o.err)
				break
			}
		}
		errorf("%d calls missed their %v deadline because of the cache, want none", total.byCache, outageDeadline)
	}
	if pct(outage.good, outage.calls) < 99 {
		errorf("%.2f%% of the calls during the outage returned the function's result in time, want at least 99%%", pct(outage.good, outage.calls))
	}
	if calls, hits := endedIn(all, l.marks[1].at.Add(-warmWindow), l.marks[1].at); pct(hits, calls) < 50 {
		errorf("at the end of the warm phase only %.1f%% of the %d calls were hits: the test cannot see caching", pct(hits, calls), calls)
	}
	if !resumed || resume > outageResume {
		errorf("caching resumed %v after %s (resumed: %v), want within %v", resume, back, resumed, outageResume)
	}
	if pct(tail.hits, tail.calls) < 50 {
		errorf("in the last 500ms only %.1f%% of the calls were hits", pct(tail.hits, tail.calls))
	}
	return broken
}

// singleServerOutage runs the single-server scenario on srv and returns
// the promises that broke.
func singleServerOutage(t *testing.T, srv *servertest.Server, storage ring.Option, opts ...ring.Option) []string {
	l := newOutageLoad(t)
	var runs counter
	r := ring.Must(ring.Func1(outageFunc(&runs), append([]ring.Option{storage, ring.Coder("json"),
		ring.KeyPrefix("outage"), ring.OnError(l.hook)}, opts...)...))
	l.start(r)
	l.warm()
	srv.Pause()
	l.phase("frozen", time.Second)
	srv.Resume()
	l.phase("resumed", 600*time.Millisecond)
	srv.Stop()
	l.phase("refusing", time.Second)
	srv.Restart()
	l.phase("restarted", 1200*time.Millisecond)
	all := l.stop()
	broken := l.report(all, "frozen", "restarted", nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(opts) == 0 && (l.events[ring.OpBreakerOpen] == 0 || l.events[ring.OpBreakerClosed] == 0) {
		broken = append(broken, fmt.Sprintf("events %v: want the breaker opened and closed", l.events))
	}
	return broken
}

func failIfBroken(t *testing.T, broken []string) {
	t.Helper()
	for _, b := range broken {
		t.Error(b)
	}
}

// TestOutageRedis: one Redis node, a go-redis client with its defaults.
func TestOutageRedis(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	failIfBroken(t, singleServerOutage(t, srv, ring.Storage(redisstore.New(rdb))))
}

// TestOutageRedisUnguarded runs the Redis scenario with ring's guard
// turned off (StorageTimeout(0), CircuitBreaker(0, 0)): only the caller's
// deadline bounds the calls. It shows that the outage tests can fail: with
// go-redis's defaults, calls miss their deadlines.
func TestOutageRedisUnguarded(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	broken := singleServerOutage(t, srv, ring.Storage(redisstore.New(rdb)), ring.StorageTimeout(0), ring.CircuitBreaker(0, 0))
	if !slices.ContainsFunc(broken, func(b string) bool { return strings.Contains(b, "missed their") }) {
		t.Errorf("without the guard no call missed its deadline: the outage test cannot fail (%q)", broken)
	}
	for _, b := range broken {
		t.Logf("  broken, as expected without the guard: %s", b)
	}
}

// TestOutageMemcached: one memcached, a gomemcache client with its
// defaults.
func TestOutageMemcached(t *testing.T) {
	srv := servertest.StartMemcached(t)
	mc := memcache.New(srv.Addr())
	t.Cleanup(func() { _ = mc.Close() })
	failIfBroken(t, singleServerOutage(t, srv, ring.Storage(memcachestore.New(mc))))
}

// TestOutageRedisCluster: three masters with a replica each, a go-redis
// cluster client with its defaults. A master is frozen and resumed, then
// another is killed: its replica is promoted, then it comes back as a
// replica.
func TestOutageRedisCluster(t *testing.T) {
	c := servertest.StartRedisCluster(t, servertest.ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: time.Second})
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	require := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	require(rdb.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() }))

	l := newOutageLoad(t)
	var runs counter
	r := ring.Must(ring.Func1(outageFunc(&runs), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix("outage"), ring.OnError(l.hook)))
	masters := c.Masters()
	frozen, killed := masters[0], masters[1]
	replica := c.ReplicaOf(killed)
	if replica == nil {
		t.Fatalf("master %s has no replica", killed.Addr())
	}
	// The keys the killed master holds, to time their return.
	onKilled := map[int]bool{}
	for k := range outageKeys {
		key, err := r.Key(k)
		require(err)
		node, err := rdb.MasterForKey(ctx, key)
		require(err)
		onKilled[k] = node.Options().Addr == killed.Addr()
	}

	l.start(r)
	l.warm()
	frozen.Pause() // shorter than the node timeout: no failover
	l.phase("frozen", 600*time.Millisecond)
	frozen.Resume()
	l.phase("resumed", 600*time.Millisecond)
	killed.Stop()
	l.mark("killed")
	for !c.IsMaster(replica) {
		if time.Since(l.at("killed")) > 20*time.Second {
			t.Fatal("the replica was not promoted within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.phase("promoted", 1200*time.Millisecond)
	killed.Restart()
	l.phase("rejoined", 600*time.Millisecond)
	all := l.stop()
	failIfBroken(t, l.report(all, "frozen", "promoted", func(o outcome) bool { return onKilled[o.key] }))
	t.Logf("  the replica was promoted %v after the kill; %.0f%% of the keys were on the killed master",
		l.at("promoted").Sub(l.at("killed")).Round(time.Millisecond), 100*float64(countTrue(onKilled))/outageKeys)
}

func countTrue(m map[int]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}
