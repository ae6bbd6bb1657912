package ring_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
)

// Many().GetOrUpdate runs its misses concurrently, each in its key's single
// flight; BulkConcurrency bounds how many run at once.
func ExampleBulkConcurrency() {
	var running, peak atomic.Int64
	loadUser := func(ctx context.Context, id int) (string, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(10 * time.Millisecond) // a slow lookup
		return fmt.Sprint("user", id), nil
	}
	users := ring.Must(ring.Func1(loadUser, ring.BulkConcurrency(4)))

	names, err := users.Many().GetOrUpdate(context.Background(), []int{1, 2, 3, 4, 5, 6, 7, 8})
	fmt.Println(names, err)
	fmt.Println("at most 4 at once:", peak.Load() <= 4)
	// Output:
	// [user1 user2 user3 user4 user5 user6 user7 user8] <nil>
	// at most 4 at once: true
}

// A caller whose context ends gets its own error at once; the function goes
// on for the other callers of the same key, on a context that no single
// caller's cancellation ends.
func ExampleRing1_Call_cancel() {
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	report := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) {
		once.Do(func() { close(started) })
		<-release // a slow report
		return fmt.Sprint("report ", id), ctx.Err()
	}))

	impatient, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := report.Call(impatient, 7)
		fmt.Println("impatient caller:", err)
	}()
	<-started
	patient := make(chan string)
	go func() {
		v, err := report.Call(context.Background(), 7) // joins the same flight
		patient <- fmt.Sprint(v, " ", err)
	}()
	time.Sleep(10 * time.Millisecond) // let the patient caller join
	cancel()
	wg.Wait()
	close(release)
	fmt.Println("patient caller:", <-patient)
	// Output:
	// impatient caller: context canceled
	// patient caller: report 7 <nil>
}

// Touch resets an entry's time-to-live to the ring's Expire. A ring without
// one refuses, rather than make the entry persistent.
func ExampleRing1_Touch() {
	ctx := context.Background()
	fetch := func(ctx context.Context, id int) (string, error) { return fmt.Sprint("item", id), nil }

	expiring := ring.Must(ring.Func1(fetch, ring.Expire(time.Minute)))
	_, _ = expiring.Call(ctx, 1)
	fmt.Println(expiring.Touch(ctx, 1))

	forever := ring.Must(ring.Func1(fetch))
	_, _ = forever.Call(ctx, 1)
	fmt.Println(errors.Is(forever.Touch(ctx, 1), ring.ErrNoExpiry))
	// Output:
	// <nil>
	// true
}
