package coders_test

import (
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/compression"
	"github.com/stretchr/testify/require"

	// Register "msgpack" and the zstd, s2 and gzip layers for the URLs
	// below.
	_ "github.com/ringcache/ring/coders/msgpackcoder"
)

// Named types for the bytes and string coders.
type (
	blob  []byte
	label string
)

// mustLayer builds a layer or fails the test.
func mustLayer(t testing.TB, inner coders.Coder, c coders.Compressor, err error, opts ...coders.LayerOption) *coders.Layer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	l, err := coders.Compress(inner, c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// mustOpen opens a coder URL or fails the test.
func mustOpen(t testing.TB, u string) coders.Coder {
	t.Helper()
	c, err := coders.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// level returns the level of one of package compression's compressors.
func level(c coders.Compressor) any {
	switch c := c.(type) {
	case *compression.Zstd:
		return c.Level()
	case *compression.S2:
		return c.Level()
	case *compression.Gzip:
		return c.Level()
	}
	return nil
}

// roundTrip encodes v with c, decodes into a new value of v's type and
// returns it.
func roundTrip[T any](t *testing.T, c coders.Coder, v T) T {
	t.Helper()
	b, err := c.Encode(v)
	require.NoError(t, err, "%s: encode %T", c.Name(), v)
	var got T
	require.NoError(t, c.Decode(b, &got), "%s: decode %T", c.Name(), v)
	return got
}

// decodeString decodes b into a string or fails the test.
func decodeString(t *testing.T, c coders.Coder, b []byte) string {
	t.Helper()
	var s string
	require.NoError(t, c.Decode(b, &s))
	return s
}

// structuredURLs are the coders (and chains) that can encode any struct.
var structuredURLs = []string{
	"json", "gob", "msgpack",
	"json+zstd", "json+s2", "json+gzip",
	"gob+zstd", "gob+s2", "gob+gzip",
	"msgpack+zstd", "msgpack+s2", "msgpack+gzip",
	"json+zstd+s2", "msgpack+s2+gzip", "gob+gzip+zstd",
	"msgpack+zstd://?level=best&min_size=0",
	"json+gzip://?level=9",
	"json+s2://?level=best",
}

// rawURLs are the coders (and chains) for []byte and string values.
var rawURLs = []string{
	"bytes", "string",
	"bytes+zstd", "bytes+s2", "bytes+gzip", "string+zstd", "string+s2+gzip",
	"zstd", "s2", "gzip",
}
