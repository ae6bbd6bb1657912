package ringhttp

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// recorder is the ResponseWriter a render writes to. It buffers the
// response up to max bytes of body; past that (or when the handler
// flushes) it sends the header and what it buffered to the client and
// streams the rest, and the response is not stored. w is nil for a render
// with no client (Update): streamed bytes are then discarded.
type recorder struct {
	w      http.ResponseWriter
	header http.Header
	status int
	// snapshot is the header as it was when the status was written:
	// changes after that do not reach a client, so they are not stored.
	snapshot  http.Header
	wrote     bool
	buf       []byte
	max       int64
	streaming bool
	// onStream runs once, when the recorder starts streaming, with the
	// reason ("too-large" or "flushed"), before anything is sent.
	onStream func(reason string)
	peak     *atomic.Int64
	err      error
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.wrote {
		return
	}
	if code >= 100 && code < 200 { // informational: passed on, not recorded
		if rec.w != nil && code != http.StatusSwitchingProtocols {
			copyHeader(rec.w.Header(), rec.header)
			rec.w.WriteHeader(code)
		}
		return
	}
	rec.wrote = true
	rec.status = code
	rec.snapshot = rec.header.Clone()
	if rec.snapshot == nil {
		rec.snapshot = http.Header{}
	}
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.err != nil {
		return 0, rec.err
	}
	if rec.streaming {
		return rec.send(p)
	}
	if int64(len(rec.buf))+int64(len(p)) > rec.max {
		rec.stream("too-large")
		if rec.err != nil {
			return 0, rec.err
		}
		return rec.send(p)
	}
	rec.buf = append(rec.buf, p...)
	if rec.peak != nil {
		for n := int64(len(rec.buf)); ; {
			old := rec.peak.Load()
			if n <= old || rec.peak.CompareAndSwap(old, n) {
				break
			}
		}
	}
	return len(p), nil
}

// Flush sends what is buffered and streams the rest: a handler that
// flushes is streaming, and its response is not stored.
func (rec *recorder) Flush() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	rec.stream("flushed")
	if rec.w != nil && rec.err == nil {
		_ = http.NewResponseController(rec.w).Flush()
	}
}

// Unwrap returns the client's ResponseWriter, for http.ResponseController.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.w }

func (rec *recorder) stream(reason string) {
	if rec.streaming {
		return
	}
	rec.streaming = true
	if rec.onStream != nil {
		rec.onStream(reason)
	}
	buf := rec.buf
	rec.buf = nil
	if rec.w == nil {
		return
	}
	copyHeader(rec.w.Header(), rec.snapshot)
	rec.w.WriteHeader(rec.status)
	if len(buf) > 0 {
		_, rec.err = rec.w.Write(buf)
	}
}

func (rec *recorder) send(p []byte) (int, error) {
	if rec.w == nil {
		return len(p), nil
	}
	n, err := rec.w.Write(p)
	if err != nil {
		rec.err = err
	}
	return n, err
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = append([]string(nil), vs...)
	}
}

// statusWriter remembers the status of a pass-through response (an unsafe
// method's, whose success invalidates the URL).
type statusWriter struct {
	w      http.ResponseWriter
	status int
}

func (s *statusWriter) Header() http.Header { return s.w.Header() }

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.w.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.w.Write(p)
}

// Flush passes a flush on to the client.
func (s *statusWriter) Flush() { _ = http.NewResponseController(s.w).Flush() }

// Unwrap returns the client's ResponseWriter, for http.ResponseController.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.w }

// flights de-duplicates concurrent renders of one key. A leader finishes
// its call as soon as the outcome is known: when the response is stored, or
// as soon as it cannot be shared (it streams, it may not be stored), so
// that followers never wait on a long stream.
type flights struct {
	mu sync.Mutex
	m  map[string]*call
}

type call struct {
	done chan struct{}
	once sync.Once
	res  result
}

// result is what a leader hands its followers: the stored response, the
// request header values it varied on, whether it may be shared, and
// whether it is a stale page that answered in place of a failed render
// (stale-if-error).
type result struct {
	e      *entry
	vary   []string
	values []string
	share  bool
	stale  bool
}

func (f *flights) join(key string) (c *call, leader bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.m[key]; ok {
		return c, false
	}
	if f.m == nil {
		f.m = make(map[string]*call)
	}
	c = &call{done: make(chan struct{})}
	f.m[key] = c
	return c, true
}

// finish resolves c with res the first time it is called for c.
func (f *flights) finish(key string, c *call, res result) {
	c.once.Do(func() {
		f.mu.Lock()
		if f.m[key] == c {
			delete(f.m, key)
		}
		f.mu.Unlock()
		c.res = res
		close(c.done)
	})
}
