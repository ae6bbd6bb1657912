package ringhttp

// PeakBuffered returns the most body bytes one render of h has buffered.
func PeakBuffered(h *Handler) int64 { return h.peak.Load() }

// WaitRefreshes waits for h's background renders of stale pages.
func WaitRefreshes(h *Handler) { h.bg.Wait() }
