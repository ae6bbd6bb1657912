package ring_test

import (
	"context"
	"fmt"

	"github.com/ringcache/ring"
)

// Shopper is keyed by its RingKey, Python's __ring_key__.
type Shopper struct{ ID int }

// RingKey returns the account's ID.
func (a *Shopper) RingKey() string { return fmt.Sprint(a.ID) }

func (a *Shopper) orders(ctx context.Context, status []string) ([]string, error) { return nil, nil }

// PythonKeys gives the keys Python Ring gives the same call, here for
//
//	@ring.redis(client, key_prefix='shop.search')
//	def search(q: str, page: int, exact: bool, tags: list, where: dict): ...
//
// and a method keyed by __ring_key__.
func ExamplePythonKeys() {
	search := ring.Must(ring.Func3(func(ctx context.Context, q string, page *int, filter map[string][]string) ([]string, error) {
		return nil, nil
	}, ring.PythonKeys(), ring.KeyPrefix("shop.search")))
	key, _ := search.Key("green tea", nil, map[string][]string{"tags": {"eu", "bio"}, "brand": {}})
	fmt.Println(key)

	orders := ring.Must(ring.Method1((*Shopper).orders, ring.PythonKeys(), ring.KeyPrefix("shop.Account.orders")))
	key, _ = orders.Bind(&Shopper{ID: 42}).Key([]string{"paid", "it's"})
	fmt.Println(key)

	_, err := ring.Func1(func(ctx context.Context, price float64) (int, error) { return 0, nil },
		ring.PythonKeys(), ring.KeyPrefix("shop.tax"))
	fmt.Println(err != nil)
	// Output:
	// shop.search:green tea:None:brand,[],tags,['eu', 'bio']
	// shop.Account.orders:42:['paid',"it's"]
	// true
}
