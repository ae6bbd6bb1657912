package ringhttp_test

import (
	"net/http"
	"net/http/httptest"
)

// httptestRequest is a GET of target: a path (Host example.com), or an
// absolute URL, whose host the request then names, as a client's would.
func httptestRequest(target string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func httptestServer(t interface{ Cleanup(func()) }, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		srv.Close()
	})
	return srv.URL
}
