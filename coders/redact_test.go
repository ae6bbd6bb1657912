package coders_test

import (
	"strings"
	"testing"

	"github.com/ringcache/ring/coders"
)

// TestOpenShowsNoSecret: a backend URL given to Coder by mistake, or a
// coder URL with a credential parameter, gives an error that shows no
// credential and no part of a query that does not parse.
func TestOpenShowsNoSecret(t *testing.T) {
	const secret = "S3cr3tPw"
	for _, raw := range []string{
		"redis://u:" + secret + "@h:6379/0",
		"redis://:" + secret + "@h",
		"json+zstd://?password=" + secret,
		"json+zstd://?password=" + secret + "&password=" + secret + "2",
		"json+zstd://?level=%zz" + secret,
		"json+zstd://?level=1;" + secret,
		"json+zstd://?level=1#" + secret,
		"?token=" + secret,
		"://u:" + secret + "@h",
		"a:" + secret + "@h://",
	} {
		_, err := coders.Open(raw)
		if err == nil {
			t.Errorf("Open(%q): no error", raw)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open(%q) error %q shows the secret", raw, err)
		}
	}
}
