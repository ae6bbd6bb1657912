package backends

import "context"

// Inline reports whether the Cancelable storage s runs a call on ctx on
// the caller's goroutine (for tests in package backends_test).
func Inline(s Storage, ctx context.Context) bool {
	if r, ok := s.(cancelableRefactor); ok {
		return r.inline(ctx)
	}
	return s.(cancelable).inline(ctx)
}

// GetDirect reports whether the Cancelable storage s calls its Get
// directly on any context (GetCanceler).
func GetDirect(s Storage) bool {
	if r, ok := s.(cancelableRefactor); ok {
		return r.getDirect
	}
	return s.(cancelable).getDirect
}
