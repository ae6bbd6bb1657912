// Package compression holds ring's compression algorithms for coders.Layer:
// [Zstd], [S2] and [Gzip], all from github.com/klauspost/compress. They live
// in a package of their own so that only the programs that import it link
// that module.
//
// Importing the package registers the layer names "zstd", "s2" and "gzip"
// with coders.RegisterLayer, so that coder URLs and names such as
// coders.Open("json+zstd://?level=3") and ring.Coder("msgpack+s2") find
// them; a blank import is enough:
//
//	import _ "github.com/ringcache/ring/coders/compression"
//
// In code, build a compressor and wrap a coder with coders.Compress:
//
//	z, err := compression.NewZstd(compression.ZstdBetter)
//	c, err := coders.Compress(coders.JSON{}, z, coders.WithMinSize(256))
//
// Every compressor is safe for concurrent use, starts no goroutines and
// needs no Close. The frame header bytes of their values are
// coders.FrameZstd, coders.FrameS2 and coders.FrameGzip.
package compression
