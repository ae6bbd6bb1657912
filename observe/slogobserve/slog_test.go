package slogobserve_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/observe"
	"github.com/ringcache/ring/observe/slogobserve"
)

func TestLevelsAndKeys(t *testing.T) {
	info := &observe.Info{Ring: "r", Backend: "redis", Tier: observe.TierRemote}
	run := func(level slog.Level, opts *slogobserve.Options) string {
		var b bytes.Buffer
		o := slogobserve.New(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: level})), opts)
		ctx := context.Background()
		o.Request(ctx, info, observe.Hit, 1)
		o.EndLoad(ctx, info, observe.Load{Kind: observe.LoadFill, Keys: 1})
		o.Event(ctx, info, observe.Event{Kind: observe.EventFailOpen, Op: "get", Key: "user:42", N: 1, Err: errors.New("refused")})
		o.Event(ctx, info, observe.Event{Kind: observe.EventBreakerClosed, Op: "breaker closed", N: 1})
		o.Event(ctx, info, observe.Event{Kind: observe.EventCoalesced, N: 1})
		return b.String()
	}
	out := run(slog.LevelDebug, nil)
	require.Contains(t, out, `level=WARN msg="ring: fail-open" ring=r backend=redis tier=remote op=get err=refused`)
	require.Contains(t, out, `level=INFO msg="ring: breaker closed"`)
	require.NotContains(t, out, "user:42")
	require.NotContains(t, out, "DEBUG", "Debug records only when asked")

	out = run(slog.LevelDebug, &slogobserve.Options{Requests: true, Loads: true, Events: true, Keys: true})
	require.Contains(t, out, "key=user:42")
	require.Contains(t, out, `level=DEBUG msg="ring: request" ring=r backend=redis tier=remote result=hit n=1`)
	require.Contains(t, out, `msg="ring: load"`)
	require.Contains(t, out, `msg="ring: coalesced"`)

	require.Empty(t, run(slog.LevelError, &slogobserve.Options{Requests: true}), "nothing below the logger's level")
}
