package ring_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ringcache/ring"
)

// A batch function answers many IDs in one call; Batch caches each ID
// under its own key. Many().GetOrUpdate calls it once for all the misses;
// an ID it does not return is ErrNotFound, and is not cached.
func ExampleBatch() {
	loadUsers := func(ctx context.Context, ids []int) (map[int]string, error) {
		fmt.Println("query", ids)
		m := make(map[int]string)
		for _, id := range ids {
			if id != 3 { // no user 3
				m[id] = fmt.Sprintf("user%d", id)
			}
		}
		return m, nil
	}
	users := ring.Must(ring.Batch(loadUsers, ring.LRU(100), ring.KeyPrefix("users")))
	ctx := context.Background()

	got, err := users.Many().GetOrUpdate(ctx, []int{1, 2, 3})
	fmt.Printf("%q %v\n", got, errors.Is(err, ring.ErrNotFound))
	got, _ = users.Many().GetOrUpdate(ctx, []int{1, 2, 4}) // 1 and 2 are cached
	fmt.Printf("%q\n", got)
	u, _ := users.Call(ctx, 2) // every sub-function works per ID
	key, _ := users.Key(2)
	fmt.Println(u, key)
	// Output:
	// query [1 2 3]
	// ["user1" "user2" ""] true
	// query [4]
	// ["user1" "user2" "user4"]
	// user2 users:2
}

// With BatchWindow, concurrent Calls that miss within the window share one
// call of the batch function (the dataloader pattern).
func ExampleBatchWindow() {
	loadUsers := func(ctx context.Context, ids []int) (map[int]string, error) {
		fmt.Println("query", slices.Sorted(slices.Values(ids)))
		m := make(map[int]string)
		for _, id := range ids {
			m[id] = fmt.Sprintf("user%d", id)
		}
		return m, nil
	}
	users := ring.Must(ring.Batch(loadUsers, ring.LRU(100), ring.KeyPrefix("users"),
		ring.BatchWindow(100*time.Millisecond, 100)))
	var wg sync.WaitGroup
	for id := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = users.Call(context.Background(), id)
		}()
	}
	wg.Wait()
	u, _ := users.Call(context.Background(), 1) // cached
	fmt.Println(u)
	// Output:
	// query [0 1 2]
	// user1
}
