package msgpackcoder

import (
	"bytes"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// A pooled decoder with its own bytes.Reader: msgpack.Unmarshal takes a
// pooled Decoder too, but allocates a bytes.Reader for every value, one
// allocation per entry of a bulk read.
type decoder struct {
	d *msgpack.Decoder
	r bytes.Reader
}

var decoders = sync.Pool{New: func() any { return &decoder{d: msgpack.NewDecoder(nil)} }}

// unmarshal is msgpack.Unmarshal with a pooled reader. The Decoder is set
// up as Unmarshal sets it up (UsePreallocateValues, then Reset, which
// clears the flags). A decoder whose Decode panicked is not put back.
func unmarshal(data []byte, v any) error {
	dc := decoders.Get().(*decoder)
	dc.r.Reset(data)
	dc.d.UsePreallocateValues(true)
	dc.d.Reset(&dc.r) // a bytes.Reader is an io.ByteScanner: no bufio.Reader
	err := dc.d.Decode(v)
	dc.r.Reset(nil) // keep no reference to data
	dc.d.Reset(nil)
	decoders.Put(dc)
	return err
}
