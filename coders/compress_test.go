package coders

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// compressors returns one of each compressor at each level.
func compressors(t testing.TB) []Compressor {
	t.Helper()
	var out []Compressor
	for _, l := range []int{ZstdFastest, ZstdDefault, ZstdBetter, ZstdBest} {
		z, err := NewZstd(l)
		require.NoError(t, err)
		out = append(out, z)
	}
	for _, l := range []S2Level{S2Default, S2Better, S2Best} {
		c, err := NewS2(l)
		require.NoError(t, err)
		out = append(out, c)
	}
	for _, l := range []int{GzipHuffmanOnly, GzipDefault, GzipNone, GzipFastest, GzipBest} {
		g, err := NewGzip(l)
		require.NoError(t, err)
		out = append(out, g)
	}
	return out
}

func TestCompressorsRoundTrip(t *testing.T) {
	inputs := [][]byte{nil, {}, []byte("a"), []byte(compressibleText(100)), []byte(compressibleText(1 << 20)), randomBytes(1<<20, 3)}
	for _, c := range compressors(t) {
		t.Run(fmt.Sprintf("%s-%v", c.Name(), level(c)), func(t *testing.T) {
			for _, in := range inputs {
				prefix := []byte("prefix")
				enc, err := c.Compress(append([]byte(nil), prefix...), in)
				require.NoError(t, err)
				require.Equal(t, prefix, enc[:len(prefix)], "Compress appends")
				dec, err := c.Decompress([]byte("pre"), enc[len(prefix):], len(in)+1)
				require.NoError(t, err)
				require.Equal(t, "pre", string(dec[:3]), "Decompress appends")
				require.Equal(t, len(in), len(dec)-3)
				require.True(t, bytes.Equal(in, dec[3:]))

				if len(in) > 1 {
					// One byte short of the limit is ErrTooLarge.
					_, err = c.Decompress(nil, enc[len(prefix):], len(in)-1)
					require.ErrorIs(t, err, ErrTooLarge)
				}
			}
		})
	}
}

func level(c Compressor) any {
	switch c := c.(type) {
	case *Zstd:
		return c.Level()
	case *S2:
		return c.Level()
	case *Gzip:
		return c.Level()
	}
	return nil
}

func TestCompressorConstructors(t *testing.T) {
	for _, l := range []int{-1, 5, 22} {
		_, err := NewZstd(l)
		require.ErrorContains(t, err, fmt.Sprintf("ring: coder zstd: level %d out of range", l))
	}
	z, err := NewZstd(0)
	require.NoError(t, err)
	require.Equal(t, ZstdDefault, z.Level())

	for _, l := range []int{-3, 10} {
		_, err := NewGzip(l)
		require.ErrorContains(t, err, fmt.Sprintf("ring: coder gzip: level %d out of range", l))
	}
	for _, l := range []S2Level{-1, 3} {
		_, err := NewS2(l)
		require.ErrorContains(t, err, fmt.Sprintf("ring: coder s2: level %d out of range", int(l)))
	}
	require.Equal(t, "better", S2Better.String())
	require.Equal(t, "S2Level(9)", S2Level(9).String())
}

func TestCompressOptions(t *testing.T) {
	z, err := NewZstd(ZstdDefault)
	require.NoError(t, err)

	l, err := Compress(JSON{}, z)
	require.NoError(t, err)
	require.Equal(t, "json+zstd", l.Name())
	require.Equal(t, DefaultMinSize, l.MinSize())
	require.Equal(t, DefaultMaxSize, l.MaxSize())
	require.Equal(t, JSON{}, l.Inner())
	require.Same(t, z, l.Compressor())

	l, err = Compress(JSON{}, z, WithMinSize(0), WithMaxSize(1<<10))
	require.NoError(t, err)
	require.Equal(t, 0, l.MinSize())
	require.Equal(t, 1<<10, l.MaxSize())
	require.Equal(t, "WithMinSize(0)", WithMinSize(0).String())
	require.Equal(t, "WithMaxSize(1024)", WithMaxSize(1024).String())

	_, err = Compress(nil, z)
	require.ErrorContains(t, err, "nil inner coder")
	_, err = Compress(JSON{}, nil)
	require.ErrorContains(t, err, "ring: coder json: nil compressor")
	_, err = Compress(JSON{}, z, WithMinSize(-1), WithMaxSize(0))
	require.ErrorContains(t, err, "ring: coder json+zstd: min size -1 is negative")
	require.ErrorContains(t, err, "ring: coder json+zstd: max size 0 is below 1 byte")
	_, err = Compress(JSON{}, z, nil)
	require.ErrorContains(t, err, "nil option")
	_, err = Compress(JSON{}, &badID{})
	require.ErrorContains(t, err, "compressor id 0 is reserved")
}

type badID struct{ S2 }

func (badID) ID() byte { return 0 }

// layers returns json+ALG for every algorithm with the given options.
func layers(t testing.TB, opts ...LayerOption) []*Layer {
	z, err := NewZstd(ZstdDefault)
	require.NoError(t, err)
	s, err := NewS2(S2Default)
	require.NoError(t, err)
	g, err := NewGzip(GzipDefault)
	require.NoError(t, err)
	return []*Layer{
		mustLayer(t, JSON{}, z, nil, opts...),
		mustLayer(t, JSON{}, s, nil, opts...),
		mustLayer(t, JSON{}, g, nil, opts...),
	}
}

func TestLayerThreshold(t *testing.T) {
	small := "tiny"                       // "\"tiny\"": 6 bytes, below 64
	large := compressibleText(4096)       // compresses well
	noise := string(randomBytes(4096, 9)) // does not compress
	for _, l := range layers(t) {
		t.Run(l.Name(), func(t *testing.T) {
			b, err := l.Encode(small)
			require.NoError(t, err)
			require.Equal(t, FrameRaw, b[0], "below the threshold: raw")
			require.Equal(t, `"tiny"`, string(b[1:]))
			require.Equal(t, small, decodeString(t, l, b))

			b, err = l.Encode(large)
			require.NoError(t, err)
			require.Equal(t, l.Compressor().ID(), b[0], "above the threshold: compressed")
			require.Less(t, len(b), len(large)/3)
			require.Equal(t, large, decodeString(t, l, b))

			// Random bytes do not compress: stored raw although large.
			braw := mustLayer(t, Bytes{}, l.Compressor(), nil)
			b, err = braw.Encode(noise)
			require.NoError(t, err)
			require.Equal(t, FrameRaw, b[0], "incompressible: raw")
			require.Equal(t, string(noise), decodeString(t, braw, b))

			// Exactly at the threshold compresses (if it helps).
			js, err := JSON{}.Encode(large)
			require.NoError(t, err)
			at := mustLayer(t, JSON{}, l.Compressor(), nil, WithMinSize(len(js)))
			b, err = at.Encode(large)
			require.NoError(t, err)
			require.Equal(t, l.Compressor().ID(), b[0])
			above := mustLayer(t, JSON{}, l.Compressor(), nil, WithMinSize(len(js)+1))
			b2, err := above.Encode(large)
			require.NoError(t, err)
			require.Equal(t, FrameRaw, b2[0])

			// Whatever the threshold of the reader, both forms decode.
			never := mustLayer(t, JSON{}, l.Compressor(), nil, WithMinSize(1<<30))
			always := mustLayer(t, JSON{}, l.Compressor(), nil, WithMinSize(0))
			require.Equal(t, large, decodeString(t, never, b))
			require.Equal(t, large, decodeString(t, always, b2))

			// min_size=0 compresses even the empty string... if it helps,
			// which it never does for 2 bytes.
			b, err = always.Encode("")
			require.NoError(t, err)
			require.Equal(t, FrameRaw, b[0])
		})
	}
}

func decodeString(t *testing.T, c Coder, b []byte) string {
	t.Helper()
	var s string
	require.NoError(t, c.Decode(b, &s))
	return s
}

func TestLayerBadFrames(t *testing.T) {
	big := compressibleText(10000)
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
			raw := append([]byte{FrameRaw}, `"abc`...)
			require.ErrorContains(t, l.Decode(raw, &s), "ring: coder json: decode into *string")
		})
	}
}

func TestLayerMaxSize(t *testing.T) {
	big := compressibleText(1 << 20)
	for _, l := range layers(t) {
		t.Run(l.Name(), func(t *testing.T) {
			enc, err := l.Encode(big)
			require.NoError(t, err)
			small := mustLayer(t, JSON{}, l.Compressor(), nil, WithMaxSize(64<<10))
			_, err = small.Encode(big)
			require.ErrorIs(t, err, ErrTooLarge)
			require.ErrorContains(t, err, "ring: coder json+"+l.Compressor().Name()+": encode string: ")
			require.ErrorContains(t, err, "bytes, more than the max size 65536")
			var s string
			err = small.Decode(enc, &s)
			require.ErrorIs(t, err, ErrTooLarge)
			require.ErrorContains(t, err, "ring: coder json+"+l.Compressor().Name()+": decode into *string")
			// The raw form is not bounded: its size is the stored size.
			js, err := JSON{}.Encode(big)
			require.NoError(t, err)
			require.NoError(t, small.Decode(append([]byte{FrameRaw}, js...), &s))
			require.Equal(t, big, s)
		})
	}
}

// TestHostileSizes feeds bombs: small inputs that claim or produce far more
// than the limit.
func TestHostileSizes(t *testing.T) {
	const limit = 1 << 20
	zeros := make([]byte, 8<<20)

	t.Run("zstd frame declaring its size", func(t *testing.T) {
		z, err := NewZstd(ZstdDefault)
		require.NoError(t, err)
		enc, err := z.Compress(nil, zeros)
		require.NoError(t, err)
		_, err = z.Decompress(nil, enc, limit)
		require.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("zstd stream without a size", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		require.NoError(t, err)
		_, err = w.Write(zeros)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		z, err := NewZstd(ZstdDefault)
		require.NoError(t, err)
		_, err = z.Decompress(nil, buf.Bytes(), limit)
		require.ErrorIs(t, err, ErrTooLarge)
		out, err := z.Decompress(nil, buf.Bytes(), len(zeros))
		require.NoError(t, err)
		require.Len(t, out, len(zeros))
	})
	t.Run("s2 block", func(t *testing.T) {
		enc := s2.Encode(nil, zeros)
		c, err := NewS2(S2Default)
		require.NoError(t, err)
		_, err = c.Decompress(nil, enc, limit)
		require.ErrorIs(t, err, ErrTooLarge)
		// A forged length header alone.
		_, err = c.Decompress(nil, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, limit)
		require.Error(t, err)
	})
	t.Run("gzip bomb", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		require.NoError(t, err)
		for range 8 { // 64 MiB of zeros
			_, err = w.Write(zeros)
			require.NoError(t, err)
		}
		require.NoError(t, w.Close())
		g, err := NewGzip(GzipDefault)
		require.NoError(t, err)
		_, err = g.Decompress(nil, buf.Bytes(), limit)
		require.ErrorIs(t, err, ErrTooLarge)
		// Forge the trailer's size field: the hint must not size a huge
		// buffer, and the content still decides.
		forged := bytes.Clone(buf.Bytes())
		copy(forged[len(forged)-4:], []byte{0xff, 0xff, 0xff, 0xff})
		_, err = g.Decompress(nil, forged, limit)
		require.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("zstd one-off decoders past the cache", func(t *testing.T) {
		z, err := NewZstd(ZstdDefault)
		require.NoError(t, err)
		enc, err := z.Compress(nil, []byte(compressibleText(1000)))
		require.NoError(t, err)
		for lim := 1000; lim < 1000+3*maxZstdDecoders; lim++ {
			out, err := z.Decompress(nil, enc, lim)
			require.NoError(t, err)
			require.Len(t, out, 1000)
		}
		_, err = z.Decompress(nil, enc, 999)
		require.ErrorIs(t, err, ErrTooLarge)
		_, err = z.Decompress(nil, enc, 0)
		require.Error(t, err)
	})
}

// panicky is a compressor whose Decompress panics, standing in for a
// third-party bug.
type panicky struct{ S2 }

func (panicky) Decompress([]byte, []byte, int) ([]byte, error) { panic("boom") }
func (panicky) Compress([]byte, []byte) ([]byte, error)        { panic("bang") }

func TestLayerRecoversCompressorPanics(t *testing.T) {
	l := mustLayer(t, JSON{}, &panicky{}, nil, WithMinSize(0))
	_, err := l.Encode("x")
	require.ErrorContains(t, err, "s2 panicked: bang")
	var s string
	err = l.Decode([]byte{FrameS2, 1, 2, 3}, &s)
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
	l := c.(*Layer)
	require.Equal(t, "s2", l.Compressor().Name())
	inner := l.Inner().(*Layer)
	require.Equal(t, "json+zstd", inner.Name())
	require.Equal(t, "zstd", inner.Compressor().Name())

	v := compressibleText(5000)
	b, err := c.Encode(v)
	require.NoError(t, err)
	// The outer frame is s2's (or raw if s2 could not shrink zstd output);
	// inside it is a zstd frame.
	var mid []byte
	switch b[0] {
	case FrameS2:
		mid, err = s2.Decode(nil, b[1:])
		require.NoError(t, err)
	case FrameRaw:
		mid = b[1:]
	default:
		t.Fatalf("outer header 0x%02x", b[0])
	}
	require.Equal(t, FrameZstd, mid[0])
	require.Equal(t, v, decodeString(t, c, b))
}

func TestConcurrentUse(t *testing.T) {
	urls := append(append([]string{}, structuredURLs...), "json+zstd://?max_size=1MiB", "json+zstd://?max_size=2MiB")
	cs := make([]Coder, len(urls))
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
				v := makeRecord(g*1000 + i)
				if i%3 == 0 {
					v.Note = compressibleText(2000 + i)
				}
				b, err := c.Encode(v)
				if err != nil {
					errs <- err
					return
				}
				var got record
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

// TestNoGoroutines checks that building, using and dropping layers starts no
// goroutine, so that a Layer needs no Close.
func TestNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, c := range compressors(t) {
		l := mustLayer(t, Msgpack{}, c, nil)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					b, err := l.Encode(compressibleText(1000 + i))
					if err != nil {
						t.Error(err)
						return
					}
					var s string
					if err := l.Decode(b, &s); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}
