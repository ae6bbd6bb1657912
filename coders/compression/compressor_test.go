package compression

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/msgpackcoder"
	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running: the
// compressors promise to start none.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// compressors returns one of each compressor at each level.
func compressors(t testing.TB) []coders.Compressor {
	t.Helper()
	var out []coders.Compressor
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
	inputs := [][]byte{nil, {}, []byte("a"), []byte(codertest.CompressibleText(100)), []byte(codertest.CompressibleText(1 << 20)), codertest.RandomBytes(1<<20, 3)}
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
					require.ErrorIs(t, err, coders.ErrTooLarge)
				}
			}
		})
	}
}

func level(c coders.Compressor) any {
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
		require.ErrorIs(t, err, coders.ErrTooLarge)
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
		require.ErrorIs(t, err, coders.ErrTooLarge)
		out, err := z.Decompress(nil, buf.Bytes(), len(zeros))
		require.NoError(t, err)
		require.Len(t, out, len(zeros))
	})
	t.Run("s2 block", func(t *testing.T) {
		enc := s2.Encode(nil, zeros)
		c, err := NewS2(S2Default)
		require.NoError(t, err)
		_, err = c.Decompress(nil, enc, limit)
		require.ErrorIs(t, err, coders.ErrTooLarge)
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
		require.ErrorIs(t, err, coders.ErrTooLarge)
		// Forge the trailer's size field: the hint must not size a huge
		// buffer, and the content still decides.
		forged := bytes.Clone(buf.Bytes())
		copy(forged[len(forged)-4:], []byte{0xff, 0xff, 0xff, 0xff})
		_, err = g.Decompress(nil, forged, limit)
		require.ErrorIs(t, err, coders.ErrTooLarge)
	})
	t.Run("zstd one-off decoders past the cache", func(t *testing.T) {
		z, err := NewZstd(ZstdDefault)
		require.NoError(t, err)
		enc, err := z.Compress(nil, []byte(codertest.CompressibleText(1000)))
		require.NoError(t, err)
		for lim := 1000; lim < 1000+3*maxZstdDecoders; lim++ {
			out, err := z.Decompress(nil, enc, lim)
			require.NoError(t, err)
			require.Len(t, out, 1000)
		}
		_, err = z.Decompress(nil, enc, 999)
		require.ErrorIs(t, err, coders.ErrTooLarge)
		_, err = z.Decompress(nil, enc, 0)
		require.Error(t, err)
	})
}

// panicky is a compressor whose Decompress panics, standing in for a
// third-party bug.
// TestNoGoroutines checks that building, using and dropping layers starts no
// goroutine, so that a Layer needs no Close.
func TestNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, c := range compressors(t) {
		l, err := coders.Compress(msgpackcoder.Coder{}, c)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					b, err := l.Encode(codertest.CompressibleText(1000 + i))
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
