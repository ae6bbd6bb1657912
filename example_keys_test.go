package ring_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

type exUser struct{ Name string }
type exTeam struct{ Name string }

// fetch is a generic function: the runtime names fetch[exUser] and
// fetch[exTeam] alike.
func fetch[T exUser | exTeam](ctx context.Context, id int) (T, error) {
	return T{Name: "#" + strconv.Itoa(id)}, nil
}

// repo is a generic type: its receiver names the instantiation.
type repo[T exUser | exTeam] struct{ shard int }

func (r *repo[T]) RingKey() string { return strconv.Itoa(r.shard) }

func (r *repo[T]) Count(ctx context.Context) (int, error) { return 0, nil }

// Rings over different instantiations never share an entry: methods of a
// generic type are keyed with the receiver's type arguments, and a generic
// function on a storage other rings may share needs a KeyPrefix.
func ExampleKeyPrefix_generic() {
	shared := ring.Storage(backends.NewDict())

	users := ring.Must(ring.Property((*repo[exUser]).Count, shared))
	teams := ring.Must(ring.Property((*repo[exTeam]).Count, shared))
	k1, _ := users.Bind(&repo[exUser]{shard: 1}).Key()
	k2, _ := teams.Bind(&repo[exTeam]{shard: 1}).Key()
	fmt.Println(k1)
	fmt.Println(k2)

	_, err := ring.Func1(fetch[exUser], shared)
	fmt.Println(err != nil)
	byUser := ring.Must(ring.Func1(fetch[exUser], shared, ring.KeyPrefix("user")))
	k, _ := byUser.Key(7)
	fmt.Println(k)
	// Output:
	// github.com/ringcache/ring_test.repo[github.com/ringcache/ring_test.exUser].Count:1
	// github.com/ringcache/ring_test.repo[github.com/ringcache/ring_test.exTeam].Count:1
	// true
	// user:7
}
