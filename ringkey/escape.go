package ringkey

import "unsafe"

// reservedTable marks the reserved bytes: \ : , = [ ] { } ( ).
var reservedTable = [256]bool{
	'\\': true, ':': true, ',': true, '=': true,
	'[': true, ']': true, '{': true, '}': true, '(': true, ')': true,
}

// Reserved reports whether b is a reserved byte: one of \ : , = [ ] { } ( ).
// Reserved bytes inside a key component's data are escaped with a
// backslash; every other byte (including control bytes and bytes >= 0x80)
// passes through unchanged.
func Reserved(b byte) bool { return reservedTable[b] }

// AppendEscaped appends s to dst with a backslash before every reserved
// byte (see [Reserved]) and returns the extended buffer. It does not
// allocate when dst has enough capacity.
func AppendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if reservedTable[s[i]] {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', s[i])
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// appendEscapedBytes is AppendEscaped for a byte slice, read in place: s
// is only read, and not kept.
func appendEscapedBytes(dst []byte, s []byte) []byte {
	return AppendEscaped(dst, unsafe.String(unsafe.SliceData(s), len(s)))
}
