package pykey

// repr() of a float, a str and a bytes object, as CPython 3 writes them.

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendFloatRepr appends repr(f) as CPython 3 writes it: the shortest string
// that reads back as f, in fixed notation with at least one decimal
// ("1.0", "0.0001") when its decimal point position is in -3..16, else in
// scientific notation with a signed exponent of at least two digits
// ("1e+16", "1e-05", "1.5e+300"). NaN and the infinities are "nan", "inf"
// and "-inf", as repr writes them. Package coders/pyjson writes floats with
// it too.
func AppendFloatRepr(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	// e is [-]d[.ddd]e±XX: the decimal point of the digits d.ddd is
	// after position exp+1.
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	if decpt := exp + 1; decpt > -4 && decpt <= 16 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	return append(dst, e...)
}

// isPrintable reports whether CPython's str.isprintable holds for r: every
// character but those of the Unicode categories Other (Cc, Cf, Cs, Co, Cn)
// and Separator (Zl, Zp, Zs), the ASCII space excepted. Go's Unicode
// tables may be of another version than the Python's that reads the key.
func isPrintable(r rune) bool { return unicode.IsPrint(r) }

// validString reports whether s can be a Python str: valid UTF-8.
func validString(s string) bool { return utf8.ValidString(s) }

// appendStringRepr appends repr(s) for a Python str holding the characters
// of s, which must be valid UTF-8 (see validString): single quotes unless s
// holds a single quote and no double quote, backslash escapes for the
// quote, the backslash, \t, \n and \r, \xHH, \uHHHH or \UHHHHHHHH for
// other non-printable characters, printable non-ASCII characters as they
// are.
func appendStringRepr(dst []byte, s string) []byte {
	quote := byte('\'')
	hasSingle, hasDouble := false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			hasSingle = true
		case '"':
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	dst = append(dst, quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r < ' ' || r == 0x7f:
			dst = append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r < 0x7f:
			dst = append(dst, byte(r))
		case isPrintable(r):
			dst = utf8.AppendRune(dst, r)
		case r <= 0xff:
			dst = append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r <= 0xffff:
			dst = append(dst, '\\', 'u')
			dst = appendHex(dst, uint32(r), 4)
		default:
			dst = append(dst, '\\', 'U')
			dst = appendHex(dst, uint32(r), 8)
		}
	}
	return append(dst, quote)
}

// appendBytesRepr appends repr(b) for a Python bytes object: b'...' (b"..."
// when b holds a single quote and no double quote), with \\, the quote,
// \t, \n and \r escaped and every byte outside ' '..'~' as \xHH.
func appendBytesRepr(dst []byte, b []byte) []byte {
	quote := byte('\'')
	hasSingle, hasDouble := false, false
	for _, c := range b {
		switch c {
		case '\'':
			hasSingle = true
		case '"':
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	dst = append(dst, 'b', quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < ' ' || c >= 0x7f:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, quote)
}

func appendHex(dst []byte, v uint32, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}
