package coders_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ringcache/ring/coders"
)

// flateCompressor compresses with the standard library's compress/flate.
type flateCompressor struct{ level int }

func (flateCompressor) Name() string { return "flate" }

// ID is the frame header of its values: 1 to 15 are ring's own.
func (flateCompressor) ID() byte { return 16 }

func (f flateCompressor) Compress(dst, src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst) // appends to dst
	w, err := flate.NewWriter(buf, f.level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (flateCompressor) Decompress(dst, src []byte, maxSize int) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(src))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, int64(maxSize)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxSize {
		return nil, fmt.Errorf("more than %d bytes: %w", maxSize, coders.ErrTooLarge)
	}
	return append(dst, out...), nil
}

// RegisterLayer adds a compression layer of your own, here the standard
// library's flate, so that coder URLs can name it and set its level.
func ExampleRegisterLayer() {
	err := coders.RegisterLayer("flate", func(level string) (coders.Compressor, error) {
		if level == "" {
			return flateCompressor{flate.DefaultCompression}, nil
		}
		n, err := strconv.Atoi(level)
		if err != nil || n < flate.HuffmanOnly || n > flate.BestCompression {
			return nil, errors.New("flate level must be -2..9")
		}
		return flateCompressor{n}, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	c, err := coders.Open("json+flate://?level=9")
	if err != nil {
		fmt.Println(err)
		return
	}
	in := strings.Repeat("flate it ", 50)
	data, err := c.Encode(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	var out string
	if err := c.Decode(data, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), data[0], len(data) < len(in)/5, out == in)

	_, err = coders.Open("json+flate://?level=12")
	fmt.Println(err)
	// Output:
	// json+flate 16 true true
	// ring: coder json+flate: parameter level="12": flate level must be -2..9
}
