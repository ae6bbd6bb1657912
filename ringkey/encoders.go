package ringkey

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

func encodeBool(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return strconv.AppendBool(dst, v.Bool()), nil
}

func encodeInt(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return strconv.AppendInt(dst, v.Int(), 10), nil
}

func encodeUint(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return strconv.AppendUint(dst, v.Uint(), 10), nil
}

func encodeFloat32(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return strconv.AppendFloat(dst, v.Float(), 'g', -1, 32), nil
}

func encodeFloat64(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return strconv.AppendFloat(dst, v.Float(), 'g', -1, 64), nil
}

func appendComplex(dst []byte, c complex128, bits int) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendFloat(dst, real(c), 'g', -1, bits)
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, imag(c), 'g', -1, bits)
	return append(dst, ')')
}

func encodeComplex64(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return appendComplex(dst, v.Complex(), 32), nil
}

func encodeComplex128(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return appendComplex(dst, v.Complex(), 64), nil
}

func encodeString(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return AppendEscaped(dst, v.String()), nil
}

func encodeByteSlice(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return appendEscapedBytes(dst, v.Bytes()), nil
}

func encodeByteArray(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.CanAddr() {
		return appendEscapedBytes(dst, v.Bytes()), nil
	}
	n := v.Len()
	for i := 0; i < n; i++ {
		c := byte(v.Index(i).Uint())
		if reservedTable[c] {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// appendTime appends t in UTC as RFC 3339 with nanoseconds, escaped.
func appendTime(dst []byte, t time.Time) []byte {
	var buf [64]byte
	return appendEscapedBytes(dst, t.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
}

// appendDuration appends d.String(); it holds no reserved byte.
func appendDuration(dst []byte, d time.Duration) []byte {
	return append(dst, d.String()...)
}

func encodeTime(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.CanAddr() {
		return appendTime(dst, *(*time.Time)(v.Addr().UnsafePointer())), nil
	}
	if !v.CanInterface() {
		return dst, unexported(v)
	}
	t, _ := reflect.TypeAssert[time.Time](v)
	return appendTime(dst, t), nil
}

func encodeDuration(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	return appendDuration(dst, time.Duration(v.Int())), nil
}

func unexported(v reflect.Value) error {
	return fmt.Errorf("ring: value of type %s was obtained through an unexported field and cannot be encoded", v.Type())
}

func encodeRingKeyer(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	if !v.CanInterface() {
		return dst, unexported(v)
	}
	rk, _ := reflect.TypeAssert[RingKeyer](v)
	return AppendEscaped(dst, rk.RingKey()), nil
}

// encodeRingKeyerNilable encodes a pointer or interface type that
// implements RingKeyer; a value of a non-interface type that implements an
// interface is taken as the dynamic value (see publicEncoder).
func encodeRingKeyerNilable(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return append(dst, nilMark...), nil
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return append(dst, nilMark...), nil
	}
	if !v.CanInterface() {
		return dst, unexported(v)
	}
	rk, ok := reflect.TypeAssert[RingKeyer](v)
	if !ok {
		return dst, fmt.Errorf("ring: value of type %s does not implement ringkey.RingKeyer", v.Type())
	}
	return AppendEscaped(dst, rk.RingKey()), nil
}

// addrEncoder runs enc on an addressable copy's address, so that methods
// with pointer receivers are found.
func addrEncoder(t reflect.Type, enc encFunc) encFunc {
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if !v.CanInterface() {
			return dst, unexported(v)
		}
		if v.CanAddr() {
			return enc(dst, v.Addr(), depth)
		}
		p := reflect.New(t)
		p.Elem().Set(v)
		return enc(dst, p, depth)
	}
}

func encodeStringer(dst []byte, v reflect.Value, _ int) ([]byte, error) {
	if !v.CanInterface() {
		return dst, unexported(v)
	}
	s, _ := reflect.TypeAssert[fmt.Stringer](v)
	return AppendEscaped(dst, s.String()), nil
}

// encodeInterface encodes a value of an interface type as TYPE(ENC), or \N
// when it is nil.
func encodeInterface(dst []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return append(dst, nilMark...), nil
		}
		v = v.Elem()
	}
	return appendDynamic(dst, v, depth)
}

// appendDynamic appends TYPE(ENC) for the dynamic value v (not an
// interface-kinded Value).
func appendDynamic(dst []byte, v reflect.Value, depth int) ([]byte, error) {
	if depth >= maxDepth {
		return dst, tooDeep(v.Type())
	}
	e := lookup(v.Type())
	if e.err != nil {
		return dst, e.err
	}
	dst = append(dst, e.name...)
	dst = append(dst, '(')
	dst, err := e.fn(dst, v, depth+1)
	if err != nil {
		return dst, err
	}
	return append(dst, ')'), nil
}

func (b *builder) mapEncoder(t reflect.Type) (encFunc, *pathError) {
	kenc, perr := b.build(t.Key())
	if perr != nil {
		return nil, perr.wrap("map key type " + t.Key().String())
	}
	venc, perr := b.build(t.Elem())
	if perr != nil {
		return nil, perr.wrap("map value type " + t.Elem().String())
	}
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		n := v.Len()
		if n == 0 {
			return append(dst, '{', '}'), nil
		}
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		// Encode every entry into one scratch buffer, then sort the
		// entries by encoded key (and, for keys that encode the same,
		// such as NaNs, by encoded value) so the order is deterministic.
		type entry struct{ k0, k1, v1 int }
		entries := make([]entry, 0, n)
		var scratch []byte
		var err error
		it := v.MapRange()
		for it.Next() {
			var e entry
			e.k0 = len(scratch)
			if scratch, err = kenc(scratch, it.Key(), depth+1); err != nil {
				return dst, err
			}
			e.k1 = len(scratch)
			if scratch, err = venc(scratch, it.Value(), depth+1); err != nil {
				return dst, err
			}
			e.v1 = len(scratch)
			entries = append(entries, e)
		}
		slices.SortFunc(entries, func(a, b entry) int {
			if c := bytes.Compare(scratch[a.k0:a.k1], scratch[b.k0:b.k1]); c != 0 {
				return c
			}
			return bytes.Compare(scratch[a.k1:a.v1], scratch[b.k1:b.v1])
		})
		dst = append(dst, '{')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, scratch[e.k0:e.k1]...)
			dst = append(dst, '=')
			dst = append(dst, scratch[e.k1:e.v1]...)
		}
		return append(dst, '}'), nil
	}, nil
}
