package compression_test

import (
	"fmt"
	"strings"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/compression"
)

// NewZstd builds a compressor for coders.Compress, which wraps a coder in a
// compression layer: values of at least WithMinSize bytes are stored
// compressed, behind a one-byte frame header.
func ExampleNewZstd() {
	z, err := compression.NewZstd(compression.ZstdBetter)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := coders.Compress(coders.JSON{}, z, coders.WithMinSize(256))
	if err != nil {
		fmt.Println(err)
		return
	}
	long := strings.Repeat("compressible ", 100)
	data, err := c.Encode(long)
	if err != nil {
		fmt.Println(err)
		return
	}
	var back string
	if err := c.Decode(data, &back); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), data[0] == coders.FrameZstd, len(data) < len(long)/10, back == long)
	// Output:
	// json+zstd true true true
}

// Importing the package registers zstd, s2 and gzip, so that coder URLs and
// ring.Coder("json+s2") name them.
func Example_open() {
	c, err := coders.Open("json+gzip://?level=9&min_size=0")
	if err != nil {
		fmt.Println(err)
		return
	}
	l := c.(*coders.Layer)
	fmt.Println(l.Name(), l.Compressor().(*compression.Gzip).Level(), l.MinSize())
	// Output:
	// json+gzip 9 0
}
