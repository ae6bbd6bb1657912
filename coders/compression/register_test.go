package compression

import (
	"strings"
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/stretchr/testify/require"
)

// TestRegistersLayers checks that importing the package makes its three
// layers available to coder URLs, each building its own compressor at the
// level the URL asks for, and the levels it does not take errors.
func TestRegistersLayers(t *testing.T) {
	for _, tc := range []struct {
		url   string
		want  coders.Compressor
		frame byte
	}{
		{"zstd://?level=best", &Zstd{level: ZstdBest}, coders.FrameZstd},
		{"s2://?level=better", &S2{level: S2Better}, coders.FrameS2},
		{"gzip://?level=9", &Gzip{level: GzipBest}, coders.FrameGzip},
	} {
		t.Run(tc.url, func(t *testing.T) {
			c, err := coders.Open(tc.url)
			require.NoError(t, err)
			l, ok := c.(*coders.Layer)
			require.True(t, ok, "%T", c)
			require.IsType(t, tc.want, l.Compressor())
			require.Equal(t, tc.frame, l.Compressor().ID())
			switch want := tc.want.(type) {
			case *Zstd:
				require.Equal(t, want.Level(), l.Compressor().(*Zstd).Level())
			case *S2:
				require.Equal(t, want.Level(), l.Compressor().(*S2).Level())
			case *Gzip:
				require.Equal(t, want.Level(), l.Compressor().(*Gzip).Level())
			}
			b, err := c.Encode([]byte(strings.Repeat("abc", 100)))
			require.NoError(t, err)
			require.Equal(t, tc.frame, b[0], "compressed by the registered algorithm")
		})
	}
	for _, tc := range []struct{ url, want string }{
		{"zstd://?level=0", `zstd level must be 1..4`},
		{"s2://?level=1", `s2 level must be default, better or best`},
		{"gzip://?level=10", `gzip level must be -2..9 or default`},
	} {
		_, err := coders.Open(tc.url)
		require.ErrorContains(t, err, tc.want, tc.url)
	}
}

// TestOpenSharesCompressors checks that coder URLs with the same algorithm
// and level share one compressor, whatever else differs.
func TestOpenSharesCompressors(t *testing.T) {
	open := func(u string) *coders.Layer {
		c, err := coders.Open(u)
		require.NoError(t, err)
		return c.(*coders.Layer)
	}
	a := open("json+zstd://?level=3")
	b := open("msgpack+zstd://?level=better&min_size=0")
	c := open("json+zstd://?level=4")
	require.Same(t, a.Compressor(), b.Compressor())
	require.NotSame(t, a.Compressor(), c.Compressor())
	g1 := open("gob+gzip://")
	g2 := open("json+gzip://?level=default")
	require.Same(t, g1.Compressor(), g2.Compressor())
	s1 := open("s2://")
	s2 := open("string+s2://?level=default")
	require.Same(t, s1.Compressor(), s2.Compressor())
}
