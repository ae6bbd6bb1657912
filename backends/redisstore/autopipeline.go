package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Autopipelining: concurrent single-key commands of many goroutines share
// one pipeline, run by one of their callers (combine.go), so a burst of
// callers costs a few round trips instead of one each, and one connection
// instead of one per caller.

// apState is what a Store needs to autopipeline.
type apState struct {
	comb *combiner // AutoPipeline; nil: none
}

// Option configures a Store made by [New] or [Own].
type Option interface {
	apply(*Store)
	// String names the option as it is written in Go.
	String() string
}

type autoPipeline struct{}

func (autoPipeline) String() string { return "redisstore.AutoPipeline()" }

func (autoPipeline) apply(r *Store) { r.pipe.comb = &combiner{client: r.client} }

// AutoPipeline makes the Store pipeline the single-key commands (Get,
// Set, SetIfAbsent, Delete, Has, Touch) of concurrent callers: while one
// command or pipeline of the Store is on the wire, the commands that other
// goroutines issue are queued, and the oldest of those callers then sends
// them all as the next pipeline, on one of the client's connections. There
// is no goroutine of the Store's and no hand-off to one: a caller waits
// for its reply or runs the next pipeline itself, and a command issued
// while nothing else is in flight goes straight to the client, as without
// the option. Under many concurrent callers a call then costs a share of a
// round trip; a lone caller pays nothing (docs/benchmarks.md has both,
// measured). It works on every client: a node, a Sentinel-managed master,
// a cluster (go-redis splits a pipeline by node) and a *redis.Ring.
//
// What changes, and what does not:
//   - Timeouts: a queued call ends at its context's end (ring's
//     StorageTimeout, or a cancel) with no goroutine of its own: the
//     caller stops waiting, and its command, if already part of a
//     pipeline, still runs on the server (a write may land). A pipeline
//     is bounded by the context of the caller that sends it, as a plain
//     command is; a command that failed only because that context ended
//     first is sent again for its own caller while that one's context
//     lasts. So a frozen server still fails open within StorageTimeout,
//     and ring's circuit breaker counts the timeouts as before.
//   - Ordering: one goroutine's commands run in the order it made them
//     (each call waits for its reply); commands of different goroutines were
//     never ordered.
//   - Hooks: the client's hooks see the pipelined commands as pipelines
//     (ProcessPipelineHook), the others as single commands (ProcessHook).
//   - One pipeline at a time: a slow command (a huge value) delays the
//     commands queued behind it, as on any pipelined connection.
//   - What stays on the client's own connections: the bulk forms (MGET and
//     the per-slot pipelines), GetWithTTL's MULTI/EXEC, Remove's pipeline,
//     the leases' Lua scripts, and Clear's SCAN. They are single round trips
//     already.
//   - Errors: a reply error or a connection failure is reported by the call
//     that made the command, with the same wrapping; a failed pipeline fails
//     each of its commands, which fail open in ring one by one.
//
// It uses go-redis's Pipeline, not its experimental AutoPipeliner
// (redis.Options.AutoPipelineOptions does not apply). The RedisHash
// backend does not take the option.
func AutoPipeline() Option { return autoPipeline{} }

// process runs one single-key command: with the other callers' commands
// when the Store autopipelines (combiner.do), with the client otherwise.
func (r *Store) process(ctx context.Context, cmd redis.Cmder) error {
	if r.pipe.comb != nil {
		return r.pipe.comb.do(ctx, cmd)
	}
	return r.client.Process(ctx, cmd)
}

// pxArgs returns the arguments of SET (with "nx" when nx) for a ttl in
// whole milliseconds, as PX (no expiry when ttl is 0).
func setArgs(key string, b []byte, ttl time.Duration, nx bool) []any {
	args := make([]any, 3, 6)
	args[0], args[1], args[2] = "set", key, b
	if ttl > 0 {
		args = append(args, "px", strconv.FormatInt(int64(ttl/time.Millisecond), 10))
	}
	if nx {
		args = append(args, "nx")
	}
	return args
}

// AutoPipelined reports whether the Store pipelines the single-key
// commands of concurrent callers ([AutoPipeline]).
func (r *Store) AutoPipelined() bool { return r.pipe.comb != nil }
