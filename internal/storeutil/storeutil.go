// Package storeutil holds the small helpers that ring's client-backed
// storages (backends/redisstore, backends/memcachestore,
// backends/diskstore) share: the first check of every network call, the
// conversion of a value to bytes, and how an error message quotes a key.
package storeutil

import (
	"context"
	"fmt"
	"strconv"
)

// Ready is the check every network call of a client backend makes first: a
// client to call, and a context that has not ended.
func Ready(ctx context.Context, backend, op string, hasClient bool) error {
	if !hasClient {
		return fmt.Errorf("ring: backend %s: %s: nil client", backend, op)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ring: backend %s: %s: %w", backend, op, err)
	}
	return nil
}

// BytesValue returns value as []byte, or an error naming the backend, the
// operation, the key and the type that was given instead.
func BytesValue(backend, op, key string, value any) ([]byte, error) {
	if b, ok := value.([]byte); ok {
		return b, nil
	}
	return nil, fmt.Errorf("ring: backend %s: %s %s: value must be []byte, got %T (a bytes backend needs a coder)", backend, op, QuoteKey(key), value)
}

// NonNil returns b, or an empty non-nil slice when b is nil, so that a
// stored empty value reads back as []byte{}.
func NonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// maxQuotedKey is how many bytes of a key an error message shows.
const maxQuotedKey = 128

// QuoteKey quotes key for an error message, shortened when it is long.
func QuoteKey(key string) string {
	if len(key) <= maxQuotedKey {
		return strconv.Quote(key)
	}
	return strconv.Quote(key[:maxQuotedKey]) + "... (" + strconv.Itoa(len(key)) + " bytes)"
}

// Pick returns keys[i] for each i of idx, in that order.
func Pick(keys []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = keys[j]
	}
	return out
}
