package ringhttp

import (
	"context"
	"net/http"
	"time"

	"github.com/ringcache/ring/backends"
)

// Lease (ring.Lease on a storage that leases: Redis, memcached) makes one
// process at a time render a page among all those that share the storage,
// as a ring's fills: the leader of a page's flight takes the page's lease
// (a short-lived lock beside the entry, backends.Leaser) before it renders,
// and gives it up once the response is stored (or not). A background
// render (StaleWhileRevalidate, RefreshAhead) that cannot take it does
// nothing: another process is rendering the page.

// leaseWaitMin and leaseWaitMax bound the backoff of a leader that waits
// for another process's render, and leaseGrace is how long past the
// lease's time-to-live it waits at most (a memcached lease outlives its
// ttl by up to two seconds).
const (
	leaseWaitMin = 5 * time.Millisecond
	leaseWaitMax = 100 * time.Millisecond
	leaseGrace   = 2 * time.Second
)

// takeLease tries to take the lease of the variant key vk within a
// storage step, through the breaker.
func (h *Handler) takeLease(ctx context.Context, vk string) (token string, ok bool, err error) {
	octx, cancel := h.bound(ctx)
	defer cancel()
	br, probe, err := h.admit(octx, vk)
	if err != nil {
		return "", false, err
	}
	token, ok, err = backends.TakeLease(octx, h.store.Storage(), h.store.Key(vk), h.pol.lease)
	h.done(ctx, octx, br, probe, err)
	return token, ok, err
}

// releaseLease gives up the lease token of vk; a failure is reported.
func (h *Handler) releaseLease(ctx context.Context, vk, token string) {
	ctx = context.WithoutCancel(ctx)
	octx, cancel := h.bound(ctx)
	defer cancel()
	br, probe, err := h.admit(octx, vk)
	if err == nil {
		err = backends.ReleaseLease(octx, h.store.Storage(), h.store.Key(vk), token)
		h.done(ctx, octx, br, probe, err)
	}
	if err != nil && !h.skippedErr(err) {
		h.report("lease", vk, err)
	}
}

// awaitLease takes the lease of r's page for the leader of its flight c.
// While another process holds it, it waits, reading the page again with a
// backoff (5ms doubling to 100ms): once the holder stored it, it answers r
// (and c's followers) with it and reports answered; once the holder gave
// the lease up without storing (the response may not be stored) or it
// expired (the holder died), it takes it and lets r render. It waits at
// most the lease's time-to-live and two seconds, then r renders without
// it; a storage failure is reported (Op "lease") and r renders without it
// too (fail-open). release gives the lease up after the render.
func (h *Handler) awaitLease(w http.ResponseWriter, r *http.Request, uk string, sp *spec, fk string, c *call) (release func(), answered bool) {
	ctx := r.Context()
	vk := variantKey(uk, r.Host, sp.gen, sp.vary, r.Header)
	deadline := time.Now().Add(h.pol.lease + leaseGrace)
	wait := leaseWaitMin
	for {
		token, ok, err := h.takeLease(ctx, vk)
		switch {
		case err != nil:
			if !h.skippedErr(err) && ctx.Err() == nil {
				h.report("lease", vk, err)
			}
			return func() {}, false
		case ok:
			return func() { h.releaseLease(ctx, vk, token) }, false
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return func() {}, true // the client is gone: nothing to answer
		case <-t.C:
		}
		wait = min(2*wait, leaseWaitMax)
		if sp2, err := h.loadSpec(ctx, uk); err == nil && sp2 != nil && sp2.learned && sp2.gen == sp.gen {
			if e, err := h.loadEntry(ctx, variantKey(uk, r.Host, sp2.gen, sp2.vary, r.Header)); err == nil && e != nil {
				names, values := varyValues(sp2.vary, r.Header)
				h.flights.finish(fk, c, result{e: e, vary: names, values: values, share: true})
				h.write(w, r, e, hitStatus(e, time.Now())+"; detail=lease", true)
				return func() {}, true
			}
		}
		if time.Now().After(deadline) {
			return func() {}, false
		}
	}
}
