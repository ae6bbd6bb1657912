package coders_test

import (
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/internal/codertest"
)

// fuzzURLs are every coder and a chain of each base with each layer.
var fuzzURLs = []string{
	"json", "gob", "msgpack", "bytes", "string",
	"json+zstd", "json+s2", "json+gzip",
	"gob+zstd", "gob+s2", "gob+gzip",
	"msgpack+zstd", "msgpack+s2", "msgpack+gzip",
	"bytes+zstd", "string+s2",
	"json+zstd+s2", "msgpack+s2+gzip", "gob+gzip+zstd",
	"msgpack+zstd://?max_size=64KiB",
}

// fuzzTargets make fresh decode targets of a few shapes.
var fuzzTargets = []func() any{
	func() any { return new(any) },
	func() any { return new(codertest.Record) },
	func() any { return new(map[string]int) },
	func() any { return new([]string) },
	func() any { return new([]int64) },
	func() any { return new([]codertest.Record) },
	func() any { return new(string) },
	func() any { return new([]byte) },
	func() any { return new(*codertest.Record) },
}

// FuzzDecode checks that Decode of arbitrary bytes, with every coder and
// chain, into every target shape returns a value or an error and never
// panics (nor exhausts memory: the fuzzer's RSS limit catches that). The
// seed corpus in testdata/fuzz/FuzzDecode runs with plain go test.
func FuzzDecode(f *testing.F) {
	cs := make([]coders.Coder, len(fuzzURLs))
	for i, u := range fuzzURLs {
		cs[i] = mustOpen(f, u)
	}
	// Valid encodings of several values by every coder are good seeds.
	rec := codertest.MakeRecord(1)
	rec.Note = codertest.CompressibleText(300) // above the compression threshold
	for _, c := range cs {
		for _, v := range []any{rec, map[string]int{"a": 1}, []string{"x"}, "short", []byte("bytes")} {
			if b, err := c.Encode(v); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range cs {
			for _, target := range fuzzTargets {
				_ = c.Decode(data, target())
			}
		}
	})
}

// FuzzOpen checks that Open of any string returns a coder or an error,
// never panics, and that an opened coder round-trips a value.
func FuzzOpen(f *testing.F) {
	for _, u := range append(append([]string{}, structuredURLs...), rawURLs...) {
		f.Add(u)
	}
	for _, u := range []string{"json+zstd://?level=3&min_size=1KiB&max_size=16MiB", "json+zstd+s2://?zstd.level=best&s2.level=better",
		"json://?level=3", "zstd+json://", "json+zstd://?level=%zz", "json+://", "://", "json+gzip://?level=-2&gzip.min_size=0"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u string) {
		c, err := coders.Open(u)
		if err != nil {
			if c != nil {
				t.Fatalf("Open(%q) returned a coder and an error", u)
			}
			return
		}
		b, err := c.Encode("fuzz")
		if err != nil {
			return // e.g. a max_size below the value
		}
		var s string
		if err := c.Decode(b, &s); err != nil || s != "fuzz" {
			t.Fatalf("Open(%q): round trip: %q, %v", u, s, err)
		}
	})
}
