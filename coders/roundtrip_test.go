package coders

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// roundTrip encodes v with c, decodes into a new value of v's type and
// returns it.
func roundTrip[T any](t *testing.T, c Coder, v T) T {
	t.Helper()
	b, err := c.Encode(v)
	require.NoError(t, err, "%s: encode %T", c.Name(), v)
	var got T
	require.NoError(t, c.Decode(b, &got), "%s: decode %T", c.Name(), v)
	return got
}

// equal compares semantically: times with Equal, nil and empty alike (gob
// does not transmit empty slices and maps).
func requireEqual(t *testing.T, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestRoundTripStructured(t *testing.T) {
	bigRandom := randomBytes(1<<20, 1)
	bigText := compressibleText(1 << 20)
	records := make([]record, 50)
	for i := range records {
		records[i] = makeRecord(i)
	}
	for _, u := range structuredURLs {
		t.Run(u, func(t *testing.T) {
			c := mustOpen(t, u)
			isGob := strings.HasPrefix(c.Name(), "gob")

			rec := makeRecord(7)
			requireEqual(t, rec, roundTrip(t, c, rec))
			requireEqual(t, records, roundTrip(t, c, records))
			requireEqual(t, &rec, roundTrip(t, c, &rec))
			requireEqual(t, map[string]int{"a": 1, "b": -2}, roundTrip(t, c, map[string]int{"a": 1, "b": -2}))
			requireEqual(t, map[string]record{"x": rec}, roundTrip(t, c, map[string]record{"x": rec}))
			requireEqual(t, []string{"x", "", "z"}, roundTrip(t, c, []string{"x", "", "z"}))
			requireEqual(t, []int64{0, -1, 1 << 62}, roundTrip(t, c, []int64{0, -1, 1 << 62}))
			require.Equal(t, 3.25, roundTrip(t, c, 3.25))
			require.Equal(t, true, roundTrip(t, c, true))

			// Empty values.
			requireEqual(t, record{}, roundTrip(t, c, record{}))
			requireEqual(t, map[string]int{}, roundTrip(t, c, map[string]int{}))
			requireEqual(t, []string{}, roundTrip(t, c, []string{}))
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
			var p *record
			require.NoError(t, c.Decode(b, &p))
			require.Nil(t, p)
			var m map[string]int
			require.NoError(t, c.Decode(b, &m))
			require.Nil(t, m)
		})
	}
}

func TestRoundTripRaw(t *testing.T) {
	bigRandom := randomBytes(1<<20, 2)
	bigText := compressibleText(1 << 20)
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
		b, err := JSON{}.Encode(v)
		require.NoError(t, err)
		require.NoError(t, JSON{}.Decode(b, &got))
		// Numbers lose their Go type and become float64.
		require.Equal(t, map[string]any{"n": 1.0, "s": "x", "l": []any{"a", 2.5}, "m": map[string]any{"b": true}}, got)
	})
	t.Run("msgpack", func(t *testing.T) {
		var got map[string]any
		b, err := Msgpack{}.Encode(v)
		require.NoError(t, err)
		require.NoError(t, Msgpack{}.Decode(b, &got))
		// Integers come back as the smallest msgpack kind that held them.
		require.Equal(t, int8(1), got["n"])
		require.Equal(t, []any{"a", 2.5}, got["l"])
	})
	t.Run("gob", func(t *testing.T) {
		// Basic types inside interfaces are pre-registered by gob; the
		// nested map[string]any is not.
		_, err := Gob{}.Encode(v)
		require.ErrorContains(t, err, "type not registered")
		w := map[string]any{"n": 1, "s": "x"}
		var got map[string]any
		b, err := Gob{}.Encode(w)
		require.NoError(t, err)
		require.NoError(t, Gob{}.Decode(b, &got))
		require.Equal(t, w, got) // gob keeps int as int
	})
}

// TestDecodeWrongTarget checks that decoding into a target of the wrong
// shape is an error for every structured coder.
func TestDecodeWrongTarget(t *testing.T) {
	for _, u := range structuredURLs {
		c := mustOpen(t, u)
		b, err := c.Encode(makeRecord(3))
		require.NoError(t, err)
		var n []int
		require.Error(t, c.Decode(b, &n), u)
		require.Error(t, c.Decode(b, nil), u)
		require.Error(t, c.Decode(b, record{}), u)
		require.True(t, reflect.TypeOf(c) != nil)
	}
}
