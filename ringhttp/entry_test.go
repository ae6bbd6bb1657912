package ringhttp

import (
	"encoding/hex"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	text := hex.Dump(got)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run Golden -update to create it")
	assert.Equal(t, string(want), text, "the stored format changed: keep old entries readable or bump the version byte")
}

func TestEntryGolden(t *testing.T) {
	e := &entry{
		status:  200,
		stored:  time.Unix(1700000000, 5),
		expires: time.Unix(1700000060, 5),
		authOK:  true,
		header:  http.Header{"Content-Type": {"text/html"}, "Vary": {"Accept-Encoding"}, "X-Two": {"a", "b"}},
		body:    []byte("<p>hi</p>"),
	}
	b := e.encode()
	golden(t, "entry.golden", b)
	back, err := decodeEntry(b)
	require.NoError(t, err)
	assert.Equal(t, e.status, back.status)
	assert.True(t, e.stored.Equal(back.stored))
	assert.True(t, e.expires.Equal(back.expires))
	assert.Equal(t, e.authOK, back.authOK)
	assert.Equal(t, e.header, back.header)
	assert.Equal(t, e.body, back.body)

	s := &spec{gen: 0xfeedface01, expires: time.Unix(1700000060, 0), learned: true, vary: []string{"Accept-Encoding", "Accept-Language"}}
	sb := s.encode()
	golden(t, "spec.golden", sb)
	sback, err := decodeSpec(sb)
	require.NoError(t, err)
	assert.Equal(t, s.gen, sback.gen)
	assert.Equal(t, s.vary, sback.vary)
	assert.True(t, sback.learned)
}

func TestDecodeRejectsTruncated(t *testing.T) {
	e := &entry{status: 200, header: http.Header{"A": {"b"}}, body: []byte("body")}
	b := e.encode()
	for i := range len(b) {
		_, err := decodeEntry(b[:i])
		assert.ErrorIs(t, err, errCorrupt, "prefix of %d bytes", i)
	}
	_, err := decodeEntry(append(b, 0))
	assert.ErrorIs(t, err, errCorrupt, "trailing bytes")
}

func FuzzDecode(f *testing.F) {
	f.Add((&entry{status: 200, header: http.Header{"A": {"b"}}, body: []byte("x")}).encode())
	f.Add((&spec{gen: 1, vary: []string{"Accept"}}).encode())
	f.Add([]byte(entryMagic + strings.Repeat("\xff", 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := decodeEntry(b); err == nil {
			again, err := decodeEntry(e.encode())
			require.NoError(t, err)
			assert.Equal(t, e.body, again.body)
		}
		_, _ = decodeSpec(b)
	})
}

func TestParseCacheControl(t *testing.T) {
	h := http.Header{"Cache-Control": {`public, max-age="30"`, "S-MAXAGE=99999999999999999999, no-cache=\"Set-Cookie\""}}
	cc := parseCacheControl(h)
	assert.True(t, cc.public)
	assert.True(t, cc.noCache)
	assert.Equal(t, int64(30), cc.maxAge)
	assert.Equal(t, int64(1<<31-1), cc.sMaxAge)
	assert.Equal(t, int64(0), parseCacheControl(http.Header{"Cache-Control": {"max-age=-5"}}).maxAge)
	assert.Equal(t, int64(-1), parseCacheControl(http.Header{}).maxAge)
	assert.Equal(t, int64(-1), parseCacheControl(http.Header{}).swr)
	swr := parseCacheControl(http.Header{"Cache-Control": {`max-age=1, Stale-While-Revalidate="30"`}})
	assert.Equal(t, int64(30), swr.swr)
	assert.Equal(t, 30*time.Second, staleWindow(swr, time.Minute), "the response's window wins")
	assert.Equal(t, time.Minute, staleWindow(parseCacheControl(http.Header{}), time.Minute), "the default applies")
	assert.Equal(t, time.Duration(0), staleWindow(parseCacheControl(http.Header{"Cache-Control": {"stale-while-revalidate=30, must-revalidate"}}), time.Minute))
	names, star := parseVary(http.Header{"Vary": {"accept-encoding, Accept", "ACCEPT-ENCODING"}})
	assert.Equal(t, []string{"Accept", "Accept-Encoding"}, names)
	assert.False(t, star)
}

// FuzzPolicy feeds hostile field values to every rule: none may panic.
func FuzzPolicy(f *testing.F) {
	f.Add("public, max-age=60", "Accept-Encoding, *", `"a", W/"b"`, "Mon, 02 Jan 2006 15:04:05 GMT", 200)
	f.Add(`s-maxage="99999999999999999999999", no-cache="x`, ",,,", "*", "garbage", 302)
	f.Fuzz(func(t *testing.T, cc, vary, inm, date string, status int) {
		h := http.Header{"Cache-Control": {cc}, "Vary": {vary}, "Expires": {date}, "Date": {date}, "Etag": {inm}, "Last-Modified": {date}}
		c := parseCacheControl(h)
		parseVary(h)
		lifetime(status, h, c, time.Now(), time.Minute)
		whyNot(status, h, c, true)
		if w := staleWindow(c, time.Minute); w < 0 {
			t.Errorf("staleWindow(%q) = %v, a negative window", cc, w)
		}
		r, err := http.NewRequest(http.MethodGet, "/", nil)
		require.NoError(t, err)
		r.Header = http.Header{"If-None-Match": {inm}, "If-Modified-Since": {date}}
		notModified(r, &entry{status: http.StatusOK, header: h})
	})
}
