package compression

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/ringcache/ring/coders"
)

// Zstd levels for [NewZstd]. They are klauspost/compress's four encoder
// levels, not the 1..22 levels of the zstd command line: ZstdFastest is
// roughly zstd -1, ZstdDefault zstd -3, ZstdBetter zstd -7 and ZstdBest
// zstd -11.
const (
	// ZstdFastest is zstd.SpeedFastest.
	ZstdFastest = 1
	// ZstdDefault is zstd.SpeedDefault.
	ZstdDefault = 2
	// ZstdBetter is zstd.SpeedBetterCompression.
	ZstdBetter = 3
	// ZstdBest is zstd.SpeedBestCompression.
	ZstdBest = 4
)

var zstdLevels = map[int]zstd.EncoderLevel{
	ZstdFastest: zstd.SpeedFastest,
	ZstdDefault: zstd.SpeedDefault,
	ZstdBetter:  zstd.SpeedBetterCompression,
	ZstdBest:    zstd.SpeedBestCompression,
}

// maxZstdDecoders bounds how many distinct decompression limits keep a cached
// decoder; calls with further limits use a one-off decoder.
const maxZstdDecoders = 8

// Zstd compresses with Zstandard (github.com/klauspost/compress/zstd). It is
// safe for concurrent use.
//
// One encoder is created per Zstd and used only through EncodeAll, and
// decoders are used only through DecodeAll with no input stream; neither
// starts goroutines, so a Zstd needs no Close and is released by the garbage
// collector like any other value. Up to GOMAXPROCS compressions and
// decompressions run in parallel.
type Zstd struct {
	level int
	enc   *zstd.Encoder

	mu   sync.Mutex // serialises decoder creation
	decs sync.Map   // decompression limit (int) -> *zstd.Decoder
	ndec int        // entries in decs, under mu
}

// NewZstd returns a zstd compressor. level is one of [ZstdFastest] (1),
// [ZstdDefault] (2), [ZstdBetter] (3) or [ZstdBest] (4); 0 means ZstdDefault.
func NewZstd(level int) (*Zstd, error) {
	if level == 0 {
		level = ZstdDefault
	}
	if level < ZstdFastest || level > ZstdBest {
		return nil, fmt.Errorf("ring: coder zstd: level %d out of range (want 1..4: 1 fastest, 2 default, 3 better, 4 best)", level)
	}
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstdLevels[level]),
		zstd.WithEncoderConcurrency(0), // GOMAXPROCS parallel EncodeAll calls
		zstd.WithZeroFrames(true),      // an empty input still makes a frame
	)
	if err != nil {
		return nil, fmt.Errorf("ring: coder zstd: level %d: %w", level, err)
	}
	return &Zstd{level: level, enc: enc}, nil
}

// Name returns "zstd".
func (*Zstd) Name() string { return "zstd" }

// ID returns [coders.FrameZstd].
func (*Zstd) ID() byte { return coders.FrameZstd }

// Level returns the encoder level, 1..4.
func (z *Zstd) Level() int { return z.level }

// Compress appends the zstd frame of src to dst.
func (z *Zstd) Compress(dst, src []byte) ([]byte, error) {
	return z.enc.EncodeAll(src, dst), nil
}

// Decompress appends the content of the zstd frames in src to dst, failing
// with an error wrapping [coders.ErrTooLarge] when it exceeds maxSize bytes
// or when a frame asks for a window larger than that. The size declared in a
// frame header is checked before any allocation.
func (z *Zstd) Decompress(dst, src []byte, maxSize int) ([]byte, error) {
	if maxSize < 1 {
		return nil, fmt.Errorf("max size %d is below 1 byte", maxSize)
	}
	// The smallest zstd window is 1 KiB: a lower limit would reject even
	// tiny frames; the output is checked against maxSize below.
	dec, oneOff, err := z.decoder(max(maxSize, zstd.MinWindowSize))
	if err != nil {
		return nil, err
	}
	if oneOff {
		defer dec.Close()
	}
	// DecodeAll counts bytes already in dst against the limit: decode
	// into an empty slice and append.
	out, err := dec.DecodeAll(src, dst[len(dst):])
	if err != nil {
		switch {
		case errors.Is(err, zstd.ErrDecoderSizeExceeded):
			return nil, fmt.Errorf("more than %d bytes: %w", maxSize, coders.ErrTooLarge)
		case errors.Is(err, zstd.ErrWindowSizeExceeded):
			return nil, fmt.Errorf("frame window larger than %d bytes: %w", maxSize, coders.ErrTooLarge)
		}
		return nil, err
	}
	if len(out) > maxSize {
		return nil, fmt.Errorf("%d bytes, more than %d: %w", len(out), maxSize, coders.ErrTooLarge)
	}
	if len(dst) == 0 {
		return out, nil
	}
	if cap(dst)-len(dst) >= len(out) && len(out) > 0 && &dst[:len(dst)+1][len(dst)] == &out[0] {
		return dst[:len(dst)+len(out)], nil // decoded in place
	}
	return append(dst, out...), nil
}

// decoder returns a decoder limited to maxSize bytes of output. Decoders are
// cached per limit (a Layer always passes the same one); past
// maxZstdDecoders limits a one-off decoder is returned, to be closed.
func (z *Zstd) decoder(maxSize int) (*zstd.Decoder, bool, error) {
	if d, ok := z.decs.Load(maxSize); ok {
		return d.(*zstd.Decoder), false, nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if d, ok := z.decs.Load(maxSize); ok {
		return d.(*zstd.Decoder), false, nil
	}
	concurrency := 0 // GOMAXPROCS parallel DecodeAll calls
	if z.ndec >= maxZstdDecoders {
		concurrency = 1
	}
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(concurrency),
		zstd.WithDecoderMaxMemory(uint64(maxSize)),
	)
	if err != nil {
		return nil, false, fmt.Errorf("new decoder: %w", err)
	}
	if concurrency == 1 {
		return d, true, nil
	}
	z.decs.Store(maxSize, d)
	z.ndec++
	return d, false, nil
}
