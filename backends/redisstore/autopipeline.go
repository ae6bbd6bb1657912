package redisstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Autopipelining: concurrent single-key commands of many goroutines share
// one pipeline (go-redis's AutoPipeliner), so a burst of callers costs a
// few round trips instead of one each, and one connection instead of one
// per caller.

// apState is what a Store needs to autopipeline.
type apState struct {
	ap *redis.AutoPipeliner // the client's (AutoPipeline); nil: none
	// inflight counts the single-key commands in flight.
	inflight atomic.Int64
}

// Option configures a Store made by [New] or [Own].
type Option interface {
	apply(*Store)
	// String names the option as it is written in Go.
	String() string
}

type autoPipeline struct{}

func (autoPipeline) String() string { return "redisstore.AutoPipeline()" }

// apClient is a go-redis client that can autopipeline on its deferred
// face: *redis.Client (a node, or a Sentinel-managed master) and
// *redis.ClusterClient.
type apClient interface {
	AsyncAutoPipeline() (*redis.AutoPipeliner, error)
}

func (autoPipeline) apply(r *Store) {
	c, ok := r.client.(apClient)
	if !ok {
		return // a *redis.Ring, or the caller's own AutoPipeliner: as it is
	}
	if ap, err := c.AsyncAutoPipeline(); err == nil {
		r.pipe.ap = ap
	} // else the client is closed: its calls fail with ErrClosed as they would
}

// AutoPipeline makes the Store send its single-key commands (Get, Set,
// SetIfAbsent, Delete, Has, Touch) through the client's autopipeliner
// (go-redis's AsyncAutoPipeline) whenever another one is in flight: the
// commands that concurrent goroutines issue while a pipeline is on the
// wire are queued and sent together as the next pipeline, on one
// connection. Under many concurrent callers a call then costs a fraction
// of a round trip. A command issued while the Store has no other in flight
// goes straight to the client, as without the option: a lone caller does
// not pay the hand-off to the pipeliner's goroutine (docs/benchmarks.md
// has both, measured).
//
// What changes, and what does not:
//   - Timeouts: a pipelined call ends at its context's end (ring's
//     StorageTimeout, or a cancel) without a goroutine of its own: the
//     Store stops waiting for the queued command, which still runs on the
//     server with its pipeline (a write may land). The pipeline itself is
//     bounded by the client's ReadTimeout and WriteTimeout. A call that
//     goes straight to the client is bounded as without the option. So a
//     frozen server still fails open within StorageTimeout, and ring's
//     circuit breaker counts the timeouts as before.
//   - Ordering: one goroutine's commands run in the order it made them
//     (each call waits for its reply); commands of different goroutines were
//     never ordered.
//   - What stays on the client's own connections: the bulk forms (MGET and
//     the per-slot pipelines), GetWithTTL's MULTI/EXEC, Remove's pipeline,
//     the leases' Lua scripts, and Clear's SCAN. They are single round trips
//     already.
//   - Errors: a reply error or a connection failure is reported by the call
//     that made the command, with the same wrapping; a failed pipeline fails
//     each of its commands, which fail open in ring one by one.
//
// The autopipeliner belongs to the client (go-redis caches one per client
// and its first configuration wins; redis.Options.AutoPipelineOptions
// configures it); it stops when the client is closed. A client-side
// sharded *redis.Ring has no deferred autopipeliner: the option leaves such
// a Store as it is. The RedisHash backend does not take it.
func AutoPipeline() Option { return autoPipeline{} }

// process runs one single-key command: through the autopipeliner when the
// Store has one and another single-key command of the Store is in flight,
// waiting no longer than ctx; with the client otherwise. A lone caller has
// no one to share a pipeline with, and handing its command to the
// pipeliner's goroutine and back would only add two wake-ups to its round
// trip.
func (r *Store) process(ctx context.Context, cmd redis.Cmder) error {
	if r.pipe.ap == nil {
		return r.client.Process(ctx, cmd)
	}
	var err error
	if r.pipe.inflight.Add(1) == 1 {
		err = r.client.Process(ctx, cmd)
	} else {
		err = r.pipe.ap.Submit(ctx, cmd).WaitContext(ctx)
	}
	r.pipe.inflight.Add(-1)
	return err
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

// AutoPipelined reports whether the Store sends its single-key commands
// through the client's autopipeliner ([AutoPipeline] on a client that has
// one).
func (r *Store) AutoPipelined() bool { return r.pipe.ap != nil }
