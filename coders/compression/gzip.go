package compression

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/ringcache/ring/coders"
)

// Gzip levels for [NewGzip], as in compress/gzip.
const (
	GzipHuffmanOnly = gzip.HuffmanOnly        // -2
	GzipDefault     = gzip.DefaultCompression // -1
	GzipNone        = gzip.NoCompression      // 0
	GzipFastest     = gzip.BestSpeed          // 1
	GzipBest        = gzip.BestCompression    // 9
)

// maxDeflateRatio is deflate's maximum compression ratio (about 1032:1), used
// to keep a forged size in a gzip trailer from sizing a large buffer.
const maxDeflateRatio = 1032

// Gzip compresses with gzip (github.com/klauspost/compress/gzip). Writers and
// readers are pooled, so steady use allocates little; it is safe for
// concurrent use and starts no goroutines.
type Gzip struct {
	level   int
	writers sync.Pool // *gzip.Writer at level
	readers sync.Pool // *gzip.Reader
}

// NewGzip returns a gzip compressor. level is -2 (Huffman only), -1 (the
// default, 6), 0 (stored, no compression) or 1 (fastest) to 9 (best).
func NewGzip(level int) (*Gzip, error) {
	if level < GzipHuffmanOnly || level > GzipBest {
		return nil, fmt.Errorf("ring: coder gzip: level %d out of range (want -2..9)", level)
	}
	// Fail here, not on first use, should the library reject the level.
	if _, err := gzip.NewWriterLevel(io.Discard, level); err != nil {
		return nil, fmt.Errorf("ring: coder gzip: level %d: %w", level, err)
	}
	return &Gzip{level: level}, nil
}

// Name returns "gzip".
func (*Gzip) Name() string { return "gzip" }

// ID returns [coders.FrameGzip].
func (*Gzip) ID() byte { return coders.FrameGzip }

// Level returns the compression level, -2..9.
func (g *Gzip) Level() int { return g.level }

// appendWriter is an io.Writer that appends to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// Compress appends the gzip stream of src to dst.
func (g *Gzip) Compress(dst, src []byte) ([]byte, error) {
	aw := &appendWriter{b: dst}
	w, _ := g.writers.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(aw, g.level); err != nil {
			return nil, err
		}
	} else {
		w.Reset(aw)
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	w.Reset(io.Discard) // drop the reference to aw before pooling
	g.writers.Put(w)
	return aw.b, nil
}

// Decompress appends the content of the gzip stream in src to dst, reading
// at most maxSize+1 bytes of it so that a larger stream fails with an error
// wrapping [coders.ErrTooLarge] without allocating more than about maxSize
// bytes.
func (g *Gzip) Decompress(dst, src []byte, maxSize int) ([]byte, error) {
	br := bytes.NewReader(src)
	r, _ := g.readers.Get().(*gzip.Reader)
	var err error
	if r == nil {
		r, err = gzip.NewReader(br)
	} else {
		err = r.Reset(br)
	}
	if err != nil {
		return nil, err
	}
	n := len(dst)
	// The gzip trailer holds the size mod 2^32: use it as a capacity hint,
	// trusting it no further than the limit and deflate's best ratio.
	if len(src) >= 4 {
		hint := uint64(binary.LittleEndian.Uint32(src[len(src)-4:]))
		hint = min(hint, uint64(maxSize), uint64(len(src))*maxDeflateRatio)
		dst = grow(dst, int(hint)+1)
	}
	out, err := readAll(dst, io.LimitReader(r, int64(maxSize)+1))
	if err == nil && len(out)-n > maxSize {
		err = fmt.Errorf("more than %d bytes: %w", maxSize, coders.ErrTooLarge)
	}
	if err == nil && br.Len() != 0 {
		err = fmt.Errorf("%d bytes of trailing data", br.Len())
	}
	if err != nil {
		return nil, err
	}
	_ = r.Reset(bytes.NewReader(nil)) // drop the reference to src
	g.readers.Put(r)
	return out, nil
}

// readAll appends everything r yields to dst, growing it as io.ReadAll does.
func readAll(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return dst, nil
			}
			return dst, err
		}
	}
}
