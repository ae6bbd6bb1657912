package memcachestore

import "context"

// getPiped is Get with the selector: one get on the bulk path's own
// connections (combined with the Gets of other callers: AutoPipeline), which stops when ctx ends (cancel or deadline), so that a
// backends.Cancelable wrapper calls it with no goroutine of its own
// (CancelsGet). gomemcache's Get takes no context: under many concurrent
// callers the wrapper's goroutine per call cost as much as the read.
func (m *Store) getPiped(ctx context.Context, key string) (any, bool, error) {
	if m.pipe.combine {
		v, err := m.pipe.getCombined(ctx, m.RefactorKey(key))
		if err != nil {
			return nil, false, m.fail("get", key, err)
		}
		if v == nil {
			return nil, false, nil
		}
		return v, true, nil
	}
	var out [1][]byte
	if err := m.pipe.getMany(ctx, []string{m.RefactorKey(key)}, out[:]); err != nil {
		return nil, false, m.fail("get", key, err)
	}
	if out[0] == nil {
		return nil, false, nil
	}
	return out[0], true, nil
}

// CancelsGet reports whether Get stops by itself when its ctx ends (it
// does with a selector: WithSelector), so that backends.Cancelable calls
// it directly (see backends.GetCanceler).
func (m *Store) CancelsGet() bool { return m.pipe != nil }
