package msgpackcoder

import (
	"encoding/binary"
	"fmt"

	"github.com/ringcache/ring/coders"
	"github.com/vmihailenco/msgpack/v5"
)

func init() {
	// Cannot fail: the name is not empty and the coder not nil.
	_ = coders.Register("msgpack", Coder{})
}

// MaxDepth is the deepest nesting of arrays and maps that [Coder] decodes,
// as encoding/json's limit; deeper input is an error rather than a stack
// overflow.
const MaxDepth = 10000

// Coder encodes with MessagePack (github.com/vmihailenco/msgpack/v5). It is
// safe for concurrent use. Its name is "msgpack".
//
// Struct fields use the `msgpack:"name"` tag (not the json tag). time.Time is
// stored as an instant and decodes in the local time zone (compare times with
// Equal). Interface values keep their basic kind but not their Go type: a
// map[string]any comes back with int8/int16/.../uint64 or float64 numbers as
// msgpack stored them.
//
// Before decoding, the input is checked in one pass without allocating (for
// a flat struct, and a zero value of most other struct, slice, map and
// scalar types, the check is the decoding pass itself): it must hold
// exactly one value, no deeper than [MaxDepth], and no array,
// map, string, binary or extension may claim more elements or bytes than the
// input has left. msgpack/v5.4.1 otherwise sizes a Go slice from the header
// alone (a 5-byte input can ask for a 32 GiB []int64).
type Coder struct{}

// Name returns "msgpack".
func (Coder) Name() string { return "msgpack" }

// Encode marshals v as MessagePack.
func (Coder) Encode(v any) ([]byte, error) {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ring: coder msgpack: encode %T: %w", v, err)
	}
	return b, nil
}

// Decode unmarshals MessagePack data into target, which must be a non-nil
// pointer. A flat struct (fields of the predeclared boolean, number and
// string types only) stored as a map is decoded in one pass over data
// that bounds every length by the input left, with the same result as
// msgpack's decoder (flat.go); so is a zero value of a type that nests
// structs, slices, arrays, maps, pointers and times of such fields
// (tree.go).
func (Coder) Decode(data []byte, target any) error {
	if decodeFlat(data, target) {
		return nil
	}
	return decodeGeneral(data, target)
}

// decodeGeneral is Decode through msgpack's decoder, after the input check.
func decodeGeneral(data []byte, target any) (err error) {
	if err := checkMsgpack(data); err != nil {
		return fmt.Errorf("ring: coder msgpack: decode into %T: %w", target, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ring: coder msgpack: decode into %T: corrupt data: %v", target, r)
		}
	}()
	if p, ok := target.(*any); ok && p != nil {
		// msgpack decodes into the value an interface already holds (and
		// fails on a non-pointer one); replace it instead, as encoding/json
		// does.
		var v any
		if err := unmarshal(data, &v); err != nil {
			return fmt.Errorf("ring: coder msgpack: decode into %T: %w", target, err)
		}
		*p = v
		return nil
	}
	if err := unmarshal(data, target); err != nil {
		return fmt.Errorf("ring: coder msgpack: decode into %T: %w", target, err)
	}
	return nil
}

// checkMsgpack walks the MessagePack value in data without decoding it. It
// keeps a stack of how many items are still expected at each nesting level.
func checkMsgpack(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("empty data")
	}
	var buf [16]uint64 // enough for ordinary values without allocating
	stack := buf[:0]
	pending := uint64(1) // items still expected at the current level
	pos := 0
	for {
		for pending == 0 {
			if len(stack) == 0 {
				if pos != len(data) {
					return fmt.Errorf("%d bytes of trailing data after the value at offset %d", len(data)-pos, pos)
				}
				return nil
			}
			pending = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		}
		pending--
		if pos >= len(data) {
			return fmt.Errorf("truncated data: value expected at offset %d", pos)
		}
		c := data[pos]
		var (
			head        int
			body, items uint64
		)
		// The one-byte headers, most tokens of a small value, without a
		// call (msgpackToken's first cases, the same way).
		switch {
		case c <= 0x7f, c >= 0xe0: // positive and negative fixint
			head = 1
		case c <= 0x8f: // fixmap
			head, items = 1, 2*uint64(c&0x0f)
		case c <= 0x9f: // fixarray
			head, items = 1, uint64(c&0x0f)
		case c <= 0xbf: // fixstr
			head, body = 1, uint64(c&0x1f)
		default:
			var err error
			if head, body, items, err = msgpackToken(data[pos:]); err != nil {
				return fmt.Errorf("offset %d: %w", pos, err)
			}
		}
		left := uint64(len(data) - pos)
		if uint64(head)+body > left {
			return fmt.Errorf("truncated data: code 0x%02x at offset %d needs %d bytes, %d left", c, pos, uint64(head)+body, left)
		}
		pos += head + int(body)
		if items == 0 {
			continue
		}
		// Every item takes at least one byte.
		if rest := uint64(len(data) - pos); items > rest {
			return fmt.Errorf("code 0x%02x at offset %d claims %d items, only %d bytes left", c, pos-head, items, rest)
		}
		if len(stack) >= MaxDepth {
			return fmt.Errorf("nesting deeper than %d at offset %d", MaxDepth, pos-head)
		}
		stack = append(stack, pending)
		pending = items
	}
}

// msgpackToken reads the token at the start of b (len(b) > 0): the size of
// its header, the size of the payload after the header, and for arrays and
// maps the number of items that follow (two per map entry).
func msgpackToken(b []byte) (head int, body uint64, items uint64, err error) {
	c := b[0]
	// length reads an n-byte big-endian length after the code byte.
	length := func(n int) (uint64, error) {
		if len(b) < 1+n {
			return 0, fmt.Errorf("truncated data: code 0x%02x needs a %d-byte length", c, n)
		}
		switch n {
		case 1:
			return uint64(b[1]), nil
		case 2:
			return uint64(binary.BigEndian.Uint16(b[1:])), nil
		default:
			return uint64(binary.BigEndian.Uint32(b[1:])), nil
		}
	}
	switch {
	case c <= 0x7f, c >= 0xe0: // positive and negative fixint
		return 1, 0, 0, nil
	case c <= 0x8f: // fixmap
		return 1, 0, 2 * uint64(c&0x0f), nil
	case c <= 0x9f: // fixarray
		return 1, 0, uint64(c & 0x0f), nil
	case c <= 0xbf: // fixstr
		return 1, uint64(c & 0x1f), 0, nil
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return 1, 0, 0, nil
	case 0xc1:
		return 0, 0, 0, fmt.Errorf("invalid code 0xc1")
	case 0xc4, 0xd9: // bin8, str8
		n, err := length(1)
		return 2, n, 0, err
	case 0xc5, 0xda: // bin16, str16
		n, err := length(2)
		return 3, n, 0, err
	case 0xc6, 0xdb: // bin32, str32
		n, err := length(4)
		return 5, n, 0, err
	case 0xc7: // ext8: length, type, data
		n, err := length(1)
		return 3, n, 0, err
	case 0xc8: // ext16
		n, err := length(2)
		return 4, n, 0, err
	case 0xc9: // ext32
		n, err := length(4)
		return 6, n, 0, err
	case 0xca: // float32
		return 1, 4, 0, nil
	case 0xcb: // float64
		return 1, 8, 0, nil
	case 0xcc, 0xd0: // uint8, int8
		return 1, 1, 0, nil
	case 0xcd, 0xd1: // uint16, int16
		return 1, 2, 0, nil
	case 0xce, 0xd2: // uint32, int32
		return 1, 4, 0, nil
	case 0xcf, 0xd3: // uint64, int64
		return 1, 8, 0, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16: type, data
		return 2, 1 << (c - 0xd4), 0, nil
	case 0xdc: // array16
		n, err := length(2)
		return 3, 0, n, err
	case 0xdd: // array32
		n, err := length(4)
		return 5, 0, n, err
	case 0xde: // map16
		n, err := length(2)
		return 3, 0, 2 * n, err
	default: // 0xdf map32
		n, err := length(4)
		return 5, 0, 2 * n, err
	}
}
