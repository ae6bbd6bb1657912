package ring

// Encode encodes value with the coder, into the bytes the backend stores.
// Without a coder (an in-process backend storing Go values) it is an error
// wrapping ErrNoCoder. For a ring's Cache it is the ring's coder.
func (c *Cache[V]) Encode(value V) ([]byte, error) { return c.encodeValue(value) }

// Decode decodes data written by the coder (the stored bytes of an entry,
// read through Storage().Raw() for example) into a V. Without a coder it is
// an error wrapping ErrNoCoder.
func (c *Cache[V]) Decode(data []byte) (V, error) { return c.decodeValue(data) }
