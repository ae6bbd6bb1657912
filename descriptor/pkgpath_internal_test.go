package descriptor

import "testing"

func TestPkgPathOf(t *testing.T) {
	for name, want := range map[string]string{
		"main.fetchPrice":                "main",
		"main.User.Load":                 "main",
		"main.main.func1":                "main",
		"main.Box[net/url.URL].Get":      "main",
		"main.com/x.F":                   "main.com/x",
		"example.com/app.User.Load":      "example.com/app",
		"example.com/app.Box[a/b.C].Get": "example.com/app",
		"github.com/acme/main.F":         "github.com/acme/main",
		"example.com/main.go/pkg.F":      "example.com/main.go/pkg",
		"example.com/v2.Load[...]":       "example.com/v2",
		"noqualifier":                    "",
	} {
		if got := pkgPathOf(name); got != want {
			t.Errorf("pkgPathOf(%q) = %q, want %q", name, got, want)
		}
	}
}
