// Package slogobserve turns the events of rings into log/slog records: an
// observe.Observer for ring.Observe. It is a package of its own so that a
// program that does not log through it does not link log/slog.
package slogobserve

import (
	"context"
	"log/slog"

	"github.com/ringcache/ring/observe"
)

// Options are the options of [New]. The zero value (or nil) logs
// only what an operator must see: absorbed failures, decode failures and
// breaker changes.
type Options struct {
	// Requests logs each request at Debug, with its result; Loads logs
	// each load at Debug (a failed load too: the caller gets its error);
	// Ops logs each remote operation at Debug (a failed one too);
	// Events logs the frequent events (coalesced callers, lease waits,
	// evictions) at Debug.
	Requests, Loads, Ops, Events bool
	// Keys adds the backend key (attribute "key") to the records that
	// have one. Off by default: keys may hold personal data.
	Keys bool
}

// New returns an observe.Observer that writes events to logger:
//
//   - Warn: a failure the ring absorbed (fail-open), a value that no
//     longer decodes, the circuit breaker opening;
//   - Info: the circuit breaker closing;
//   - Debug, only if opts asks: requests, loads, operations, coalesced
//     callers, lease waits, evictions.
//
// Every record has the message "ring: " and the event, and the
// attributes "ring", "backend" and "tier"; then, as they apply, "op",
// "result", "kind", "n", "duration", "keys", "err", and "key" only with
// opts.Keys. A record is built only when logger is enabled at its level.
func New(logger *slog.Logger, opts *Options) observe.Observer {
	s := &slogObserver{l: logger}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

type slogObserver struct {
	l    *slog.Logger
	opts Options
}

func (s *slogObserver) log(ctx context.Context, level slog.Level, msg string, info *observe.Info, attrs ...slog.Attr) {
	if !s.l.Enabled(ctx, level) {
		return
	}
	base := [3]slog.Attr{slog.String("ring", info.Ring), slog.String("backend", info.Backend), slog.String("tier", info.Tier)}
	s.l.LogAttrs(ctx, level, msg, append(base[:], attrs...)...)
}

func (s *slogObserver) Request(ctx context.Context, info *observe.Info, r observe.Result, n int) {
	if s.opts.Requests {
		s.log(ctx, slog.LevelDebug, "ring: request", info, slog.String("result", r.String()), slog.Int("n", n))
	}
}

func (s *slogObserver) StartLoad(ctx context.Context, _ *observe.Info, _ observe.LoadKind) context.Context {
	return ctx
}

func (s *slogObserver) EndLoad(ctx context.Context, info *observe.Info, l observe.Load) {
	if !s.opts.Loads {
		return
	}
	attrs := []slog.Attr{slog.String("kind", l.Kind.String()), slog.Int("keys", l.Keys), slog.Duration("duration", l.Duration)}
	if l.Err != nil {
		attrs = append(attrs, slog.Any("err", l.Err))
	}
	s.log(ctx, slog.LevelDebug, "ring: load", info, attrs...)
}

func (s *slogObserver) StartOp(ctx context.Context, _ *observe.Info, _ observe.Op) context.Context {
	return ctx
}

func (s *slogObserver) EndOp(ctx context.Context, info *observe.Info, op observe.Op) {
	if !s.opts.Ops {
		return
	}
	attrs := []slog.Attr{slog.String("op", op.Name), slog.Int("keys", op.Keys), slog.Duration("duration", op.Duration)}
	if op.Err != nil {
		attrs = append(attrs, slog.Any("err", op.Err))
	}
	s.log(ctx, slog.LevelDebug, "ring: op", info, attrs...)
}

func (s *slogObserver) Event(ctx context.Context, info *observe.Info, ev observe.Event) {
	level := slog.LevelDebug
	switch ev.Kind {
	case observe.EventFailOpen, observe.EventDecode, observe.EventBreakerOpen:
		level = slog.LevelWarn
	case observe.EventBreakerClosed:
		level = slog.LevelInfo
	default:
		if !s.opts.Events {
			return
		}
	}
	var attrs []slog.Attr
	if ev.Op != "" {
		attrs = append(attrs, slog.String("op", ev.Op))
	}
	if ev.Key != "" && s.opts.Keys {
		attrs = append(attrs, slog.String("key", ev.Key))
	}
	if ev.N != 1 && ev.N != 0 || ev.Kind == observe.EventCoalesced || ev.Kind == observe.EventEviction {
		attrs = append(attrs, slog.Int("n", ev.N))
	}
	if ev.Duration > 0 {
		attrs = append(attrs, slog.Duration("duration", ev.Duration))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.Any("err", ev.Err))
	}
	s.log(ctx, level, "ring: "+ev.Kind.String(), info, attrs...)
}
