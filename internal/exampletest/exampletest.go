// Package exampletest checks the output of the example programs against
// their golden text. It is for the examples' tests only.
package exampletest

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// Check runs run twice (the output must not depend on state left by an
// earlier run) and compares what it writes with want, byte for byte.
//
// A function of package main is named "main.f" in the command built by go
// run, but in the test binary its package is compiled under its import
// path, so default key prefixes and names in errors differ there: every
// "importPath." in the output is mapped back to "main.".
func Check(t *testing.T, importPath, want string, run func(w io.Writer) error) {
	t.Helper()
	for i := range 2 {
		var b strings.Builder
		if err := run(&b); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		got := strings.ReplaceAll(b.String(), importPath+".", "main.")
		if got != want {
			t.Fatalf("run %d: the output differs from the golden text\n%s", i+1, FirstDiff(got, want))
		}
	}
}

// FirstDiff shows the first line where got and want differ, then all of
// got.
func FirstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q\n\nthe whole output:\n%s", i+1, gl, wl, got)
		}
	}
	return "(no line differs)"
}
