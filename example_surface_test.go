package ring_test

import (
	"context"
	"fmt"

	"github.com/ringcache/ring"
)

// A ring's Cache gives its coder, typed: the bytes the backend stores for a
// result, and back, for code that reads or writes the entries directly.
func ExampleCache_Decode() {
	stock := ring.Must(ring.Func1(stockLevel, ring.Coder("json"), ring.KeyPrefix("stock")))
	ctx := context.Background()
	_, _ = stock.Call(ctx, "fig")

	c := stock.Cache()
	key, _ := stock.Key("fig")
	raw, _, _ := c.Storage().Get(ctx, key)
	fmt.Printf("%s holds %s\n", key, raw)
	n, err := c.Decode(raw.([]byte))
	fmt.Println(n+1, err)

	b, _ := c.Encode(40)
	_ = c.Storage().Set(ctx, key, b, 0) // a write from outside the ring
	n, _ = stock.Call(ctx, "fig")
	fmt.Println(n)
	// Output:
	// counting stock of fig
	// stock:fig holds 9
	// 10 <nil>
	// 40
}

// The bulk forms of the untyped view take each argument set as a []any,
// checked against the signature.
func ExampleRing_Many() {
	area := ring.Must(ring.New(func(w, h int) int {
		fmt.Printf("computing %dx%d\n", w, h)
		return w * h
	}, ring.KeyPrefix("area2")))
	ctx := context.Background()

	bulk := area.Many()
	_ = bulk.Set(ctx, []any{6}, [][]any{{2, 3}})
	vals, err := bulk.GetOrUpdate(ctx, [][]any{{2, 3}, {4, 5}})
	fmt.Println(vals, err)
	keys, _ := bulk.Key([][]any{{2, 3}, {4, 5}})
	fmt.Println(keys)
	_, _, err = bulk.Get(ctx, [][]any{{2, 3}, {"4", 5}})
	fmt.Println(err)
	// Output:
	// computing 4x5
	// [6 20] <nil>
	// [area2:2:3 area2:4:5]
	// ring: github.com/ringcache/ring_test.ExampleRing_Many.func1: argument set 1: parameter 1: got string, want int
}
