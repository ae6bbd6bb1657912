package compression

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/ringcache/ring/coders"
)

// S2Level selects the s2 block encoder of [NewS2].
type S2Level int

// S2 levels: S2Default is the fastest, S2Better and S2Best trade encoding
// speed for size. Decoding speed is the same for all three.
const (
	S2Default S2Level = iota
	S2Better
	S2Best
)

// String returns "default", "better" or "best".
func (l S2Level) String() string {
	switch l {
	case S2Default:
		return "default"
	case S2Better:
		return "better"
	case S2Best:
		return "best"
	}
	return fmt.Sprintf("S2Level(%d)", int(l))
}

// S2 compresses with the S2 block format (github.com/klauspost/compress/s2),
// a faster extension of Snappy. It is stateless and safe for concurrent use.
// S2 blocks carry no checksum: corruption of stored bytes may go unnoticed
// by the layer and only be caught by the inner coder.
type S2 struct {
	level S2Level
}

// NewS2 returns an s2 compressor at the given level.
func NewS2(level S2Level) (*S2, error) {
	if level < S2Default || level > S2Best {
		return nil, fmt.Errorf("ring: coder s2: level %d out of range (want S2Default, S2Better or S2Best)", int(level))
	}
	return &S2{level: level}, nil
}

// Name returns "s2".
func (*S2) Name() string { return "s2" }

// ID returns [coders.FrameS2].
func (*S2) ID() byte { return coders.FrameS2 }

// Level returns the encoder level.
func (c *S2) Level() S2Level { return c.level }

// CompressBound returns the most bytes Compress appends for n bytes of
// input (0 when n is too large for an s2 block). A coders.Layer sizes its
// buffer with it, since s2 encodes into a buffer of the worst-case size.
func (*S2) CompressBound(n int) int { return max(s2.MaxEncodedLen(n), 0) }

// Compress appends the s2 block of src to dst.
func (c *S2) Compress(dst, src []byte) ([]byte, error) {
	maxLen := s2.MaxEncodedLen(len(src))
	if maxLen < 0 {
		return nil, fmt.Errorf("%d bytes are too large for an s2 block", len(src))
	}
	n := len(dst)
	dst = grow(dst, maxLen)
	var enc []byte
	switch c.level {
	case S2Better:
		enc = s2.EncodeBetter(dst[n:n+maxLen], src)
	case S2Best:
		enc = s2.EncodeBest(dst[n:n+maxLen], src)
	default:
		enc = s2.Encode(dst[n:n+maxLen], src)
	}
	return place(dst, n, enc), nil
}

// Decompress appends the content of the s2 block in src to dst. The length
// the block declares is checked against maxSize before anything is
// allocated.
func (c *S2) Decompress(dst, src []byte, maxSize int) ([]byte, error) {
	size, err := s2.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if size > maxSize {
		return nil, fmt.Errorf("block declares %d bytes, more than %d: %w", size, maxSize, coders.ErrTooLarge)
	}
	n := len(dst)
	dst = grow(dst, size)
	dec, err := s2.Decode(dst[n:n+size], src)
	if err != nil {
		return nil, err
	}
	return place(dst, n, dec), nil
}

// grow returns dst with room for n more bytes after len(dst).
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	out := make([]byte, len(dst), len(dst)+n)
	copy(out, dst)
	return out
}

// place returns dst[:n] followed by b, where b was written into dst's spare
// capacity at n by an API that may also have returned a new slice instead.
func place(dst []byte, n int, b []byte) []byte {
	if len(b) > 0 && cap(dst) >= n+len(b) && &dst[:n+1][n] == &b[0] {
		return dst[:n+len(b)]
	}
	return append(dst[:n], b...)
}
