package main

import (
	"testing"

	"github.com/ringcache/ring/internal/exampletest"
)

// TestRun runs the walk-through and compares its output with the golden
// text below, so that any change in behaviour (a key's format, a hit that
// becomes a miss, an extra run of the function, an error's wording) breaks
// the test.
func TestRun(t *testing.T) {
	exampletest.Check(t, "github.com/ringcache/ring/examples/static", want, run)
}

// want is the expected output of run, byte for byte.
const want = `
== Call: the cached function (runs fetchPrice once per key)
    (fetchPrice("apple") ran: run #1)
Call(apple) = 120, err = <nil>, runs so far: 1
Call(apple) = 120, err = <nil>, runs so far: 1
    (fetchPrice("durian") ran: run #2)
Call(durian): err = no price for "durian"
Has(durian) = false (a result with an error is not cached)

== Key: the exact key the backend stores
Key(apple) = main.fetchPrice:apple
Key(fruit:kiwi) = main.fetchPrice:fruit\:kiwi (':' inside an argument is escaped)

== Get: read the cache, never run the function
Get(pear) = 0, found = false, err = <nil> (a miss)
Get(apple) = 120, found = true
    (fetchPrice("water") ran: run #3)
Get(water) = 0, found = true (a cached zero is not a miss)
runs so far: 3

== Has: is an entry cached?
Has(apple) = true, Has(pear) = false

== Update: run the function and overwrite the entry
the price changed to 125; Call(apple) = 120 (still the cached value)
    (fetchPrice("apple") ran: run #4)
Update(apple) = 125, err = <nil>
Call(apple) = 125, runs so far: 4

== Set: write a value (value first, then the arguments)
Set(99, pear): err = <nil>
Get(pear) = 99, found = true, runs so far: 4

== Execute: run the function, bypassing the cache
    (fetchPrice("pear") ran: run #5)
Execute(pear) = 90, err = <nil>
Get(pear) = 99 (the cache still holds the value Set wrote)

== Touch: reset the entry's expiry to the ring's Expire
Touch(apple): err = <nil>
Touch(melon): err = <nil> (an absent entry is not an error)

== Delete: remove the entry (manual expiration)
Delete(apple): err = <nil>
Has(apple) = false
Delete(apple) again: err = <nil> (an absent entry is not an error)
    (fetchPrice("apple") ran: run #6)
Call(apple) = 125, runs so far: 6

== Untyped().Run: a sub-function chosen by name, with untyped arguments
Untyped().Run(get, apple) = 125 (int), err = <nil>
Untyped().Run(key, pear) = main.fetchPrice:pear, err = <nil>
Untyped().Run(forget, apple): err = ring: main.fetchPrice: unknown sub-function "forget" (want call, get, update, get_or_update, set, delete, has, touch, refresh, execute or key)

== Cache().Storage(): the backend itself
Cache().Storage().Name() = lru, Cache().Storage().Bytes() = false (Go values are stored as they are)

== Many(): the bulk forms, many argument sets at once
Many().Key(kiwi, fig, plum) = ["main.fetchPrice:kiwi" "main.fetchPrice:fig" "main.fetchPrice:plum"]
Many().Set([40 55], [kiwi fig]): err = <nil>
Many().Get(kiwi, plum, fig) = [40 0 55], found = [true false true], err = <nil>
    (fetchPrice("plum") ran: run #7)
    (fetchPrice("grape") ran: run #8)
Many().GetOrUpdate(kiwi, plum, fig, grape) = [40 75 55 30], err = <nil>: 2 runs, for the misses only
    (fetchPrice("kiwi") ran: run #9)
    (fetchPrice("fig") ran: run #10)
Many().Update(kiwi, fig) = [45 60], err = <nil> (the real prices)
Many().Has(kiwi, fig, melon) = [true true false], err = <nil>
Many().Touch(kiwi, fig): err = <nil>
Many().Delete(kiwi, fig): err = <nil>
Many().Has(kiwi, fig, plum) = [false false true]
    (fetchPrice("kiwi") ran: run #11)
    (fetchPrice("fig") ran: run #12)
Many().Execute(kiwi, fig) = [45 60], err = <nil>
Many().Has(kiwi, fig) = [false false] (Many().Execute wrote nothing)

== Untyped: the same ring with arguments as []any, checked at run time
Untyped().Call(42): err = ring: main.fetchPrice: parameter 2: got int, want string
Untyped().Call(): err = ring: main.fetchPrice: got 0 arguments, want 1 [string] (the context is passed separately)
Untyped().Call(apple) = 125, err = <nil> (the typed ring's entry)

fetchPrice ran 12 times in all
`
