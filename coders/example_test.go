package coders_test

import (
	"fmt"
	"strings"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/compression"
	"github.com/ringcache/ring/coders/msgpackcoder"
)

type user struct {
	ID   int      `json:"id" msgpack:"id"`
	Name string   `json:"name" msgpack:"name"`
	Bio  string   `json:"bio" msgpack:"bio"`
	Tags []string `json:"tags" msgpack:"tags"`
}

// Open builds a coder chain from a URL: JSON, then zstd at level 3
// ("better"), compressing values of 128 bytes or more. The zstd layer is
// registered by importing package compression (a blank import is enough).
func ExampleOpen() {
	c, err := coders.Open("json+zstd://?level=3&min_size=128")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name())

	small, _ := c.Encode(user{ID: 1, Name: "ada"})
	large, _ := c.Encode(user{ID: 2, Name: "grace", Bio: strings.Repeat("compilers, COBOL, nanoseconds. ", 20)})
	fmt.Println("small value frame:", small[0], "(raw)")
	fmt.Println("large value frame:", large[0], "(zstd)")

	var u user
	if err := c.Decode(large, &u); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.ID, u.Name, len(u.Bio))

	_, err = coders.Open("json+zstd://?level=9")
	fmt.Println(err)
	// Output:
	// json+zstd
	// small value frame: 0 (raw)
	// large value frame: 1 (zstd)
	// 2 grace 620
	// ring: coder json+zstd: parameter level="9": zstd level must be 1..4 or fastest, default, better, best
}

// Compress chains layers in code: msgpack, then zstd, then s2. Encode
// applies them left to right, Decode right to left.
func ExampleCompress() {
	z, err := compression.NewZstd(compression.ZstdDefault)
	if err != nil {
		fmt.Println(err)
		return
	}
	inner, err := coders.Compress(msgpackcoder.Coder{}, z, coders.WithMinSize(0))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := compression.NewS2(compression.S2Better)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := coders.Compress(inner, s, coders.WithMaxSize(1<<20))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name())

	in := []user{{ID: 1, Name: "ada", Tags: []string{"math"}}, {ID: 2, Name: "alan", Tags: []string{"math", "crypto"}}}
	data, err := c.Encode(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	var out []user
	if err := c.Decode(data, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[1].Name, out[1].Tags)
	// Output:
	// msgpack+zstd+s2
	// alan [math crypto]
}

// Register adds your own coder to the Default registry, where Open finds it
// as the base of a chain. Funcs adapts two functions to a Coder, which is
// also the way to give one ring its own encoding.
func ExampleRegister() {
	csv := coders.Funcs{
		CoderName: "csv",
		EncodeFn: func(v any) ([]byte, error) {
			fields, ok := v.([]string)
			if !ok {
				return nil, fmt.Errorf("ring: coder csv: cannot encode %T", v)
			}
			return []byte(strings.Join(fields, ",")), nil
		},
		DecodeFn: func(data []byte, target any) error {
			p, ok := target.(*[]string)
			if !ok {
				return fmt.Errorf("ring: coder csv: cannot decode into %T", target)
			}
			*p = strings.Split(string(data), ",")
			return nil
		},
	}
	if err := coders.Register("csv", csv); err != nil {
		fmt.Println(err)
		return
	}
	c, err := coders.Open("csv+gzip://?level=9")
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := c.Encode([]string{"a", "b", "c"})
	var got []string
	_ = c.Decode(data, &got)
	fmt.Println(c.Name(), got)
	// Output:
	// csv+gzip [a b c]
}
