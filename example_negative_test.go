package ring_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ring"
)

// userQueries counts findUser's queries.
var userQueries int

// findUser looks a user up; only user 1 exists.
func findUser(ctx context.Context, id int) (string, error) {
	userQueries++
	if id != 1 {
		return "", fmt.Errorf("user %d: %w", id, ring.ErrNotFound)
	}
	return "ada", nil
}

// A lookup of a user who does not exist is cached too, for a minute: the
// database sees it once, and Get tells the cached "not found" from a miss.
func ExampleNegativeCache() {
	ctx := context.Background()
	users := ring.Must(ring.Func1(findUser, ring.KeyPrefix("users"),
		ring.Expire(time.Hour), ring.NegativeCache(time.Minute)))

	for range 3 {
		_, err := users.Call(ctx, 7)
		fmt.Println(errors.Is(err, ring.ErrNotFound), err)
	}
	fmt.Println("queries:", userQueries)

	_, found, err := users.Get(ctx, 7)
	fmt.Println("get 7:", found, errors.Is(err, ring.ErrNotFound))
	_, found, err = users.Get(ctx, 8)
	fmt.Println("get 8:", found, err)

	// Once the user exists, a Set (or an Update) replaces the negative entry.
	_ = users.Set(ctx, "grace", 7)
	name, err := users.Call(ctx, 7)
	fmt.Println(name, err)
	// Output:
	// true user 7: ring: not found
	// true ring: github.com/ringcache/ring_test.findUser: cached not-found result: not found
	// true ring: github.com/ringcache/ring_test.findUser: cached not-found result: not found
	// queries: 1
	// get 7: false true
	// get 8: false <nil>
	// grace <nil>
}

// ErrZeroResult makes a zero result "not found": here an empty string,
// cached for 30 seconds and returned as it was.
func ExampleErrZeroResult() {
	ctx := context.Background()
	queries := 0
	nickname := func(ctx context.Context, id int) (string, error) {
		queries++
		return "", nil // nobody has a nickname yet
	}
	nicks := ring.Must(ring.Func1(nickname, ring.KeyPrefix("nicks"),
		ring.Expire(time.Hour), ring.NegativeCache(30*time.Second, ring.ErrNotFound, ring.ErrZeroResult)))
	for range 2 {
		nick, err := nicks.Call(ctx, 7)
		fmt.Printf("%q %v\n", nick, err)
	}
	_, found, err := nicks.Get(ctx, 7)
	fmt.Println("queries:", queries, "found:", found, "zero:", errors.Is(err, ring.ErrZeroResult))
	// Output:
	// "" <nil>
	// "" <nil>
	// queries: 1 found: false zero: true
}
