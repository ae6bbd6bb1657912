package ring

// decodeStoredInto decodes the bytes stored under key into *dst, as
// decodeStored does, but in place: a bulk read decodes each entry straight
// into its element of the result, with no V of its own escaping to the
// heap (one allocation less per entry).
func (c *Cache[V]) decodeStoredInto(dst *V, key string, b []byte) bool {
	var err error
	if c.dec != nil {
		*dst, err = c.dec(b)
	} else {
		err = c.coder.Decode(b, dst)
	}
	if err != nil {
		c.report("decode", key, err)
		return false
	}
	return true
}
