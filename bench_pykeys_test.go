package ring_test

import (
	"context"
	"testing"

	"github.com/ringcache/ring"
)

// BenchmarkPythonKeys compares the key a ring builds with PythonKeys to
// ring's default (escaped) key, through Key, for the same arguments:
//
//	go test -run XXX -bench BenchmarkPythonKeys -benchmem .
func BenchmarkPythonKeys(b *testing.B) {
	styles := []struct {
		name string
		opts []ring.Option
	}{
		{"default", []ring.Option{ring.KeyPrefix("app.users.get"), ring.Dict()}},
		{"python", []ring.Option{ring.PythonKeys(), ring.KeyPrefix("app.users.get"), ring.Dict()}},
	}
	for _, st := range styles {
		b.Run("string-int/"+st.name, func(b *testing.B) {
			r := ring.Must(ring.Func2(func(context.Context, string, int) (int, error) { return 0, nil }, st.opts...))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Key("ada:lovelace", 1815)
			}
		})
		b.Run("slice/"+st.name, func(b *testing.B) {
			r := ring.Must(ring.Func1(func(context.Context, []string) (int, error) { return 0, nil }, st.opts...))
			arg := []string{"a", "b c", "it's"}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Key(arg)
			}
		})
		b.Run("map/"+st.name, func(b *testing.B) {
			r := ring.Must(ring.Func1(func(context.Context, map[string]int) (int, error) { return 0, nil }, st.opts...))
			arg := map[string]int{"b": 2, "a": 1, "c": 3}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Key(arg)
			}
		})
		b.Run("method/"+st.name, func(b *testing.B) {
			r := ring.Must(ring.Method1((*pyUser).posts, st.opts...))
			u := &pyUser{"42"}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Bind(u).Key(5)
			}
		})
	}
}
