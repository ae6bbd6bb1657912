package coders_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/compression"
	"github.com/stretchr/testify/require"
)

// layerFacts describes one layer of an opened chain, outermost first.
type layerFacts struct {
	alg   string
	level any
	min   int
	max   int
}

func facts(c coders.Coder) (base string, ls []layerFacts) {
	for {
		l, ok := c.(*coders.Layer)
		if !ok {
			return c.Name(), ls
		}
		ls = append(ls, layerFacts{l.Compressor().Name(), level(l.Compressor()), l.MinSize(), l.MaxSize()})
		c = l.Inner()
	}
}

func TestOpen(t *testing.T) {
	const dmin, dmax = coders.DefaultMinSize, coders.DefaultMaxSize
	cases := []struct {
		url    string
		name   string
		base   string
		layers []layerFacts // outermost first
	}{
		{"json://", "json", "json", nil},
		{"json", "json", "json", nil},
		{"json:///", "json", "json", nil},
		{"gob://", "gob", "gob", nil},
		{"msgpack://", "msgpack", "msgpack", nil},
		{"bytes://", "bytes", "bytes", nil},
		{"string://", "string", "string", nil},
		{"json+zstd://", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdDefault, dmin, dmax}}},
		{"json+zstd://?level=3", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdBetter, dmin, dmax}}},
		{"json+zstd:///?level=1", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdFastest, dmin, dmax}}},
		{"json+zstd?level=4", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdBest, dmin, dmax}}},
		{"json+zstd://?level=fastest", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdFastest, dmin, dmax}}},
		{"json+zstd://?level=BEST", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdBest, dmin, dmax}}},
		{"json+zstd://?level=default", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdDefault, dmin, dmax}}},
		{"json+zstd://?level=better", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdBetter, dmin, dmax}}},
		{"msgpack+s2://", "msgpack+s2", "msgpack", []layerFacts{{"s2", compression.S2Default, dmin, dmax}}},
		{"msgpack+s2://?level=better", "msgpack+s2", "msgpack", []layerFacts{{"s2", compression.S2Better, dmin, dmax}}},
		{"msgpack+s2://?level=best", "msgpack+s2", "msgpack", []layerFacts{{"s2", compression.S2Best, dmin, dmax}}},
		{"gob+gzip://", "gob+gzip", "gob", []layerFacts{{"gzip", compression.GzipDefault, dmin, dmax}}},
		{"gob+gzip://?level=9", "gob+gzip", "gob", []layerFacts{{"gzip", 9, dmin, dmax}}},
		{"gob+gzip://?level=-2", "gob+gzip", "gob", []layerFacts{{"gzip", -2, dmin, dmax}}},
		{"gob+gzip://?level=0", "gob+gzip", "gob", []layerFacts{{"gzip", 0, dmin, dmax}}},
		{"gob+gzip://?level=default", "gob+gzip", "gob", []layerFacts{{"gzip", -1, dmin, dmax}}},
		{"json+zstd://?min_size=0", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdDefault, 0, dmax}}},
		{"json+zstd://?min_size=1KiB&max_size=16MiB", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdDefault, 1024, 16 << 20}}},
		{"json+gzip://?max_size=1GiB", "json+gzip", "json", []layerFacts{{"gzip", compression.GzipDefault, dmin, 1 << 30}}},
		{"json+gzip://?max_size=2000B&min_size=10b", "json+gzip", "json", []layerFacts{{"gzip", compression.GzipDefault, 10, 2000}}},
		{"json+gzip://?max_size=2kib", "json+gzip", "json", []layerFacts{{"gzip", compression.GzipDefault, dmin, 2048}}},
		{"json+zstd+s2://", "json+zstd+s2", "json", []layerFacts{{"s2", compression.S2Default, dmin, dmax}, {"zstd", compression.ZstdDefault, dmin, dmax}}},
		{"json+zstd+s2://?zstd.level=best&s2.level=better", "json+zstd+s2", "json",
			[]layerFacts{{"s2", compression.S2Better, dmin, dmax}, {"zstd", compression.ZstdBest, dmin, dmax}}},
		{"json+zstd+gzip://?level=3", "json+zstd+gzip", "json", []layerFacts{{"gzip", 3, dmin, dmax}, {"zstd", compression.ZstdBetter, dmin, dmax}}},
		{"json+zstd+gzip://?level=3&gzip.level=9&min_size=100&zstd.min_size=0", "json+zstd+gzip", "json",
			[]layerFacts{{"gzip", 9, 100, dmax}, {"zstd", compression.ZstdBetter, 0, dmax}}},
		{"msgpack+zstd+zstd://?level=1", "msgpack+zstd+zstd", "msgpack",
			[]layerFacts{{"zstd", compression.ZstdFastest, dmin, dmax}, {"zstd", compression.ZstdFastest, dmin, dmax}}},
		{"zstd://", "bytes+zstd", "bytes", []layerFacts{{"zstd", compression.ZstdDefault, dmin, dmax}}},
		{"s2+gzip://", "bytes+s2+gzip", "bytes", []layerFacts{{"gzip", compression.GzipDefault, dmin, dmax}, {"s2", compression.S2Default, dmin, dmax}}},
		{"string+s2://?level=best", "string+s2", "string", []layerFacts{{"s2", compression.S2Best, dmin, dmax}}},
		{"json+zstd://?level=%33", "json+zstd", "json", []layerFacts{{"zstd", compression.ZstdBetter, dmin, dmax}}}, // %-escapes
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			c, err := coders.Open(tc.url)
			require.NoError(t, err)
			require.Equal(t, tc.name, c.Name())
			base, ls := facts(c)
			require.Equal(t, tc.base, base)
			require.Equal(t, tc.layers, ls)

			// Every opened coder works.
			b, err := c.Encode([]byte(strings.Repeat("round trip ", 100)))
			require.NoError(t, err)
			var got []byte
			require.NoError(t, c.Decode(b, &got))
			require.Equal(t, strings.Repeat("round trip ", 100), string(got))
		})
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		url  string
		want []string // every substring must appear in the error
	}{
		{"", []string{`ring: coder url: no coder name`}},
		{"://", []string{`no coder name before "://"`}},
		{"?level=1", []string{`no coder name`}},
		{"proto://", []string{`ring: coder proto: unknown coder "proto" (registered: bytes, `, `json, msgpack, string; layers: gzip, s2, zstd)`}},
		{"JSON://", []string{`unknown coder "JSON"`}},
		{"json+lz4://", []string{`ring: coder json+lz4: unknown compression layer "lz4" (layers: gzip, s2, zstd)`}},
		{"json+zstd+brotli+lz4://", []string{`unknown compression layer "brotli"`, `unknown compression layer "lz4"`}},
		{"zstd+json://", []string{`"json" is a coder, not a compression layer`}},
		{"json+gob://", []string{`"gob" is a coder, not a compression layer`}},
		{"json+://", []string{`ring: coder json+: empty name at position 2 of the chain`}},
		{"+zstd://", []string{`empty name at position 1`}},
		{"json://localhost", []string{`ring: coder json: unexpected host, user or path after "://"`}},
		{"json://host/path?level=1", []string{`unexpected host, user or path`}},
		{"json+zstd://user:s3cr3tpw@host", []string{`unexpected host, user or path`}},
		{"json+zstd://?level=1#frag", []string{`unexpected fragment ('#')`}},
		{"json/x://", []string{`bad coder name: it has ':', '/', '?' or '#'`}},
		{"json://?level=3", []string{`ring: coder json: parameter level="3": no layer in the chain takes it`}},
		{"json://?min_size=10", []string{`parameter min_size="10": no layer in the chain takes it`}},
		{"bytes://?max_size=1MiB", []string{`parameter max_size="1MiB": no layer in the chain takes it`}},
		{"json+zstd://?gzip.level=3", []string{`parameter gzip.level="3": no gzip layer in the chain takes it`}},
		{"json+zstd://?lz4.level=3", []string{`parameter lz4.level="3": unknown compression layer "lz4"`}},
		{"json+zstd://?lvl=3", []string{`unknown parameter lvl (known: level, min_size, max_size`}},
		{"json+zstd://?zstd.speed=3", []string{`unknown parameter zstd.speed (`}},
		{"json+zstd://?compression-level=3", []string{`unknown parameter compression-level (`, `did you mean "level"?`}},
		{"json+zstd://?level=0", []string{`ring: coder json+zstd: parameter level="0": zstd level must be 1..4 or fastest, default, better, best`}},
		{"json+zstd://?level=5", []string{`parameter level="5": zstd level must be 1..4`}},
		{"json+zstd://?level=19", []string{`parameter level="19"`}},
		{"json+zstd://?level=fast", []string{`parameter level="fast"`}},
		{"json+zstd://?level=", []string{`parameter level has an empty value`}},
		{"json+zstd://?level", []string{`parameter level has an empty value`}},
		{"json+zstd://?level=1&level=2", []string{`parameter level given 2 times ("1", "2")`}},
		{"json+gzip://?level=10", []string{`parameter level="10": gzip level must be -2..9 or default`}},
		{"json+gzip://?level=-3", []string{`parameter level="-3"`}},
		{"json+gzip://?level=best", []string{`parameter level="best": gzip level must be -2..9 or default`}},
		{"json+s2://?level=2", []string{`parameter level="2": s2 level must be default, better or best`}},
		{"json+zstd+s2://?level=3", []string{`ring: coder json+zstd+s2: parameter level="3": s2 level must be`}},
		{"json+s2+zstd://?s2.level=fast&zstd.level=9", []string{`parameter s2.level="fast"`, `parameter zstd.level="9"`}},
		{"json+zstd://?min_size=-1", []string{`parameter min_size="-1": size "-1" does not start with a whole number`}},
		{"json+zstd://?min_size=1.5KiB", []string{`parameter min_size="1.5KiB": size "1.5KiB" has an unknown unit`}},
		{"json+zstd://?min_size=10XB", []string{`parameter min_size="10XB": size "10XB" has an unknown unit (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`}},
		{"json+zstd://?max_size=0", []string{`parameter max_size="0": max_size must be at least 1 byte`}},
		{"json+zstd://?max_size=MiB", []string{`parameter max_size="MiB": size "MiB" does not start with a whole number`}},
		{"json+zstd://?max_size=99999999999999999999", []string{`parameter max_size="99999999999999999999": size "99999999999999999999" is too large`}},
		{"json+zstd://?max_size=9999999999999GiB", []string{`is too large`}},
		{"json+zstd://?zstd.max_size=x", []string{`parameter zstd.max_size="x": size "x" does not start with a whole number`}},
		{"json+zstd://?level=%zz", []string{`bad query: a bad percent-escape`}},
		{"json+zstd://?a=1;b=2", []string{`bad query`}},
		// Every problem is reported at once.
		{"json+zstd://?lvl=3&min_size=-1&max_size=12XB", []string{`unknown parameter lvl (`, `min_size="-1"`, `max_size="12XB"`}},
		{"nope+lz4://?lvl=3", []string{`unknown coder "nope"`, `unknown compression layer "lz4"`, `unknown parameter lvl (`}},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			c, err := coders.Open(tc.url)
			require.Error(t, err)
			require.Nil(t, c)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "ring: coder "), "every line names the coder: %q", line)
			}
		})
	}
}

// TestOpenUserCoder checks that a coder registered by the user can be the
// base of a chain, in Default and in a registry of one's own.
func TestOpenUserCoder(t *testing.T) {
	proto := coders.Funcs{
		CoderName: "ringtest-proto",
		EncodeFn:  func(v any) ([]byte, error) { return []byte(strings.Repeat(v.(string), 20)), nil },
		DecodeFn: func(data []byte, target any) error {
			*target.(*string) = string(data[:len(data)/20])
			return nil
		},
	}
	require.NoError(t, coders.Register("ringtest-proto", proto))
	t.Cleanup(func() { coders.Unregister(coders.Default, "ringtest-proto") })

	c, err := coders.Open("ringtest-proto+zstd://?level=fastest")
	require.NoError(t, err)
	require.Equal(t, "ringtest-proto+zstd", c.Name())
	b, err := c.Encode("abcd")
	require.NoError(t, err)
	require.Equal(t, coders.FrameZstd, b[0])
	require.Equal(t, "abcd", decodeString(t, c, b))

	var r coders.Registry
	require.NoError(t, r.Register("proto", proto))
	c, err = r.Open("proto+s2://")
	require.NoError(t, err)
	require.Equal(t, "ringtest-proto+s2", c.Name()) // a layer names itself after its inner coder
	_, err = r.Open("json://")
	require.ErrorContains(t, err, `unknown coder "json" (registered: proto; layers: gzip, s2, zstd)`)
	// Without a bytes coder registered, a layer-only chain still works.
	c, err = r.Open("gzip://")
	require.NoError(t, err)
	require.Equal(t, "bytes+gzip", c.Name())
}

func TestOpenErrorsAreJoined(t *testing.T) {
	_, err := coders.Open("json+zstd://?level=9&min_size=x")
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	require.Len(t, joined.Unwrap(), 2)
}
