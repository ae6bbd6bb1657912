package ring_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// The functions and types the examples cache. Each prints a line when it
// runs, so an example's output shows when the cache answered and when the
// function ran.

// stockLevel is the number of items of sku in the warehouse.
func stockLevel(ctx context.Context, sku string) (int, error) {
	fmt.Printf("counting stock of %s\n", sku)
	return len(sku) * 3, nil
}

// shippingCost is the cost in cents of sending kg kilograms to country;
// shipping inside the country is free (a zero worth caching).
func shippingCost(ctx context.Context, country string, kg int) (int, error) {
	fmt.Printf("pricing %d kg to %s\n", kg, country)
	if country == "home" {
		return 0, nil
	}
	return 500 + 120*kg, nil
}

// Member is a customer with a RingKey: the receiver's key component.
type Member struct {
	ID   int
	Name string
}

// RingKey returns the member's ID.
func (m *Member) RingKey() string { return strconv.Itoa(m.ID) }

// loadOrders returns the member's order count for a year.
func (m *Member) loadOrders(ctx context.Context, year int) (int, error) {
	fmt.Printf("querying orders of member %d in %d\n", m.ID, year)
	return m.ID + year%100, nil
}

// loadBadge takes only the receiver and a context: a property.
func (m *Member) loadBadge(ctx context.Context) (string, error) {
	fmt.Printf("drawing the badge of member %d\n", m.ID)
	return "#" + strconv.Itoa(m.ID) + " " + m.Name, nil
}

// planPrice does not depend on which member it is called on: a class
// function, keyed by the receiver's type name.
func (m *Member) planPrice(ctx context.Context, plan string) (int, error) {
	fmt.Printf("looking up the price of plan %s\n", plan)
	return 100 * len(plan), nil
}

func ExampleFunc1() {
	// A package-level variable in a real program:
	//	var stock = ring.Must(ring.Func1(stockLevel, ring.LRU(1000)))
	stock := ring.Must(ring.Func1(stockLevel, ring.LRU(1000), ring.Expire(time.Minute)))
	ctx := context.Background()

	n, err := stock.Call(ctx, "kiwi") // runs stockLevel
	fmt.Println(n, err)
	n, _ = stock.Call(ctx, "kiwi") // served from the cache
	fmt.Println(n)

	_ = stock.Delete(ctx, "kiwi") // manual expiration
	n, _ = stock.Call(ctx, "kiwi")
	fmt.Println(n)
	// Output:
	// counting stock of kiwi
	// 12 <nil>
	// 12
	// counting stock of kiwi
	// 12
}

func ExampleFunc2() {
	shipping, err := ring.Func2(shippingCost, ring.KeyPrefix("shipping"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	for _, kg := range []int{2, 2, 3} {
		cents, _ := shipping.Call(ctx, "fr", kg)
		fmt.Println(cents)
	}
	key, _ := shipping.Key("fr", 3)
	fmt.Println(key)
	// Output:
	// pricing 2 kg to fr
	// 740
	// 740
	// pricing 3 kg to fr
	// 860
	// shipping:fr:3
}

func ExampleRing2_Get() {
	shipping := ring.Must(ring.Func2(shippingCost))
	ctx := context.Background()

	// Get never runs the function: before any call it is a miss.
	cents, found, err := shipping.Get(ctx, "home", 5)
	fmt.Println(cents, found, err)

	_, _ = shipping.Call(ctx, "home", 5)

	// Now the cached zero is found: a miss and a cached zero differ.
	cents, found, err = shipping.Get(ctx, "home", 5)
	fmt.Println(cents, found, err)
	// Output:
	// 0 false <nil>
	// pricing 5 kg to home
	// 0 true <nil>
}

func ExampleRing2_Key() {
	shipping := ring.Must(ring.Func2(shippingCost))

	// The default prefix is the function's fully qualified name.
	key, _ := shipping.Key("fr", 3)
	fmt.Println(key)

	// Reserved bytes inside an argument are escaped, so two different
	// argument tuples never share a key.
	key, _ = shipping.Key("a:b", 3)
	fmt.Println(key)

	keys, _ := shipping.Many().Key([]ring.Args2[string, int]{{P1: "fr", P2: 1}, {P1: "de", P2: 2}})
	fmt.Println(keys)
	// Output:
	// github.com/ringcache/ring_test.shippingCost:fr:3
	// github.com/ringcache/ring_test.shippingCost:a\:b:3
	// [github.com/ringcache/ring_test.shippingCost:fr:1 github.com/ringcache/ring_test.shippingCost:de:2]
}

func ExampleMethod1() {
	// (*Member).loadOrders is a method expression: a function whose first
	// parameter is the receiver. The key starts with the receiver's RingKey().
	orders := ring.Must(ring.Method1((*Member).loadOrders))
	ctx := context.Background()

	ann := &Member{ID: 42, Name: "Ann"}
	n, _ := orders.Call(ann, ctx, 2025)
	fmt.Println(n)

	// Another value with the same ID has the same key: it shares the entry.
	again := &Member{ID: 42, Name: "Ann (reloaded)"}
	n, _ = orders.Call(again, ctx, 2025)
	fmt.Println(n)

	key, _ := orders.Bind(ann).Key(2025)
	fmt.Println(key)
	// Output:
	// querying orders of member 42 in 2025
	// 67
	// 67
	// github.com/ringcache/ring_test.Member.loadOrders:42:2025
}

func ExampleMethodRing1_Bind() {
	orders := ring.Must(ring.Method1((*Member).loadOrders, ring.KeyPrefix("orders")))
	ctx := context.Background()

	// The wire of one receiver: every sub-function, without the receiver.
	w := orders.Bind(&Member{ID: 7})
	n, _ := w.Call(ctx, 2024)
	fmt.Println(n)
	key, _ := w.Key(2024)
	fmt.Println(key)

	_ = w.Delete(ctx, 2024)
	has, _ := orders.Bind(&Member{ID: 7}).Has(ctx, 2024)
	fmt.Println(has)
	// Output:
	// querying orders of member 7 in 2024
	// 31
	// orders:7:2024
	// false
}

func ExampleProperty() {
	badge := ring.Must(ring.Property((*Member).loadBadge))
	ctx := context.Background()

	m := &Member{ID: 3, Name: "Cy"}
	b, _ := badge.Call(m, ctx)
	fmt.Println(b)
	b, _ = badge.Bind(m).Call(ctx)
	fmt.Println(b)

	// The key is the receiver's RingKey() alone.
	key, _ := badge.Bind(m).Key()
	fmt.Println(key)
	// Output:
	// drawing the badge of member 3
	// #3 Cy
	// #3 Cy
	// github.com/ringcache/ring_test.Member.loadBadge:3
}

func ExampleClass1() {
	// A class function is keyed by the receiver's type name, not its value
	// (Python Ring's classmethod): every *Member shares the entry.
	prices := ring.Must(ring.Class1((*Member).planPrice))
	ctx := context.Background()

	p, _ := prices.Call(&Member{ID: 1}, ctx, "gold")
	fmt.Println(p)
	p, _ = prices.Call(&Member{ID: 2}, ctx, "gold")
	fmt.Println(p)

	key, _ := prices.Bind(&Member{ID: 2}).Key("gold")
	fmt.Println(key)
	// Output:
	// looking up the price of plan gold
	// 400
	// 400
	// github.com/ringcache/ring_test.Member.planPrice:ring_test.Member:gold
}

func ExamplePreset() {
	// The project's cache policy, defined once (functools.partial over a
	// Ring factory in Python). Each ring built with it gets its own LRU.
	policy := ring.Preset(ring.LRU(256), ring.Expire(10*time.Minute), ring.KeyPrefix("shop"))
	fmt.Println(policy)

	stock := ring.Must(ring.Func1(stockLevel, policy))
	// Options after the preset override it.
	shipping := ring.Must(ring.Func2(shippingCost, policy, ring.KeyPrefix("shop.shipping")))

	key, _ := stock.Key("kiwi")
	fmt.Println(key)
	key, _ = shipping.Key("fr", 1)
	fmt.Println(key)
	// Output:
	// Preset(LRU(256), Expire(10m0s), KeyPrefix("shop"))
	// shop:kiwi
	// shop.shipping:fr:1
}

// area has no context and no error result: a shape the typed constructors
// do not take, but New does.
func area(w, h int, unit string) string {
	fmt.Printf("computing %dx%d\n", w, h)
	return strconv.Itoa(w*h) + " " + unit
}

func ExampleNew() {
	r, err := ring.New(area, ring.KeyPrefix("area"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	v, err := r.Call(ctx, 3, 4, "m2") // arguments are checked at run time
	fmt.Println(v, err)
	v, _ = r.Call(ctx, 3, 4, "m2")
	fmt.Println(v)

	_, err = r.Call(ctx, "3", 4, "m2")
	fmt.Println(err)
	_, err = r.Call(ctx, 3, 4)
	fmt.Println(err)

	key, _ := r.Key(3, 4, "m2")
	fmt.Println(key, r.Kind())
	// Output:
	// computing 3x4
	// 12 m2 <nil>
	// 12 m2
	// ring: github.com/ringcache/ring_test.area: parameter 1: got string, want int
	// ring: github.com/ringcache/ring_test.area: got 2 arguments, want 3 [int int string] (the context is passed separately)
	// area:3:4:m2 static
}

func ExampleRing_Run() {
	// Every ring, typed or not, can run a sub-function chosen by name, as
	// Python Ring's f.run("get", ...).
	r := ring.Must(ring.Func2(shippingCost, ring.KeyPrefix("shipping"))).Untyped()
	ctx := context.Background()

	for _, name := range []string{"get", "call", "get", "has", "key", "delete", "has"} {
		v, err := r.Run(ctx, name, "fr", 1)
		fmt.Printf("%s: %v %v\n", name, v, err)
	}
	// set takes the value first.
	_, err := r.Run(ctx, "set", 99, "fr", 1)
	fmt.Println("set:", err)
	v, _ := r.Run(ctx, "get", "fr", 1)
	fmt.Println("get:", v)

	_, err = r.Run(ctx, "forget", "fr", 1)
	fmt.Println(err)
	// Output:
	// get: <nil> <nil>
	// pricing 1 kg to fr
	// call: 620 <nil>
	// get: 620 <nil>
	// has: true <nil>
	// key: shipping:fr:1 <nil>
	// delete: <nil> <nil>
	// has: false <nil>
	// set: <nil>
	// get: 99
	// ring: github.com/ringcache/ring_test.shippingCost: unknown sub-function "forget" (want call, get, update, get_or_update, set, delete, has, touch, refresh, execute or key)
}

func ExampleBulk_GetOrUpdate() {
	stock := ring.Must(ring.Func1(stockLevel))
	ctx := context.Background()

	_ = stock.Many().Set(ctx, []int{1, 2}, []string{"fig", "kiwi"})

	// One bulk read; the function runs for the misses only, each in its
	// key's single flight, up to BulkConcurrency (default 8) at once: the
	// two misses may print in either order.
	levels, err := stock.Many().GetOrUpdate(ctx, []string{"fig", "plum", "kiwi", "melon"})
	fmt.Println(levels, err)

	_, found, _ := stock.Many().Get(ctx, []string{"plum", "melon", "pear"})
	fmt.Println(found)
	// Unordered output:
	// counting stock of plum
	// counting stock of melon
	// [1 12 2 15] <nil>
	// [true true false]
}

func ExampleKeyPrefix() {
	ctx := context.Background()
	byDefault := ring.Must(ring.Func1(stockLevel))
	named := ring.Must(ring.Func1(stockLevel, ring.KeyPrefix("stock")))
	empty := ring.Must(ring.Func1(stockLevel, ring.KeyPrefix("")))

	for _, r := range []*ring.Ring1[string, int]{byDefault, named, empty} {
		key, _ := r.Key("kiwi")
		fmt.Println(key)
	}

	// Ignore drops parameters from the key by their 1-based position (the
	// context is parameter 1 and never part of the key).
	perCountry := ring.Must(ring.Func2(shippingCost, ring.KeyPrefix("ship"), ring.Ignore(3)))
	key, _ := perCountry.Key("fr", 7)
	fmt.Println(key)
	_, _ = perCountry.Call(ctx, "fr", 7)
	cents, _ := perCountry.Call(ctx, "fr", 9) // the same key: cached
	fmt.Println(cents)
	// Output:
	// github.com/ringcache/ring_test.stockLevel:kiwi
	// stock:kiwi
	// :kiwi
	// ship:fr
	// pricing 7 kg to fr
	// 1340
}

// unreachable is a storage whose server is down: every read and write
// fails.
type unreachable struct{ backends.Storage }

var errUnreachable = errors.New("connection refused")

func (unreachable) Get(context.Context, string) (any, bool, error) {
	return nil, false, errUnreachable
}

func (unreachable) Set(context.Context, string, any, time.Duration) error {
	return errUnreachable
}

func ExampleOnError() {
	lru, _ := backends.NewLRU(100)
	stock := ring.Must(ring.Func1(stockLevel,
		ring.Storage(unreachable{lru}),
		ring.KeyPrefix("stock"),
		ring.OnError(func(e ring.Event) {
			fmt.Printf("hook: %s %s: %v\n", e.Op, e.Key, e.Err)
		}),
	))
	ctx := context.Background()

	// Call fails open: the cache is down, the function's result is
	// returned anyway and the failures go to the hook.
	n, err := stock.Call(ctx, "kiwi")
	fmt.Println(n, err)

	// The explicit sub-functions return the storage's error instead.
	_, _, err = stock.Get(ctx, "kiwi")
	fmt.Println(err)
	// Output:
	// hook: get stock:kiwi: connection refused
	// counting stock of kiwi
	// hook: set stock:kiwi: connection refused
	// 12 <nil>
	// connection refused
}
