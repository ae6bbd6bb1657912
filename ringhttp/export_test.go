package ringhttp

// PeakBuffered returns the most body bytes one render of h has buffered.
func PeakBuffered(h *Handler) int64 { return h.peak.Load() }
