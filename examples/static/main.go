// Command static caches a plain function with ring and walks through every
// sub-function of the cached version: Call, Get, Key, Has, Update, Set,
// Execute, Touch, Delete, the untyped view and its Run, Cache().Storage()
// and the bulk forms (Many).
//
// The function is a fake price lookup that counts how often it runs, so
// the output shows exactly when the cache answered and when the function
// ran. The storage is the in-process LRU, the embedded default: no server
// is needed.
//
//	go run ./examples/static
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ringcache/ring"
)

// catalog is the fake price service behind fetchPrice. A real program would
// call a database or a remote API here.
var catalog = struct {
	mu     sync.Mutex
	prices map[string]int // in cents
	runs   int
	log    io.Writer
}{}

// fetchPrice is the function to cache: the price of sku in cents. It is a
// plain package-level function, so its ring's default key prefix is its
// qualified name, "main.fetchPrice".
func fetchPrice(ctx context.Context, sku string) (int, error) {
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	catalog.runs++
	fmt.Fprintf(catalog.log, "    (fetchPrice(%q) ran: run #%d)\n", sku, catalog.runs)
	p, ok := catalog.prices[sku]
	if !ok {
		return 0, fmt.Errorf("no price for %q", sku)
	}
	return p, nil
}

// setPrice changes a price in the fake service (the cache does not know).
func setPrice(sku string, cents int) {
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	catalog.prices[sku] = cents
}

func runs() int {
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	return catalog.runs
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run prints the walk-through to w. Every line it prints is deterministic:
// no timing, no map iteration order.
func run(w io.Writer) error {
	catalog.mu.Lock()
	catalog.prices = map[string]int{
		"apple": 120, "pear": 90, "water": 0,
		"kiwi": 45, "fig": 60, "plum": 75, "grape": 30,
	}
	catalog.runs = 0
	catalog.log = w
	catalog.mu.Unlock()

	ctx := context.Background()

	// Func1 wraps a func(context.Context, A) (R, error). LRU(1000) is the
	// in-process backend (without a storage option a ring gets an LRU of
	// 1024 entries); Expire gives every entry a time-to-live.
	// BulkConcurrency(1): the bulk forms run their misses one at a time
	// (the default is 8 at once), so that the lines fetchPrice prints come
	// in the same order on every run of this demo.
	prices, err := ring.Func1(fetchPrice, ring.LRU(1000), ring.Expire(10*time.Minute), ring.BulkConcurrency(1))
	if err != nil {
		return err
	}

	section(w, "Call: the cached function (runs fetchPrice once per key)")
	for range 2 {
		p, err := prices.Call(ctx, "apple")
		fmt.Fprintf(w, "Call(apple) = %d, err = %v, runs so far: %d\n", p, err, runs())
	}
	_, err = prices.Call(ctx, "durian")
	fmt.Fprintf(w, "Call(durian): err = %v\n", err)
	has, _ := prices.Has(ctx, "durian")
	fmt.Fprintf(w, "Has(durian) = %v (a result with an error is not cached)\n", has)

	section(w, "Key: the exact key the backend stores")
	key, _ := prices.Key("apple")
	fmt.Fprintf(w, "Key(apple) = %s\n", key)
	key, _ = prices.Key("fruit:kiwi")
	fmt.Fprintf(w, "Key(fruit:kiwi) = %s (':' inside an argument is escaped)\n", key)

	section(w, "Get: read the cache, never run the function")
	v, found, err := prices.Get(ctx, "pear")
	fmt.Fprintf(w, "Get(pear) = %d, found = %v, err = %v (a miss)\n", v, found, err)
	v, found, _ = prices.Get(ctx, "apple")
	fmt.Fprintf(w, "Get(apple) = %d, found = %v\n", v, found)
	_, _ = prices.Call(ctx, "water")
	v, found, _ = prices.Get(ctx, "water")
	fmt.Fprintf(w, "Get(water) = %d, found = %v (a cached zero is not a miss)\n", v, found)
	fmt.Fprintf(w, "runs so far: %d\n", runs())

	section(w, "Has: is an entry cached?")
	hasApple, _ := prices.Has(ctx, "apple")
	hasPear, _ := prices.Has(ctx, "pear")
	fmt.Fprintf(w, "Has(apple) = %v, Has(pear) = %v\n", hasApple, hasPear)

	section(w, "Update: run the function and overwrite the entry")
	setPrice("apple", 125)
	v, _ = prices.Call(ctx, "apple")
	fmt.Fprintf(w, "the price changed to 125; Call(apple) = %d (still the cached value)\n", v)
	v, err = prices.Update(ctx, "apple")
	fmt.Fprintf(w, "Update(apple) = %d, err = %v\n", v, err)
	v, _ = prices.Call(ctx, "apple")
	fmt.Fprintf(w, "Call(apple) = %d, runs so far: %d\n", v, runs())

	section(w, "Set: write a value (value first, then the arguments)")
	err = prices.Set(ctx, 99, "pear")
	fmt.Fprintf(w, "Set(99, pear): err = %v\n", err)
	v, found, _ = prices.Get(ctx, "pear")
	fmt.Fprintf(w, "Get(pear) = %d, found = %v, runs so far: %d\n", v, found, runs())

	section(w, "Execute: run the function, bypassing the cache")
	v, err = prices.Execute(ctx, "pear")
	fmt.Fprintf(w, "Execute(pear) = %d, err = %v\n", v, err)
	v, _, _ = prices.Get(ctx, "pear")
	fmt.Fprintf(w, "Get(pear) = %d (the cache still holds the value Set wrote)\n", v)

	section(w, "Touch: reset the entry's expiry to the ring's Expire")
	fmt.Fprintf(w, "Touch(apple): err = %v\n", prices.Touch(ctx, "apple"))
	fmt.Fprintf(w, "Touch(melon): err = %v (an absent entry is not an error)\n", prices.Touch(ctx, "melon"))

	section(w, "Delete: remove the entry (manual expiration)")
	fmt.Fprintf(w, "Delete(apple): err = %v\n", prices.Delete(ctx, "apple"))
	hasApple, _ = prices.Has(ctx, "apple")
	fmt.Fprintf(w, "Has(apple) = %v\n", hasApple)
	fmt.Fprintf(w, "Delete(apple) again: err = %v (an absent entry is not an error)\n", prices.Delete(ctx, "apple"))
	v, _ = prices.Call(ctx, "apple")
	fmt.Fprintf(w, "Call(apple) = %d, runs so far: %d\n", v, runs())

	section(w, "Untyped().Run: a sub-function chosen by name, with untyped arguments")
	got, err := prices.Untyped().Run(ctx, "get", "apple")
	fmt.Fprintf(w, "Untyped().Run(get, apple) = %v (%T), err = %v\n", got, got, err)
	got, err = prices.Untyped().Run(ctx, "key", "pear")
	fmt.Fprintf(w, "Untyped().Run(key, pear) = %v, err = %v\n", got, err)
	_, err = prices.Untyped().Run(ctx, "forget", "apple")
	fmt.Fprintf(w, "Untyped().Run(forget, apple): err = %v\n", err)

	section(w, "Cache().Storage(): the backend itself")
	fmt.Fprintf(w, "Cache().Storage().Name() = %s, Cache().Storage().Bytes() = %v (Go values are stored as they are)\n",
		prices.Cache().Storage().Name(), prices.Cache().Storage().Bytes())

	section(w, "Many(): the bulk forms, many argument sets at once")
	keys, _ := prices.Many().Key([]string{"kiwi", "fig", "plum"})
	fmt.Fprintf(w, "Many().Key(kiwi, fig, plum) = %q\n", keys)
	err = prices.Many().Set(ctx, []int{40, 55}, []string{"kiwi", "fig"})
	fmt.Fprintf(w, "Many().Set([40 55], [kiwi fig]): err = %v\n", err)
	values, founds, err := prices.Many().Get(ctx, []string{"kiwi", "plum", "fig"})
	fmt.Fprintf(w, "Many().Get(kiwi, plum, fig) = %v, found = %v, err = %v\n", values, founds, err)
	before := runs()
	values, err = prices.Many().GetOrUpdate(ctx, []string{"kiwi", "plum", "fig", "grape"})
	fmt.Fprintf(w, "Many().GetOrUpdate(kiwi, plum, fig, grape) = %v, err = %v: %d runs, for the misses only\n",
		values, err, runs()-before)
	values, err = prices.Many().Update(ctx, []string{"kiwi", "fig"})
	fmt.Fprintf(w, "Many().Update(kiwi, fig) = %v, err = %v (the real prices)\n", values, err)
	hases, err := prices.Many().Has(ctx, []string{"kiwi", "fig", "melon"})
	fmt.Fprintf(w, "Many().Has(kiwi, fig, melon) = %v, err = %v\n", hases, err)
	fmt.Fprintf(w, "Many().Touch(kiwi, fig): err = %v\n", prices.Many().Touch(ctx, []string{"kiwi", "fig"}))
	fmt.Fprintf(w, "Many().Delete(kiwi, fig): err = %v\n", prices.Many().Delete(ctx, []string{"kiwi", "fig"}))
	hases, _ = prices.Many().Has(ctx, []string{"kiwi", "fig", "plum"})
	fmt.Fprintf(w, "Many().Has(kiwi, fig, plum) = %v\n", hases)
	values, err = prices.Many().Execute(ctx, []string{"kiwi", "fig"})
	fmt.Fprintf(w, "Many().Execute(kiwi, fig) = %v, err = %v\n", values, err)
	hases, _ = prices.Many().Has(ctx, []string{"kiwi", "fig"})
	fmt.Fprintf(w, "Many().Has(kiwi, fig) = %v (Many().Execute wrote nothing)\n", hases)

	section(w, "Untyped: the same ring with arguments as []any, checked at run time")
	u := prices.Untyped()
	_, err = u.Call(ctx, 42)
	fmt.Fprintf(w, "Untyped().Call(42): err = %v\n", err)
	_, err = u.Call(ctx)
	fmt.Fprintf(w, "Untyped().Call(): err = %v\n", err)
	got, err = u.Call(ctx, "apple")
	fmt.Fprintf(w, "Untyped().Call(apple) = %v, err = %v (the typed ring's entry)\n", got, err)

	fmt.Fprintf(w, "\nfetchPrice ran %d times in all\n", runs())
	return nil
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n== %s\n", title)
}
