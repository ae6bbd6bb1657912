package ring_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

func exampleSum(a, b int) int { return a + b }

func exampleWatch(ctx context.Context, updates chan int) (int, error) { return 0, nil }

// Errors hold their parts in fields and write each part once: errors.As
// reaches the shape error that names the parameter, the keyability error
// under it, and an untyped argument's error inside a bulk call.
func ExampleArgError() {
	_, err := ring.Func1(exampleWatch)
	var de *descriptor.Error
	var te *ringkey.TypeError
	if errors.As(err, &de) && errors.As(err, &te) {
		fmt.Printf("%s: parameter %d (%v): %s\n", de.Func, de.Pos, de.Type, te.Reason)
	}

	sum := ring.Must(ring.New(exampleSum, ring.KeyPrefix("sum")))
	_, err = sum.Many().Key([][]any{{1, 2}, {"x", 2}})
	fmt.Println(err)
	var ae *ring.ArgError
	if errors.As(err, &ae) {
		fmt.Println("position", ae.Pos, "got", ae.Got, "want", ae.Want)
	}
	// Output:
	// github.com/ringcache/ring_test.exampleWatch: parameter 2 (chan int): is a chan
	// ring: github.com/ringcache/ring_test.exampleSum: argument set 1: parameter 1: got string, want int
	// position 1 got string want int
}
