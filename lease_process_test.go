package ring_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/internal/servertest"
)

// The environment of a child process of TestLeaseProcesses.
const (
	envLeaseChild   = "RING_LEASE_CHILD" // the backend's name
	envLeasePrefix  = "RING_LEASE_PREFIX"
	envLeaseStart   = "RING_LEASE_START" // Unix nanoseconds: when to call
	envLeaseRefresh = "RING_LEASE_REFRESH"
)

// TestLeaseProcesses runs 6 real processes (this test binary, re-run as
// TestLeaseProcessChild) that miss, then find stale, the same 4 keys at
// the same moment, on each backend; the function counts its runs in a
// Redis counter shared by every process. With Lease each key runs once
// per fill and once per refresh.
func TestLeaseProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	counter := sharedRedis(t)
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			prefix := fmt.Sprintf("ring-test:%s:%s:%d", runID, t.Name(), time.Now().UnixNano())
			r := childRing(t, b, prefix, counter)
			t.Cleanup(func() {
				counter.Del(context.Background(), prefix+":runs")
				for _, id := range leaseIDs {
					_ = r.Delete(context.Background(), id)
				}
			})
			for _, refresh := range []bool{false, true} {
				counter.Del(context.Background(), prefix+":runs")
				if refresh {
					staleEntries(t, r, leaseIDs)
				}
				runChildren(t, b.name, prefix, refresh)
				n, err := counter.Get(context.Background(), prefix+":runs").Int()
				require.NoError(t, err)
				what := "fill"
				if refresh {
					what = "refresh"
				}
				require.Equal(t, len(leaseIDs), n, "%s: executions of %d keys across %d processes", what, len(leaseIDs), leaseChildren)
				t.Logf("LEASE processes %s %s: %d processes x %d keys: %d executions", b.name, what, leaseChildren, len(leaseIDs), n)
			}
		})
	}
}

const leaseChildren = 6

// runChildren starts the children, which call at the same moment, and
// waits for them.
func runChildren(t *testing.T, backend, prefix string, refresh bool) {
	t.Helper()
	start := time.Now().Add(3 * time.Second) // the children start and connect first
	var wg sync.WaitGroup
	outs := make([]string, leaseChildren)
	errs := make([]error, leaseChildren)
	for i := range leaseChildren {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseProcessChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(),
				envLeaseChild+"="+backend, envLeasePrefix+"="+prefix,
				envLeaseStart+"="+strconv.FormatInt(start.UnixNano(), 10),
				envLeaseRefresh+"="+strconv.FormatBool(refresh))
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "child %d:\n%s", i, outs[i])
		require.Contains(t, outs[i], "CHILD OK", "child %d:\n%s", i, outs[i])
		// The calls overlap: each began within 200ms of the start, less
		// than the function's 300ms.
		_, rest, _ := strings.Cut(outs[i], "CHILD OK late=")
		ms, err := strconv.Atoi(strings.Fields(rest)[0])
		require.NoError(t, err)
		require.Less(t, ms, 200, "child %d called %dms late: the processes did not run at once", i, ms)
	}
}

// childRing is the ring every process builds: Lease, RefreshAhead, and a
// function that counts its runs in Redis and takes 300ms.
func childRing(t *testing.T, b leaseBackend, prefix string, counter redis.UniversalClient) *ring.Ring1[int, string] {
	fn := func(ctx context.Context, id int) (string, error) {
		if err := counter.Incr(ctx, prefix+":runs").Err(); err != nil {
			return "", err
		}
		time.Sleep(300 * time.Millisecond)
		return fmt.Sprintf("new%d", id), nil
	}
	r, err := ring.Func1(fn, ring.Storage(b.open(t)), ring.KeyPrefix(prefix), ring.Expire(time.Minute),
		ring.RefreshAhead(10*time.Second, 5*time.Second), ring.Lease(4*b.ttl), ring.StorageTimeout(2*time.Second))
	require.NoError(t, err)
	return r
}

// TestLeaseProcessChild is one process of TestLeaseProcesses; it does
// nothing when run on its own.
func TestLeaseProcessChild(t *testing.T) {
	name := os.Getenv(envLeaseChild)
	if name == "" {
		t.Skip("run by TestLeaseProcesses")
	}
	var b leaseBackend
	for _, lb := range leaseBackends() {
		if lb.name == name {
			b = lb
		}
	}
	require.NotEmpty(t, b.name, "backend %q", name)
	prefix := os.Getenv(envLeasePrefix)
	start, err := strconv.ParseInt(os.Getenv(envLeaseStart), 10, 64)
	require.NoError(t, err)
	refresh := os.Getenv(envLeaseRefresh) == "true"
	counter := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	defer counter.Close()
	r := childRing(t, b, prefix, counter)
	ctx := context.Background()
	// Connect before the start, so that every process calls at once.
	_, _, err = r.Get(ctx, 0)
	require.NoError(t, err)
	time.Sleep(time.Until(time.Unix(0, start)))
	late := time.Since(time.Unix(0, start))
	var wg sync.WaitGroup
	got := make([]string, len(leaseIDs))
	errs := make([]error, len(leaseIDs))
	for i, id := range leaseIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = r.Call(ctx, id)
		}()
	}
	wg.Wait()
	ring.WaitRefreshesForTest(r.Cache())
	for i, id := range leaseIDs {
		require.NoError(t, errs[i])
		want := fmt.Sprintf("new%d", id)
		if refresh {
			want = fmt.Sprintf("old%d", id)
		}
		require.Equal(t, want, got[i])
	}
	fmt.Printf("CHILD OK late=%d %s\n", late.Milliseconds(), strings.Join(got, ","))
}
