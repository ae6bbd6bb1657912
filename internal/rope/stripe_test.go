package rope_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
)

// sameStripe returns n keys with prefix whose flight.Hash falls in one
// stripe of a rope's 64.
func sameStripe(prefix string, n int) []string {
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := prefix + strconv.Itoa(i)
		if flight.Hash(k)%64 == flight.Hash(prefix+"0")%64 {
			keys = append(keys, k)
		}
	}
	return keys
}

// Fills of keys that share a stripe now share its lock, and a newer
// write still excludes them: with many fills of the keys of one stripe in
// flight at once (several per key, coalesced or not, yielding between
// their start and their write), a write of a key (Commit, Write) that
// has returned is never written over by a fill of a run that started
// before it (a stale run), checked right after each write; nor is a
// Delete, and the last write of each key is what stays. It fails if a
// fill skips the stale check under the lock.
func TestWriteRacingFillsOfOneStripe(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	keys := sameStripe("stripe:", 6)
	var runs sync.Map // fill value -> its *flight.Run
	var next atomic.Int64
	var overwritten atomic.Int64
	var fillsWrote atomic.Int64
	stop := make(chan struct{})
	var fills sync.WaitGroup
	for _, k := range keys {
		for range 6 {
			fills.Add(1)
			go func() {
				defer fills.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := fillWork(ctx, r, k, func(ctx context.Context, run *flight.Run) (any, error) {
						v := "fill:" + strconv.FormatInt(next.Add(1), 10)
						runs.Store(v, run)
						for range int(next.Load() % 3) {
							runtime.Gosched()
						}
						return nil, r.FillCommit(run, nil, func() error {
							if !run.Stale() {
								fillsWrote.Add(1)
							}
							return s.Set(ctx, k, v, 0)
						})
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	var writers sync.WaitGroup
	for i, k := range keys {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for n := range 2000 {
				v := fmt.Sprintf("write:%d", n)
				var err error
				switch (n + i) % 3 {
				case 0:
					err = r.Commit(ctx, k, set(ctx, s, k, v))
				case 1:
					err = r.Write([]string{k}, set(ctx, s, k, v))
				default:
					v = ""
					err = r.Commit(ctx, k, func() error { return s.Delete(ctx, k) })
				}
				if err != nil {
					t.Error(err)
					return
				}
				for range 3 { // let stale fills, if any, write over it
					runtime.Gosched()
				}
				got, ok, err := s.Get(ctx, k)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok || got == v {
					if ok || v == "" {
						continue // the write's outcome, or a newer fill's
					}
				}
				// A fill's value: it must be of a run that started after
				// the write (this key has no other writer), which the
				// write did not make stale.
				run, _ := runs.Load(got)
				if run == nil || run.(*flight.Run).Stale() {
					overwritten.Add(1)
				}
				if n%50 == 0 {
					time.Sleep(100 * time.Microsecond) // let fills pile up
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	fills.Wait()
	require.Zero(t, overwritten.Load(), "a fill of a run older than a write wrote over it")
	require.Greater(t, fillsWrote.Load(), int64(100), "the fills hardly wrote: the test tests nothing")
	// With the fills stopped, a write stays.
	for _, k := range keys {
		require.NoError(t, r.Commit(ctx, k, set(ctx, s, k, "last")))
		got, _ := get(t, s, k)
		require.Equal(t, "last", got)
	}
}
