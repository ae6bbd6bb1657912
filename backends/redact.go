package backends

import (
	"errors"
	"net/url"
	"strings"
)

// Redacted is what RedactURL writes in place of a credential.
const Redacted = "xxxxx"

// RedactURL returns rawURL as [Open]'s errors and ring.Open's String show
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
	u, err := parseStorageURL(rawURL)
	if err != nil {
		var se *urlSyntaxError
		if !errors.As(err, &se) {
			return "<malformed URL>"
		}
		if se.scheme == "" {
			return "<malformed URL: " + se.what + ">"
		}
		return "<malformed " + se.scheme + " URL: " + se.what + ">"
	}
	return u.redacted()
}

// secretParam reports whether a query parameter's name says that its value
// is a credential.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"pass", "pwd", "secret", "token", "auth", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "key")
}

// redacted returns the URL as given, with its credentials replaced by
// "xxxxx" (see RedactURL).
func (u *storageURL) redacted() string {
	var b strings.Builder
	b.WriteString(u.scheme)
	b.WriteByte(':')
	if u.hasAuthority {
		b.WriteString("//")
		if u.hasUser {
			// The whole user info: what precedes a ':' may be a piece
			// of a password too ("redis://pa:ss@h" meant as a password).
			b.WriteString(Redacted)
			b.WriteByte('@')
		}
		b.WriteString(strings.Join(u.hosts, ","))
	}
	b.WriteString(u.rawPath)
	if u.rawQuery != "" || len(u.query) > 0 {
		b.WriteByte('?')
		afterSecret := false
		for i, pair := range strings.Split(u.rawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			if afterSecret {
				// May be a piece of the credential's value that held an
				// unescaped '&'.
				b.WriteString(Redacted)
				continue
			}
			rawName, _, hasValue := strings.Cut(pair, "=")
			name, err := url.QueryUnescape(rawName)
			if err == nil && !secretParam(name) {
				b.WriteString(pair)
				continue
			}
			afterSecret = true
			b.WriteString(rawName)
			if hasValue {
				b.WriteByte('=')
				b.WriteString(Redacted)
			}
		}
	}
	return b.String()
}

// plainName reports whether a parameter name may be quoted in an error:
// only letters, digits, '_', '.' and '-'. Anything else may be a piece of a
// value that held an unescaped '&'.
func plainName(name string) bool {
	return name != "" && len(name) <= 64 && !strings.ContainsFunc(name, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.' || r == '-')
	})
}
