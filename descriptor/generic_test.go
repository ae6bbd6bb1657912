package descriptor_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/descriptor"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

type Team struct{ ID int }

// Load is a generic function: the runtime names every instantiation
// "descriptor_test.Load[...]".
func Load[T any](ctx context.Context, id int) (T, error) {
	var t T
	return t, nil
}

// Kind is a generic function whose type parameter appears in no parameter
// or result: its instantiations have the same signature too.
func Kind[T any](ctx context.Context, id int) (string, error) {
	return fmt.Sprintf("%T", *new(T)), nil
}

func (b *Box[T]) Load(ctx context.Context, id int) (T, error) { return b.V, nil }

// Getter is a generic interface: its method expressions are keyed like
// those of a generic type.
type Getter[T any] interface {
	Get(ctx context.Context) (T, error)
}

// literal returns a function literal made inside a generic function.
func literal[T any]() func(ctx context.Context, id int) (T, error) {
	return func(ctx context.Context, id int) (T, error) {
		var t T
		return t, nil
	}
}

// nameCases are functions whose default key prefix (Shape.Name) is pinned
// in testdata/golden/names.golden: the non-generic ones must never change
// (stored keys and other languages depend on them), and every
// instantiation of a generic one must differ or be flagged.
func nameCases() []struct {
	name string
	fn   any
} {
	type local struct{ N int }
	return []struct {
		name string
		fn   any
	}{
		{"static", static},
		{"method", (*User).Load},
		{"property", (*User).Name},
		{"value receiver", (*User).Plain},
		{"unexported method", (*keyless).load},
		{"interface method", Shaper.Sides},
		{"closure", func(ctx context.Context, id int) (int, error) { return id, nil }},
		{"generic receiver int", (*Box[int]).Load},
		{"generic receiver string", (*Box[string]).Load},
		{"generic receiver pointer arg", (*Box[*User]).Load},
		{"generic receiver other package", (*Box[url.URL]).Load},
		{"generic receiver nested", (*Box[map[string][]Box[Team]]).Load},
		{"generic receiver unnamed struct", (*Box[struct{ n int }]).Load},
		{"generic receiver local type", (*Box[local]).Load},
		{"generic interface", Getter[Team].Get},
		{"generic function User", Load[User]},
		{"generic function Team", Load[Team]},
		{"generic function hidden parameter", Kind[User]},
		{"literal in generic function", literal[User]()},
	}
}

func TestGoldenNames(t *testing.T) {
	var out bytes.Buffer
	for _, tc := range nameCases() {
		s, err := descriptor.DescribeWith(tc.fn, descriptor.Auto, descriptor.Options{CustomKey: true})
		require.NoError(t, err, tc.name)
		fmt.Fprintf(&out, "%s\t%s\tgeneric=%v closure=%v localtype=%v\n", tc.name, s.Name, s.Generic, s.Closure, s.LocalType)
	}
	path := filepath.Join("testdata", "golden", "names.golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./descriptor -run TestGoldenNames -update to create it")
	require.Equal(t, string(want), out.String(), "default key prefixes changed: rerun with -update only if that is intended (stored keys depend on them)")
}

// TestInstantiationsDiffer: two instantiations of a method of a generic
// type get different names; two instantiations of a generic function get
// the same name, and are flagged Generic so that a ring over them refuses a
// shared storage without KeyPrefix.
func TestInstantiationsDiffer(t *testing.T) {
	describe := func(fn any) *descriptor.Shape {
		t.Helper()
		s, err := descriptor.Describe(fn, descriptor.Auto)
		require.NoError(t, err)
		return s
	}
	a, b := describe((*Box[int]).Load), describe((*Box[string]).Load)
	require.NotEqual(t, a.Name, b.Name)
	require.False(t, a.Generic || b.Generic)
	require.Equal(t, "github.com/ringcache/ring/descriptor_test.Box[int].Load", a.Name)
	require.Equal(t, "github.com/ringcache/ring/descriptor_test.(*Box[...]).Load", a.RawName, "the runtime hides the type arguments")

	u, v := describe(Load[User]), describe(Load[Team])
	require.Equal(t, u.Name, v.Name, "the runtime cannot tell them apart")
	require.True(t, u.Generic && v.Generic)
	require.True(t, describe(Kind[User]).Generic)
	l := describe(literal[User]())
	require.True(t, l.Generic && l.Closure)

	require.False(t, describe(static).Generic)
	require.False(t, describe((*User).Load).Generic)
}
