package ringhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/ringhttp"
)

func TestSubFunctions(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		var version atomic.Int64
		version.Store(1)
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprintf(w, "version %d", version.Load())
		})
		ctx := context.Background()
		req := httptestRequest(s.srv.URL + "/doc")

		key, err := s.h.Key(req)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(key, s.h.Cache().Prefix()), key)
		assert.True(t, strings.HasSuffix(key, "s:/doc"), key)

		has, err := s.h.Has(req)
		require.NoError(t, err)
		assert.False(t, has)

		s.get("/doc")
		resp, found, err := s.h.Get(req)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "version 1", string(resp.Body))
		assert.Equal(t, http.StatusOK, resp.Status)
		assert.WithinDuration(t, resp.Stored.Add(time.Minute), resp.Expires, time.Millisecond)

		// Update renders again now, whatever is stored.
		version.Store(2)
		assert.Equal(t, "version 1", s.get("/doc").body)
		resp, err = s.h.Update(req)
		require.NoError(t, err)
		assert.Equal(t, "version 2", string(resp.Body))
		assert.Equal(t, "version 2", s.get("/doc").body)
		assert.Equal(t, int64(2), s.renders.Load())

		// Touch restarts the lifetime: Age goes back to 0.
		time.Sleep(1100 * time.Millisecond)
		assert.NotEqual(t, "0", s.get("/doc").header.Get("Age"))
		require.NoError(t, s.h.Touch(req))
		assert.Equal(t, "0", s.get("/doc").header.Get("Age"))

		require.NoError(t, s.h.Delete(req))
		assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/doc").cacheStatus())

		require.NoError(t, s.h.DeletePath(ctx, "/doc"))
		has, err = s.h.Has(req)
		require.NoError(t, err)
		assert.False(t, has)
		require.NoError(t, s.h.Touch(req), "an absent entry is not an error")
		require.NoError(t, s.h.Delete(req))
	})
}

func TestUpdateNotStored(t *testing.T) {
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, page("private"))
	resp, err := s.h.Update(httptestRequest(s.srv.URL + "/priv"))
	require.ErrorIs(t, err, ringhttp.ErrNotStored)
	assert.Contains(t, err.Error(), "private")
	assert.Equal(t, http.StatusOK, resp.Status)

	big := newSite(t, backendsUnderTest[0], ringhttp.Options{MaxBody: 10}, page("max-age=60"))
	_, err = big.h.Update(httptestRequest(big.srv.URL + "/big"))
	require.ErrorIs(t, err, ringhttp.ErrNotStored)
	assert.Contains(t, err.Error(), "streamed")
}

func TestDeleteVariants(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, negotiated)
		s.get("/v", "Accept-Encoding", "gzip")
		s.get("/v")
		// Delete removes one variant.
		require.NoError(t, s.h.Delete(httptestRequest(s.srv.URL+"/v", "Accept-Encoding", "gzip")))
		assert.Equal(t, "ring; fwd=vary-miss; stored", s.get("/v", "Accept-Encoding", "gzip").cacheStatus())
		assert.Contains(t, s.get("/v").cacheStatus(), "hit")
		// DeletePath removes them all, whatever they varied on.
		s.get("/v", "Accept-Encoding", "br")
		require.NoError(t, s.h.DeletePath(context.Background(), "/v"))
		// The first request after it starts a new generation of the URL;
		// the others miss their variant in it.
		assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/v", "Accept-Encoding", "gzip").cacheStatus())
		for _, ae := range []string{"br", ""} {
			r := s.get("/v", "Accept-Encoding", ae)
			assert.Equal(t, "ring; fwd=vary-miss; stored", r.cacheStatus(), "Accept-Encoding %q", ae)
		}
		// Only the path and query named.
		s.get("/v?page=2")
		require.NoError(t, s.h.DeletePath(context.Background(), "/v"))
		assert.Contains(t, s.get("/v?page=2").cacheStatus(), "hit")
		require.NoError(t, s.h.DeletePath(context.Background(), "http://any.host/v?page=2"))
		assert.Contains(t, s.get("/v?page=2").cacheStatus(), "fwd=uri-miss")
	})
}

func TestDeletePathDuringRender(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		var first atomic.Bool
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			if first.CompareAndSwap(false, true) {
				started <- struct{}{}
				<-release
			}
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprint(w, "old content")
		})
		var r reply
		var wg sync.WaitGroup
		wg.Go(func() { r = s.get("/list") })
		<-started
		require.NoError(t, s.h.DeletePath(context.Background(), "/list"))
		close(release)
		wg.Wait()
		assert.Equal(t, "old content", r.body)
		assert.Equal(t, "ring; fwd=uri-miss; detail=deleted", r.cacheStatus(), "a render older than the delete is not stored")
		assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/list").cacheStatus())
	})
}

func TestSubFunctionErrors(t *testing.T) {
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, page("max-age=60"))
	for _, target := range []string{"", "no-slash", "%zz"} {
		err := s.h.DeletePath(context.Background(), target)
		require.Error(t, err, target)
		assert.True(t, strings.HasPrefix(err.Error(), "ringhttp: DeletePath("), err.Error())
	}
	_, err := s.h.Key(nil)
	require.EqualError(t, err, "ringhttp: nil request or URL")
	_, _, err = s.h.Get(&http.Request{})
	require.EqualError(t, err, "ringhttp: nil request or URL")
	_, err = s.h.Update(nil)
	require.Error(t, err)
	require.Error(t, s.h.Delete(nil))
	require.Error(t, s.h.Touch(nil))
	_, err = s.h.Has(nil)
	require.Error(t, err)
}
