package coders_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/compression"
	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
)

func TestCompressOptions(t *testing.T) {
	z, err := compression.NewZstd(compression.ZstdDefault)
	require.NoError(t, err)

	l, err := coders.Compress(coders.JSON{}, z)
	require.NoError(t, err)
	require.Equal(t, "json+zstd", l.Name())
	require.Equal(t, coders.DefaultMinSize, l.MinSize())
	require.Equal(t, coders.DefaultMaxSize, l.MaxSize())
	require.Equal(t, coders.JSON{}, l.Inner())
	require.Same(t, z, l.Compressor())

	l, err = coders.Compress(coders.JSON{}, z, coders.WithMinSize(0), coders.WithMaxSize(1<<10))
	require.NoError(t, err)
	require.Equal(t, 0, l.MinSize())
	require.Equal(t, 1<<10, l.MaxSize())
	require.Equal(t, "WithMinSize(0)", coders.WithMinSize(0).String())
	require.Equal(t, "WithMaxSize(1024)", coders.WithMaxSize(1024).String())

	_, err = coders.Compress(nil, z)
	require.ErrorContains(t, err, "nil inner coder")
	_, err = coders.Compress(coders.JSON{}, nil)
	require.ErrorContains(t, err, "ring: coder json: nil compressor")
	_, err = coders.Compress(coders.JSON{}, z, coders.WithMinSize(-1), coders.WithMaxSize(0))
	require.ErrorContains(t, err, "ring: coder json+zstd: min size -1 is negative")
	require.ErrorContains(t, err, "ring: coder json+zstd: max size 0 is below 1 byte")
	_, err = coders.Compress(coders.JSON{}, z, nil)
	require.ErrorContains(t, err, "nil option")
	_, err = coders.Compress(coders.JSON{}, &badID{})
	require.ErrorContains(t, err, "compressor id 0 is reserved")
}

type badID struct{ compression.S2 }

func (badID) ID() byte { return 0 }

// layers returns json+ALG for every algorithm with the given options.
func layers(t testing.TB, opts ...coders.LayerOption) []*coders.Layer {
	z, err := compression.NewZstd(compression.ZstdDefault)
	require.NoError(t, err)
	s, err := compression.NewS2(compression.S2Default)
	require.NoError(t, err)
	g, err := compression.NewGzip(compression.GzipDefault)
	require.NoError(t, err)
	return []*coders.Layer{
		mustLayer(t, coders.JSON{}, z, nil, opts...),
		mustLayer(t, coders.JSON{}, s, nil, opts...),
		mustLayer(t, coders.JSON{}, g, nil, opts...),
	}
}

func TestLayerThreshold(t *testing.T) {
	small := "tiny"                                 // "\"tiny\"": 6 bytes, below 64
	large := codertest.CompressibleText(4096)       // compresses well
	noise := string(codertest.RandomBytes(4096, 9)) // does not compress
	for _, l := range layers(t) {
		t.Run(l.Name(), func(t *testing.T) {
			b, err := l.Encode(small)
			require.NoError(t, err)
			require.Equal(t, coders.FrameRaw, b[0], "below the threshold: raw")
			require.Equal(t, `"tiny"`, string(b[1:]))
			require.Equal(t, small, decodeString(t, l, b))

			b, err = l.Encode(large)
			require.NoError(t, err)
			require.Equal(t, l.Compressor().ID(), b[0], "above the threshold: compressed")
			require.Less(t, len(b), len(large)/3)
			require.Equal(t, large, decodeString(t, l, b))

			// Random bytes do not compress: stored raw although large.
			braw := mustLayer(t, coders.Bytes{}, l.Compressor(), nil)
			b, err = braw.Encode(noise)
			require.NoError(t, err)
			require.Equal(t, coders.FrameRaw, b[0], "incompressible: raw")
			require.Equal(t, string(noise), decodeString(t, braw, b))

			// Exactly at the threshold compresses (if it helps).
			js, err := coders.JSON{}.Encode(large)
			require.NoError(t, err)
			at := mustLayer(t, coders.JSON{}, l.Compressor(), nil, coders.WithMinSize(len(js)))
			b, err = at.Encode(large)
			require.NoError(t, err)
			require.Equal(t, l.Compressor().ID(), b[0])
			above := mustLayer(t, coders.JSON{}, l.Compressor(), nil, coders.WithMinSize(len(js)+1))
			b2, err := above.Encode(large)
			require.NoError(t, err)
			require.Equal(t, coders.FrameRaw, b2[0])

			// Whatever the threshold of the reader, both forms decode.
			never := mustLayer(t, coders.JSON{}, l.Compressor(), nil, coders.WithMinSize(1<<30))
			always := mustLayer(t, coders.JSON{}, l.Compressor(), nil, coders.WithMinSize(0))
			require.Equal(t, large, decodeString(t, never, b))
			require.Equal(t, large, decodeString(t, always, b2))

			// min_size=0 compresses even the empty string... if it helps,
			// which it never does for 2 bytes.
			b, err = always.Encode("")
			require.NoError(t, err)
			require.Equal(t, coders.FrameRaw, b[0])
		})
	}
}

func TestLayerBadFrames(t *testing.T) {
	big := codertest.CompressibleText(10000)
	all := layers(t)
	for i, l := range all {
		t.Run(l.Name(), func(t *testing.T) {
			var s string
			err := l.Decode(nil, &s)
			require.ErrorContains(t, err, "ring: coder "+l.Name()+": decode into *string: empty data, missing frame header")
			err = l.Decode([]byte{0x7b, '"', 'x', '"'}, &s) // plain JSON, no header
			require.ErrorContains(t, err, "unknown frame header 0x7b")
			err = l.Decode([]byte{0x09, 1, 2, 3}, &s)
			require.ErrorContains(t, err, "unknown frame header 0x09")

			enc, err := l.Encode(big)
			require.NoError(t, err)
			require.Equal(t, l.Compressor().ID(), enc[0])

			// A value compressed by another algorithm names both.
			other := all[(i+1)%len(all)]
			err = other.Decode(enc, &s)
			require.ErrorContains(t, err, fmt.Sprintf("unknown frame header 0x%02x", enc[0]))
			require.ErrorContains(t, err, other.Compressor().Name())

			// Truncated compressed data is an error at every length.
			for _, n := range []int{1, 2, 5, len(enc) / 2, len(enc) - 1} {
				require.Error(t, l.Decode(enc[:n], &s), "truncated to %d of %d", n, len(enc))
			}
			// A flipped byte in the middle is an error (s2 has no checksum:
			// the inner JSON decoder has to notice, so flip a structural
			// byte of the payload there).
			bad := bytes.Clone(enc)
			bad[len(bad)/2] ^= 0xff
			if l.Compressor().Name() != "s2" {
				require.Error(t, l.Decode(bad, &s))
			} else {
				_ = l.Decode(bad, &s) // must not panic
			}
			// Trailing garbage after the compressed data is an error.
			require.Error(t, l.Decode(append(bytes.Clone(enc), 0x01, 0x02, 0x03, 0x04), &s))

			// Raw frame of a truncated inner value.
			raw := append([]byte{coders.FrameRaw}, `"abc`...)
			require.ErrorContains(t, l.Decode(raw, &s), "ring: coder json: decode into *string")
		})
	}
}

func TestLayerMaxSize(t *testing.T) {
	big := codertest.CompressibleText(1 << 20)
	for _, l := range layers(t) {
		t.Run(l.Name(), func(t *testing.T) {
			enc, err := l.Encode(big)
			require.NoError(t, err)
			small := mustLayer(t, coders.JSON{}, l.Compressor(), nil, coders.WithMaxSize(64<<10))
			_, err = small.Encode(big)
			require.ErrorIs(t, err, coders.ErrTooLarge)
			require.ErrorContains(t, err, "ring: coder json+"+l.Compressor().Name()+": encode string: ")
			require.ErrorContains(t, err, "bytes, more than the max size 65536")
			var s string
			err = small.Decode(enc, &s)
			require.ErrorIs(t, err, coders.ErrTooLarge)
			require.ErrorContains(t, err, "ring: coder json+"+l.Compressor().Name()+": decode into *string")
			// The raw form is not bounded: its size is the stored size.
			js, err := coders.JSON{}.Encode(big)
			require.NoError(t, err)
			require.NoError(t, small.Decode(append([]byte{coders.FrameRaw}, js...), &s))
			require.Equal(t, big, s)
		})
	}
}

// panicky is a compressor whose Decompress panics, standing in for a
// third-party bug.
type panicky struct{ compression.S2 }

func (panicky) Decompress([]byte, []byte, int) ([]byte, error) { panic("boom") }
func (panicky) Compress([]byte, []byte) ([]byte, error)        { panic("bang") }

func TestLayerRecoversCompressorPanics(t *testing.T) {
	l := mustLayer(t, coders.JSON{}, &panicky{}, nil, coders.WithMinSize(0))
	_, err := l.Encode("x")
	require.ErrorContains(t, err, "s2 panicked: bang")
	var s string
	err = l.Decode([]byte{coders.FrameS2, 1, 2, 3}, &s)
	require.ErrorContains(t, err, "panicked: boom")
}

func TestLayerErrorsFromInner(t *testing.T) {
	for _, l := range layers(t) {
		_, err := l.Encode(func() {})
		require.ErrorContains(t, err, "ring: coder json: encode func()")
		require.False(t, strings.Contains(err.Error(), "json+"), "inner errors are not re-prefixed: %v", err)
	}
}

// TestChainOrder checks that json+zstd+s2 applies zstd first and s2 last.
func TestChainOrder(t *testing.T) {
	c := mustOpen(t, "json+zstd+s2://?min_size=0")
	l := c.(*coders.Layer)
	require.Equal(t, "s2", l.Compressor().Name())
	inner := l.Inner().(*coders.Layer)
	require.Equal(t, "json+zstd", inner.Name())
	require.Equal(t, "zstd", inner.Compressor().Name())

	v := codertest.CompressibleText(5000)
	b, err := c.Encode(v)
	require.NoError(t, err)
	// The outer frame is s2's (or raw if s2 could not shrink zstd output);
	// inside it is a zstd frame.
	var mid []byte
	switch b[0] {
	case coders.FrameS2:
		mid, err = s2.Decode(nil, b[1:])
		require.NoError(t, err)
	case coders.FrameRaw:
		mid = b[1:]
	default:
		t.Fatalf("outer header 0x%02x", b[0])
	}
	require.Equal(t, coders.FrameZstd, mid[0])
	require.Equal(t, v, decodeString(t, c, b))
}

func TestConcurrentUse(t *testing.T) {
	urls := append(append([]string{}, structuredURLs...), "json+zstd://?max_size=1MiB", "json+zstd://?max_size=2MiB")
	cs := make([]coders.Coder, len(urls))
	for i, u := range urls {
		cs[i] = mustOpen(t, u)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				c := cs[(g+i)%len(cs)]
				v := codertest.MakeRecord(g*1000 + i)
				if i%3 == 0 {
					v.Note = codertest.CompressibleText(2000 + i)
				}
				b, err := c.Encode(v)
				if err != nil {
					errs <- err
					return
				}
				var got codertest.Record
				if err := c.Decode(b, &got); err != nil {
					errs <- err
					return
				}
				if got.ID != v.ID || got.Note != v.Note || !got.Created.Equal(v.Created) {
					errs <- fmt.Errorf("%s: got %+v, want %+v", c.Name(), got, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
