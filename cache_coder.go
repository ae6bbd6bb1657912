package ring

import (
	"fmt"
	"reflect"

	"github.com/ringcache/ring/wire"
)

// Encode encodes value with the coder, into the bytes the backend stores.
// Without a coder (an in-process backend storing Go values) it is an error
// wrapping wire.ErrNoCoder. For a ring's Cache it is the ring's coder.
func (c *Cache[V]) Encode(value V) ([]byte, error) {
	if c.rope != nil {
		return c.rope.Encode(value)
	}
	if c.coder == nil {
		return nil, c.noCoder("encode")
	}
	return c.coder.Encode(value)
}

// Decode decodes data written by the coder (the stored bytes of an entry,
// read through Storage().Raw() for example) into a V. Without a coder it is
// an error wrapping wire.ErrNoCoder.
func (c *Cache[V]) Decode(data []byte) (V, error) {
	var out V
	if c.rope != nil {
		v, err := c.rope.Decode(data)
		if err != nil {
			return out, err
		}
		if v == nil {
			return out, nil
		}
		out, ok := v.(V)
		if !ok {
			return out, fmt.Errorf("ring: %s: decode: got %T, want %v", c.rope.Config().Name, v, reflect.TypeFor[V]())
		}
		return out, nil
	}
	if c.coder == nil {
		return out, c.noCoder("decode")
	}
	err := c.coder.Decode(data, &out)
	return out, err
}

func (c *Cache[V]) noCoder(op string) error {
	return fmt.Errorf("ring: cache: %s: %w (backend %s stores Go values)", op, wire.ErrNoCoder, c.store.Name())
}
