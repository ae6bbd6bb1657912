package backends

import (
	"errors"

	"github.com/ringcache/ring/internal/storageurl"
)

// Redacted is what RedactURL writes in place of a credential.
const Redacted = storageurl.Redacted

// RedactURL returns rawURL as storeurl.Open's errors show
// it, with every credential replaced by "xxxxx":
//
//   - the user info, user name and password alike ("redis://xxxxx@host"):
//     a lone name there is often a password, and what precedes a ':' may be
//     a piece of one;
//   - the value of every query parameter whose name, decoded and in any
//     letter case, contains "pass", "pwd", "secret", "token", "auth",
//     "credential" or ends in "key" (sentinel_password, auth_token, ...),
//     and every parameter after the first such one, name and value, since
//     it may be a piece of a credential that held an unescaped '&'
//     ("?db=1&sentinel_password=xxxxx&xxxxx").
//
// The scheme, hosts, path and other parameters are kept as written, so the
// result says which server and options were meant. A URL that cannot be
// split safely (an '@' after the host part, a bad percent-escape, a
// fragment, a bad host or port, no scheme) is not echoed at all: RedactURL
// returns "<malformed URL: ...>" saying which part is wrong, never the
// text, because a password that was not percent-encoded may end up in any
// part. The scheme need not be one Open knows.
func RedactURL(rawURL string) string {
	u, err := storageurl.Parse(rawURL)
	if err != nil {
		var se *storageurl.SyntaxError
		if !errors.As(err, &se) {
			return "<malformed URL>"
		}
		if se.Scheme == "" {
			return "<malformed URL: " + se.What + ">"
		}
		return "<malformed " + se.Scheme + " URL: " + se.What + ">"
	}
	return u.Redacted()
}
