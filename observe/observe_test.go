package observe_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/observe"
)

type ctxKey struct{}

// tracer appends its name to a context value in Start and records what
// End sees.
type tracer struct {
	observe.Base
	name string
	log  *[]string
}

func (t tracer) StartLoad(ctx context.Context, _ *observe.Info, _ observe.LoadKind) context.Context {
	prev, _ := ctx.Value(ctxKey{}).(string)
	return context.WithValue(ctx, ctxKey{}, prev+t.name)
}

func (t tracer) EndLoad(ctx context.Context, _ *observe.Info, _ observe.Load) {
	v, _ := ctx.Value(ctxKey{}).(string)
	*t.log = append(*t.log, t.name+":"+v)
}

func TestMulti(t *testing.T) {
	require.Nil(t, observe.Multi())
	require.Nil(t, observe.Multi(nil, nil))
	one := tracer{name: "a"}
	require.Equal(t, observe.Observer(one), observe.Multi(nil, one))
	var log []string
	m := observe.Multi(tracer{name: "a", log: &log}, observe.Multi(tracer{name: "b", log: &log}, tracer{name: "c", log: &log}))
	info := &observe.Info{Ring: "r"}
	ctx := m.StartLoad(context.Background(), info, observe.LoadFill)
	m.EndLoad(ctx, info, observe.Load{})
	// Start threads the context a, then b, then c; End runs in reverse.
	require.Equal(t, []string{"c:abc", "b:abc", "a:abc"}, log)
}

func TestStatsConcurrent(t *testing.T) {
	s := observe.NewStats()
	info := &observe.Info{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				s.Request(context.Background(), info, observe.Hit, 1)
				s.Request(context.Background(), info, observe.Miss, 2)
				s.EndLoad(context.Background(), info, observe.Load{Kind: observe.LoadRefresh, Duration: time.Millisecond, Err: errors.New("x")})
				s.Event(context.Background(), info, observe.Event{Kind: observe.EventEviction, N: 3})
			}
		})
	}
	wg.Wait()
	got := s.Snapshot()
	require.Equal(t, observe.Snapshot{Hits: 8000, Misses: 16000, Loads: 8000, LoadErrors: 8000, Refreshes: 8000,
		LoadTime: 8000 * time.Millisecond, Evictions: 24000}, got)
	require.Equal(t, time.Millisecond, got.AverageLoadTime())
	require.InDelta(t, 1.0/3, got.HitRatio(), 1e-9)
	require.Equal(t, uint64(24000), got.Requests())
	require.Equal(t, observe.Snapshot{Hits: 1}, observe.Snapshot{Hits: 5, Misses: 2}.Sub(observe.Snapshot{Hits: 4, Misses: 2}))
}

func TestNames(t *testing.T) {
	require.Equal(t, "negative", observe.Negative.String())
	require.Equal(t, "unknown", observe.Result(99).String())
	require.Equal(t, "refresh", observe.LoadRefresh.String())
	require.Equal(t, "lease wait", observe.EventLeaseWait.String())
}
