package backends_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/memcachestore"
)

// The wrapper behaves as the backend it wraps: the whole suite, through the
// goroutine path (the suite's contexts can end).
func TestCancelableConformance(t *testing.T) {
	backendtest.Run(t, func(*testing.T) backends.Storage { return backends.Cancelable(backends.NewDict()) },
		backendtest.Options{HonoursContext: true})
}

// stuck is a backend whose Get blocks until released, as a client stuck on
// a frozen server does.
type stuck struct {
	backends.Dummy
	release chan struct{}
	done    chan struct{}
}

func (s stuck) Get(ctx context.Context, key string) (any, bool, error) {
	defer close(s.done)
	<-s.release
	return []byte("late"), true, nil
}

func TestCancelableReturnsAtCancel(t *testing.T) {
	s := stuck{release: make(chan struct{}), done: make(chan struct{})}
	c := backends.Cancelable(s)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := c.Get(ctx, "k")
	require.True(t, errors.Is(err, context.Canceled))
	require.Less(t, time.Since(start), time.Second)
	close(s.release) // the abandoned call ends; goleak checks it did
	<-s.done

	// A context that cannot end runs the call directly.
	s2 := stuck{release: make(chan struct{}), done: make(chan struct{})}
	close(s2.release)
	v, ok, err := backends.Cancelable(s2).Get(context.Background(), "k")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("late"), v)

	// Names, raw client, capabilities and unwrapping pass through.
	d := backends.NewDict()
	w := backends.Cancelable(d)
	require.Equal(t, "dict", w.Name())
	require.False(t, w.Bytes())
	require.Same(t, d, backends.Unwrap(w))
	require.Same(t, d, backends.Unwrap(d))
	_, isRefactorer := w.(backends.KeyRefactorer)
	require.False(t, isRefactorer, "only a backend that rewrites keys gets RefactorKey")
	mc := backends.Cancelable(memcachestore.New(nil))
	r, isRefactorer := mc.(backends.KeyRefactorer)
	require.True(t, isRefactorer)
	require.Regexp(t, `^ring-sha1:`, r.RefactorKey("has space"))
	require.ErrorIs(t, backends.Clear(context.Background(), mc, "p"), backends.ErrNotSupported)
}
