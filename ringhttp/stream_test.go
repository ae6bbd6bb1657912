package ringhttp_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/ringhttp"
)

// readWithin reads n bytes of r, failing the test if they do not arrive in
// time (a response buffered whole would not arrive before its end).
func readWithin(t *testing.T, r io.Reader, n int, d time.Duration) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, n)
		k, _ := io.ReadFull(r, buf)
		got <- buf[:k]
	}()
	select {
	case b := <-got:
		require.Len(t, b, n)
		return b
	case <-time.After(d):
		t.Fatalf("%d bytes did not arrive within %v: the response is buffered", n, d)
		return nil
	}
}

func TestLargeResponseStreamsUncached(t *testing.T) {
	const maxBody = 64 << 10
	eachBackend(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		chunk := bytes.Repeat([]byte("x"), 16<<10)
		s := newSite(t, b, ringhttp.Options{MaxBody: maxBody}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			for range 8 { // 128 KiB: past the bound
				_, _ = w.Write(chunk)
			}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
			for range 32 { // 512 KiB more
				_, _ = w.Write(chunk)
			}
		})
		open := func() *http.Response {
			resp, err := s.client.Get(s.srv.URL + "/big")
			require.NoError(t, err)
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		a := open()
		assert.Equal(t, "ring; fwd=uri-miss; detail=too-large", a.Header.Get("Cache-Status"))
		readWithin(t, a.Body, 100<<10, 5*time.Second)
		// A second client does not wait for the first stream to end: it
		// renders for itself.
		c := open()
		readWithin(t, c.Body, 100<<10, 5*time.Second)
		assert.Equal(t, int64(2), s.renders.Load())
		close(release)
		for _, resp := range []*http.Response{a, c} {
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Len(t, rest, 640<<10-100<<10)
		}
		assert.LessOrEqual(t, ringhttp.PeakBuffered(s.h), int64(maxBody), "never buffered past MaxBody")
		assert.Equal(t, "ring; fwd=uri-miss; detail=too-large", s.get("/big").cacheStatus(), "not stored")
	})
}

func TestFlushingHandlerStreams(t *testing.T) {
	release := make(chan struct{})
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "data: two\n\n")
	})
	resp, err := s.client.Get(s.srv.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "ring; fwd=uri-miss; detail=flushed", resp.Header.Get("Cache-Status"))
	assert.Equal(t, "data: one\n\n", string(readWithin(t, resp.Body, 11, 5*time.Second)))
	close(release)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "data: two\n\n", string(rest))
}
