package msgpackcoder_test

import (
	"fmt"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/msgpackcoder"
)

type point struct {
	X, Y int
	Tag  string `msgpack:"tag"`
}

// Coder encodes with MessagePack: smaller than JSON, and numbers keep their
// width.
func ExampleCoder() {
	c := msgpackcoder.Coder{}
	data, err := c.Encode(point{X: 1, Y: -2, Tag: "a"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var p point
	if err := c.Decode(data, &p); err != nil {
		fmt.Println(err)
		return
	}
	js, _ := coders.JSON{}.Encode(point{X: 1, Y: -2, Tag: "a"})
	fmt.Println(c.Name(), p, len(data), "bytes; json:", len(js))
	// Output:
	// msgpack {1 -2 a} 13 bytes; json: 24
}

// Importing the package registers "msgpack" in coders.Default, so that names
// and URLs find it, alone or as the base of a chain.
func Example_registered() {
	c, err := coders.Open("msgpack://")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name())
	// Output:
	// msgpack
}
