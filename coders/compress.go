package coders

import (
	"errors"
	"fmt"
)

// DefaultMinSize is the default compression threshold of a [Layer]: an
// encoded value shorter than this many bytes is stored raw, as go-redis/cache
// does, because compressing it costs time and rarely saves space.
const DefaultMinSize = 64

// DefaultMaxSize is the default bound on the size of one value going through
// a [Layer] (64 MiB, see [WithMaxSize]). Compressed bytes that would
// decompress to more are rejected with an error wrapping [ErrTooLarge]
// without allocating much more than the bound, so a hostile or corrupt entry
// cannot exhaust memory.
const DefaultMaxSize = 64 << 20

// Frame header bytes. Every value written by a [Layer] starts with one byte:
// FrameRaw when the rest is the inner coder's bytes as they are, or the
// [Compressor.ID] of the layer's algorithm when the rest is compressed. The
// IDs of the algorithms of package github.com/ringcache/ring/coders/compression
// are fixed here, so that stored values keep their meaning whichever
// packages a program imports.
const (
	// FrameRaw marks a value stored without compression.
	FrameRaw byte = 0
	// FrameZstd marks a value compressed by compression.Zstd.
	FrameZstd byte = 1
	// FrameS2 marks a value compressed by compression.S2.
	FrameS2 byte = 2
	// FrameGzip marks a value compressed by compression.Gzip.
	FrameGzip byte = 3
)

// ErrTooLarge is wrapped by the error a [Layer] returns when a value is
// larger than the layer's max size: on Encode, or on Decode when compressed
// data would decompress to more.
var ErrTooLarge = errors.New("value exceeds the max size")

// Compressor is a byte-to-byte compression algorithm that a [Layer] applies
// to the output of an inner coder. Implementations must be safe for
// concurrent use and must not start goroutines that outlive a call. Package
// github.com/ringcache/ring/coders/compression has zstd, s2 and gzip.
//
// A Compressor may also have a method CompressBound(n int) int that returns
// the most bytes Compress appends for n bytes of input; a Layer then gives
// Compress a buffer of that size, so that Compress never has to grow it.
type Compressor interface {
	// Name is the algorithm's name in coder names and URLs, for example
	// "zstd".
	Name() string
	// ID is the nonzero byte a Layer writes as the frame header of values
	// compressed by this algorithm. IDs 1 to 15 are reserved for ring's own
	// compressors (see FrameZstd, FrameS2, FrameGzip).
	ID() byte
	// Compress appends the compressed form of src to dst and returns the
	// extended slice.
	Compress(dst, src []byte) ([]byte, error)
	// Decompress appends the decompressed form of src to dst and returns the
	// extended slice. If the decompressed form is longer than maxSize bytes
	// it returns an error wrapping ErrTooLarge, and it must find that out
	// without allocating much more than maxSize bytes.
	Decompress(dst, src []byte, maxSize int) ([]byte, error)
}

// LayerOption configures a [Layer]. Options print themselves with String, so
// they can be logged and compared.
type LayerOption interface {
	apply(*layerConfig)
	String() string
}

type layerConfig struct {
	minSize int
	maxSize int
}

type minSizeOption int

func (o minSizeOption) apply(c *layerConfig) { c.minSize = int(o) }
func (o minSizeOption) String() string       { return fmt.Sprintf("WithMinSize(%d)", int(o)) }

// WithMinSize sets the compression threshold: encoded values shorter than n
// bytes are stored raw. Zero compresses every value, including empty ones.
// Default: [DefaultMinSize]. A negative n is an error from [Compress].
func WithMinSize(n int) LayerOption { return minSizeOption(n) }

type maxSizeOption int

func (o maxSizeOption) apply(c *layerConfig) { c.maxSize = int(o) }
func (o maxSizeOption) String() string       { return fmt.Sprintf("WithMaxSize(%d)", int(o)) }

// WithMaxSize bounds the size of a value going through the layer to n bytes
// (as encoded by the inner coder, before compression): Encode refuses larger
// values and Decode refuses compressed data that would decompress to more,
// both with an error wrapping [ErrTooLarge]. Raw frames are not checked on
// Decode: their size is the stored size, already in memory. Default:
// [DefaultMaxSize]. An n below 1 is an error from [Compress].
func WithMaxSize(n int) LayerOption { return maxSizeOption(n) }

// Layer is a Coder that compresses the bytes of an inner coder. Its name is
// the inner name and the compressor name joined by "+", for example
// "json+zstd"; layers chain, so "json+zstd+s2" is a Layer over a Layer.
// Encode applies the chain left to right, Decode right to left.
//
// # Framing
//
// Every encoded value starts with a one-byte header: [FrameRaw] (0) when the
// rest is the inner coder's output as it is, or the compressor's [Compressor.ID]
// when the rest is compressed. A value is stored raw when it is shorter than
// the threshold ([WithMinSize]) or when compressing it does not make it
// shorter. Decode reads either form, so changing the threshold never makes
// existing entries unreadable. Any other header byte, an empty value or a
// value compressed by a different algorithm is a decode error.
//
// A Layer is safe for concurrent use, starts no goroutines and needs no
// Close: the compressors of package compression only use stateless,
// concurrent-safe entry points (zstd EncodeAll/DecodeAll, s2 blocks, pooled
// gzip readers/writers), and their memory is released by the garbage
// collector.
type Layer struct {
	name    string
	inner   Coder
	comp    Compressor
	minSize int
	maxSize int
}

// Compress returns a Layer that compresses the output of inner with c.
// A nil inner or c, or an invalid option, is an error.
func Compress(inner Coder, c Compressor, opts ...LayerOption) (*Layer, error) {
	if inner == nil {
		return nil, errors.New("ring: coder compression layer: nil inner coder")
	}
	if c == nil {
		return nil, fmt.Errorf("ring: coder %s: nil compressor", inner.Name())
	}
	name := inner.Name() + "+" + c.Name()
	if c.ID() == FrameRaw {
		return nil, fmt.Errorf("ring: coder %s: compressor id 0 is reserved for raw frames", name)
	}
	cfg := layerConfig{minSize: DefaultMinSize, maxSize: DefaultMaxSize}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("ring: coder %s: nil option", name)
		}
		o.apply(&cfg)
	}
	var errs []error
	if cfg.minSize < 0 {
		errs = append(errs, fmt.Errorf("ring: coder %s: min size %d is negative", name, cfg.minSize))
	}
	if cfg.maxSize < 1 {
		errs = append(errs, fmt.Errorf("ring: coder %s: max size %d is below 1 byte", name, cfg.maxSize))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Layer{name: name, inner: inner, comp: c, minSize: cfg.minSize, maxSize: cfg.maxSize}, nil
}

// Name returns the chain's name, for example "json+zstd".
func (l *Layer) Name() string { return l.name }

// Inner returns the coder whose output the layer compresses.
func (l *Layer) Inner() Coder { return l.inner }

// Compressor returns the layer's compression algorithm.
func (l *Layer) Compressor() Compressor { return l.comp }

// MinSize returns the compression threshold in bytes.
func (l *Layer) MinSize() int { return l.minSize }

// MaxSize returns the bound on the decompressed size of a value, in bytes.
func (l *Layer) MaxSize() int { return l.maxSize }

// Encode encodes v with the inner coder and frames the result, compressed
// when it is at least MinSize bytes long and compression makes it shorter.
// An encoding longer than MaxSize is an error wrapping [ErrTooLarge], since
// the layer would refuse to decompress it.
func (l *Layer) Encode(v any) ([]byte, error) {
	raw, err := l.inner.Encode(v)
	if err != nil {
		return nil, err // already names the inner coder
	}
	if len(raw) > l.maxSize {
		// Compressed, it could never be read back through this layer.
		return nil, fmt.Errorf("ring: coder %s: encode %T: %d bytes, more than the max size %d: %w", l.name, v, len(raw), l.maxSize, ErrTooLarge)
	}
	if len(raw) >= l.minSize {
		out, err := l.compress(raw)
		if err != nil {
			return nil, err
		}
		if len(out) <= len(raw) { // header included: strictly smaller payload
			return out, nil
		}
	}
	out := make([]byte, 1+len(raw))
	out[0] = FrameRaw
	copy(out[1:], raw)
	return out, nil
}

func (l *Layer) compress(raw []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("ring: coder %s: compress %d bytes: %s panicked: %v", l.name, len(raw), l.comp.Name(), r)
		}
	}()
	size := 1 + len(raw)/2 + 16 // room for a good ratio; Compress may grow it
	if b, ok := l.comp.(interface{ CompressBound(n int) int }); ok {
		size = 1 + max(b.CompressBound(len(raw)), 0)
	}
	dst := make([]byte, 1, size)
	dst[0] = l.comp.ID()
	out, err = l.comp.Compress(dst, raw)
	if err != nil {
		return nil, fmt.Errorf("ring: coder %s: compress %d bytes: %w", l.name, len(raw), err)
	}
	return out, nil
}

// Decode reads the frame header, decompresses when needed (at most MaxSize
// bytes) and decodes the result into target with the inner coder.
func (l *Layer) Decode(data []byte, target any) error {
	if len(data) == 0 {
		return fmt.Errorf("ring: coder %s: decode into %T: empty data, missing frame header", l.name, target)
	}
	switch h := data[0]; h {
	case FrameRaw:
		return l.inner.Decode(data[1:], target)
	case l.comp.ID():
		raw, err := l.decompress(data[1:])
		if err != nil {
			return fmt.Errorf("ring: coder %s: decode into %T: %w", l.name, target, err)
		}
		return l.inner.Decode(raw, target)
	default:
		return fmt.Errorf("ring: coder %s: decode into %T: unknown frame header 0x%02x (want 0x00 raw or 0x%02x %s)",
			l.name, target, h, l.comp.ID(), l.comp.Name())
	}
}

func (l *Layer) decompress(src []byte) (out []byte, err error) {
	// A third-party decompressor must not take the process down on hostile
	// bytes: turn a panic into an error.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s decompress of %d bytes panicked: %v", l.comp.Name(), len(src), r)
		}
	}()
	out, err = l.comp.Decompress(nil, src, l.maxSize)
	if err != nil {
		return nil, fmt.Errorf("%s decompress %d bytes: %w", l.comp.Name(), len(src), err)
	}
	if len(out) > l.maxSize {
		return nil, fmt.Errorf("%s decompress %d bytes: %d bytes (max %d): %w", l.comp.Name(), len(src), len(out), l.maxSize, ErrTooLarge)
	}
	return out, nil
}
