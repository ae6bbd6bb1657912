package coders_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/msgpackcoder"
	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
)

func TestRoundTripStructured(t *testing.T) {
	bigRandom := codertest.RandomBytes(1<<20, 1)
	bigText := codertest.CompressibleText(1 << 20)
	records := make([]codertest.Record, 50)
	for i := range records {
		records[i] = codertest.MakeRecord(i)
	}
	for _, u := range structuredURLs {
		t.Run(u, func(t *testing.T) {
			c := mustOpen(t, u)
			isGob := strings.HasPrefix(c.Name(), "gob")

			rec := codertest.MakeRecord(7)
			codertest.RequireEqual(t, rec, roundTrip(t, c, rec))
			codertest.RequireEqual(t, records, roundTrip(t, c, records))
			codertest.RequireEqual(t, &rec, roundTrip(t, c, &rec))
			codertest.RequireEqual(t, map[string]int{"a": 1, "b": -2}, roundTrip(t, c, map[string]int{"a": 1, "b": -2}))
			codertest.RequireEqual(t, map[string]codertest.Record{"x": rec}, roundTrip(t, c, map[string]codertest.Record{"x": rec}))
			codertest.RequireEqual(t, []string{"x", "", "z"}, roundTrip(t, c, []string{"x", "", "z"}))
			codertest.RequireEqual(t, []int64{0, -1, 1 << 62}, roundTrip(t, c, []int64{0, -1, 1 << 62}))
			require.Equal(t, 3.25, roundTrip(t, c, 3.25))
			require.Equal(t, true, roundTrip(t, c, true))

			// Empty values.
			codertest.RequireEqual(t, codertest.Record{}, roundTrip(t, c, codertest.Record{}))
			codertest.RequireEqual(t, map[string]int{}, roundTrip(t, c, map[string]int{}))
			codertest.RequireEqual(t, []string{}, roundTrip(t, c, []string{}))
			require.Equal(t, "", roundTrip(t, c, ""))
			require.Equal(t, 0, roundTrip(t, c, 0))

			// 1 MiB values, random and compressible.
			require.Equal(t, bigRandom, roundTrip(t, c, bigRandom))
			require.Equal(t, bigText, roundTrip(t, c, bigText))

			// nil: json and msgpack store it; gob cannot.
			b, err := c.Encode(nil)
			if isGob {
				require.ErrorContains(t, err, "ring: coder gob: encode <nil>")
				return
			}
			require.NoError(t, err)
			var a any = "not nil" // replaced, even by msgpack
			require.NoError(t, c.Decode(b, &a))
			require.Nil(t, a)
			// Targets are fresh zero values, as a ring decodes into.
			var s []string
			require.NoError(t, c.Decode(b, &s))
			require.Nil(t, s)
			var p *codertest.Record
			require.NoError(t, c.Decode(b, &p))
			require.Nil(t, p)
			var m map[string]int
			require.NoError(t, c.Decode(b, &m))
			require.Nil(t, m)
		})
	}
}

func TestRoundTripRaw(t *testing.T) {
	bigRandom := codertest.RandomBytes(1<<20, 2)
	bigText := codertest.CompressibleText(1 << 20)
	for _, u := range rawURLs {
		t.Run(u, func(t *testing.T) {
			c := mustOpen(t, u)
			for _, v := range [][]byte{bigRandom, []byte(bigText), []byte("short"), {}, {0, 1, 2, 0xff}} {
				require.Equal(t, v, roundTrip(t, c, v))
				require.Equal(t, string(v), roundTrip(t, c, string(v)))
			}
			require.Equal(t, blob(bigText), roundTrip(t, c, blob(bigText)))
			require.Equal(t, label(bigText), roundTrip(t, c, label(bigText)))
			require.Equal(t, label(""), roundTrip(t, c, label("")))

			// A nil []byte comes back empty: raw bytes cannot tell nil from
			// empty.
			b, err := c.Encode([]byte(nil))
			require.NoError(t, err)
			var got []byte
			require.NoError(t, c.Decode(b, &got))
			require.Empty(t, got)

			_, err = c.Encode(42)
			require.ErrorContains(t, err, "cannot encode int")
		})
	}
}

func TestRoundTripInterfaceValues(t *testing.T) {
	v := map[string]any{"n": 1, "s": "x", "l": []any{"a", 2.5}, "m": map[string]any{"b": true}}
	t.Run("json", func(t *testing.T) {
		var got any
		b, err := coders.JSON{}.Encode(v)
		require.NoError(t, err)
		require.NoError(t, coders.JSON{}.Decode(b, &got))
		// Numbers lose their Go type and become float64.
		require.Equal(t, map[string]any{"n": 1.0, "s": "x", "l": []any{"a", 2.5}, "m": map[string]any{"b": true}}, got)
	})
	t.Run("msgpack", func(t *testing.T) {
		var got map[string]any
		b, err := msgpackcoder.Coder{}.Encode(v)
		require.NoError(t, err)
		require.NoError(t, msgpackcoder.Coder{}.Decode(b, &got))
		// Integers come back as the smallest msgpack kind that held them.
		require.Equal(t, int8(1), got["n"])
		require.Equal(t, []any{"a", 2.5}, got["l"])
	})
	t.Run("gob", func(t *testing.T) {
		// Basic types inside interfaces are pre-registered by gob; the
		// nested map[string]any is not.
		_, err := coders.Gob{}.Encode(v)
		require.ErrorContains(t, err, "type not registered")
		w := map[string]any{"n": 1, "s": "x"}
		var got map[string]any
		b, err := coders.Gob{}.Encode(w)
		require.NoError(t, err)
		require.NoError(t, coders.Gob{}.Decode(b, &got))
		require.Equal(t, w, got) // gob keeps int as int
	})
}

// TestDecodeWrongTarget checks that decoding into a target of the wrong
// shape is an error for every structured coder.
func TestDecodeWrongTarget(t *testing.T) {
	for _, u := range structuredURLs {
		c := mustOpen(t, u)
		b, err := c.Encode(codertest.MakeRecord(3))
		require.NoError(t, err)
		var n []int
		require.Error(t, c.Decode(b, &n), u)
		require.Error(t, c.Decode(b, nil), u)
		require.Error(t, c.Decode(b, codertest.Record{}), u)
		require.True(t, reflect.TypeOf(c) != nil)
	}
}
