package msgpackcoder

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRegistersMsgpack checks that importing the package registers Coder
// as "msgpack" in coders.Default, where ring.Coder and coder URLs find it.
func TestRegistersMsgpack(t *testing.T) {
	c, err := coders.Lookup("msgpack")
	require.NoError(t, err)
	require.Equal(t, Coder{}, c)
	c, err = coders.Open("msgpack://")
	require.NoError(t, err)
	require.Equal(t, Coder{}, c)
	require.Contains(t, coders.Default.Names(), "msgpack")
}

func TestMsgpack(t *testing.T) {
	c := Coder{}
	require.Equal(t, "msgpack", c.Name())
	_, err := c.Encode(make(chan int))
	require.ErrorContains(t, err, "ring: coder msgpack: encode chan int")

	rec := codertest.MakeRecord(5)
	b, err := c.Encode(rec)
	require.NoError(t, err)
	var got codertest.Record
	require.NoError(t, c.Decode(b, &got))
	codertest.RequireEqual(t, rec, got)
	// time.Time comes back as the same instant in the local zone.
	require.True(t, got.Created.Equal(rec.Created))
	require.Equal(t, time.Local, got.Created.Location())

	require.ErrorContains(t, c.Decode(nil, &got), "ring: coder msgpack: decode into *codertest.Record: empty data")
	require.ErrorContains(t, c.Decode(b[:len(b)-1], &got), "truncated data")
	require.ErrorContains(t, c.Decode(append(bytes.Clone(b), 0xc0), &got), "1 bytes of trailing data")
	require.Error(t, c.Decode(b, nil))
	require.Error(t, c.Decode(b, got))
	var wrong []int
	require.Error(t, c.Decode(b, &wrong))
}

// TestMsgpackHostile covers inputs that would make msgpack/v5.4.1 allocate
// from a length header alone or recurse without bound.
func TestMsgpackHostile(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"array32 of 4G elements", []byte{0xdd, 0xff, 0xff, 0xff, 0xff}, "claims 4294967295 items, only 0 bytes left"},
		{"array16 claims more than it has", []byte{0xdc, 0x01, 0x00, 0x01, 0x02}, "claims 256 items, only 2 bytes left"},
		{"map32 of 4G entries", []byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0}, "claims 8589934590 items, only 1 bytes left"},
		{"str32 of 4 GiB", []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, "truncated data: code 0xdb at offset 0 needs 4294967300 bytes, 6 left"},
		{"bin32 of 4 GiB", []byte{0xc6, 0xff, 0xff, 0xff, 0xff}, "needs 4294967300 bytes"},
		{"ext32 of 4 GiB", []byte{0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}, "needs 4294967301 bytes"},
		{"truncated length", []byte{0xdd, 0xff}, "needs a 4-byte length"},
		{"deep nesting", bytes.Repeat([]byte{0x91}, MaxDepth+10), "nesting deeper than 10000"},
		{"invalid code", []byte{0xc1}, "invalid code 0xc1"},
		{"missing array element", []byte{0x92, 0x01}, "claims 2 items, only 1 bytes left"},
		{"missing map value", []byte{0x81, 0xa1, 'k'}, "truncated data: value expected at offset 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, target := range []any{new([]int64), new(any), new(map[string]any), new(codertest.Record), new([]codertest.Record), new(string)} {
				err := Coder{}.Decode(tc.data, target)
				require.ErrorContains(t, err, tc.want)
				require.ErrorContains(t, err, "ring: coder msgpack: decode into ")
			}
		})
	}
	// Nesting right at the limit is fine for the check.
	ok := append(bytes.Repeat([]byte{0x91}, MaxDepth-1), 0xc0)
	require.NoError(t, checkMsgpack(ok))
}

// TestMsgpackCheckAcceptsEncoderOutput checks that every form the encoder
// writes passes the pre-check.
func TestMsgpackCheckAcceptsEncoderOutput(t *testing.T) {
	long := strings.Repeat("x", 70000)
	values := []any{
		nil, true, false, 0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, math.MaxInt64, math.MinInt64, uint64(math.MaxUint64),
		float32(1.5), 2.5, "", "a", strings.Repeat("y", 31), strings.Repeat("y", 32), strings.Repeat("y", 300), long,
		[]byte{}, []byte("b"), bytes.Repeat([]byte{1}, 300), []byte(long),
		[]int{}, make([]int, 15), make([]int, 16), make([]int, 70000),
		map[string]int{}, map[string]int{"a": 1}, bigMap(20), bigMap(70000),
		time.Unix(1, 0), time.Unix(1<<33, 5), time.Date(2500, 1, 1, 0, 0, 0, 1, time.UTC), time.Time{},
		codertest.MakeRecord(1), []codertest.Record{codertest.MakeRecord(1), codertest.MakeRecord(2)}, map[string]any{"n": []any{map[string]any{"x": nil}}},
		[3]int8{1, 2, 3},
	}
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, checkMsgpack(b), "%T", v)
	}
}

func bigMap(n int) map[string]int {
	m := make(map[string]int, n)
	for i := range n {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune(i))] = i
	}
	return m
}
