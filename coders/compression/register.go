package compression

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/ringcache/ring/coders"
)

func init() {
	// Cannot fail: the names are valid and the functions not nil
	// (TestRegistersLayers checks).
	_ = coders.RegisterLayer("zstd", openZstd)
	_ = coders.RegisterLayer("s2", openS2)
	_ = coders.RegisterLayer("gzip", openGzip)
}

// openZstd builds the compressor of a zstd layer from the level parameter of
// a coder URL.
func openZstd(level string) (coders.Compressor, error) {
	l := 0
	switch strings.ToLower(level) {
	case "":
	case "fastest":
		l = ZstdFastest
	case "default":
		l = ZstdDefault
	case "better":
		l = ZstdBetter
	case "best":
		l = ZstdBest
	default:
		n, err := strconv.Atoi(level)
		if err != nil || n < ZstdFastest || n > ZstdBest {
			return nil, errors.New("zstd level must be 1..4 or fastest, default, better, best")
		}
		l = n
	}
	return shared("zstd", l, func() (coders.Compressor, error) { return NewZstd(l) })
}

// openS2 builds the compressor of an s2 layer from the level parameter.
func openS2(level string) (coders.Compressor, error) {
	l := S2Default
	switch strings.ToLower(level) {
	case "", "default":
	case "better":
		l = S2Better
	case "best":
		l = S2Best
	default:
		return nil, errors.New("s2 level must be default, better or best")
	}
	return shared("s2", int(l), func() (coders.Compressor, error) { return NewS2(l) })
}

// openGzip builds the compressor of a gzip layer from the level parameter.
func openGzip(level string) (coders.Compressor, error) {
	l := GzipDefault
	switch strings.ToLower(level) {
	case "", "default":
	default:
		n, err := strconv.Atoi(level)
		if err != nil || n < GzipHuffmanOnly || n > GzipBest {
			return nil, errors.New("gzip level must be -2..9 or default")
		}
		l = n
	}
	return shared("gzip", l, func() (coders.Compressor, error) { return NewGzip(l) })
}

// compressorKey names an algorithm at a level.
type compressorKey struct {
	alg   string
	level int
}

// sharedCompressors holds the compressors that coder URLs built, shared by
// every coder opened with the same algorithm and level: they are safe for
// concurrent use and hold memory worth sharing (a zstd encoder state per
// CPU, gzip pools).
var sharedCompressors sync.Map // compressorKey -> coders.Compressor

func shared(alg string, level int, build func() (coders.Compressor, error)) (coders.Compressor, error) {
	key := compressorKey{alg, level}
	if c, ok := sharedCompressors.Load(key); ok {
		return c.(coders.Compressor), nil
	}
	c, err := build()
	if err != nil {
		return nil, err
	}
	actual, _ := sharedCompressors.LoadOrStore(key, c)
	return actual.(coders.Compressor), nil
}
