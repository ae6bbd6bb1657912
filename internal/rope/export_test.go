package rope

// CopyMark makes dst a copy of src (a WriteMark holds atomics, which
// must not be copied by assignment): a test's fresh mark in place of one
// a context already carries.
func CopyMark(dst, src *WriteMark) {
	dst.rope, dst.counts = src.rope, src.counts
	for i := range src.own {
		dst.own[i].Store(src.own[i].Load())
	}
}
