package coders

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// restoreLayers puts the layer table back as it was when the test ends.
func restoreLayers(t *testing.T) {
	saved := registeredLayers()
	t.Cleanup(func() {
		layerTable.mu.Lock()
		defer layerTable.mu.Unlock()
		layerTable.m = saved
	})
}

// fixed is a compressor for tests: it stores bytes as they are under the
// frame ID id (so a Layer never writes its frames: they are not shorter).
type fixed struct {
	name string
	id   byte
}

func (f fixed) Name() string                                    { return f.name }
func (f fixed) ID() byte                                        { return f.id }
func (fixed) Compress(dst, src []byte) ([]byte, error)          { return append(dst, src...), nil }
func (fixed) Decompress(dst, src []byte, _ int) ([]byte, error) { return append(dst, src...), nil }

func TestRegisterLayer(t *testing.T) {
	restoreLayers(t)
	open := func(level string) (Compressor, error) {
		if level != "" && level != "1" {
			return nil, fmt.Errorf("ringtest level must be 1, not %q", level)
		}
		return fixed{"ringtest", 200}, nil
	}
	require.ErrorContains(t, RegisterLayer("", open), "ring: coders: register layer: empty name")
	require.ErrorContains(t, RegisterLayer("x", nil), `ring: coders: register layer "x": nil opener`)
	for _, bad := range []string{"a+b", "a.b", "a:b", "a/b", "a?b", "a#b", "a b", "a=b", "a&b", "a;b", "é"} {
		require.ErrorContains(t, RegisterLayer(bad, open), fmt.Sprintf("ring: coders: register layer %q: byte", bad), bad)
	}
	require.ErrorContains(t, RegisterLayer("a.b", open), `byte 2 is '.'`)
	for _, good := range []string{"a", "Z9", "x-y_z"} {
		require.NoError(t, RegisterLayer(good, open), good)
	}

	require.NoError(t, RegisterLayer("ringtest", open))
	c, err := Open("json+ringtest://?level=1&min_size=0")
	require.NoError(t, err)
	require.Equal(t, "json+ringtest", c.Name())
	// The layer reads the frames of the registered compressor.
	var s string
	require.NoError(t, c.Decode([]byte{200, '"', 'v', '"'}, &s))
	require.Equal(t, "v", s)
	require.ErrorContains(t, c.Decode([]byte{201, '"', 'v', '"'}, &s), "unknown frame header 0xc9 (want 0x00 raw or 0xc8 ringtest)")
	_, err = Open("json+ringtest://?ringtest.level=2")
	require.ErrorContains(t, err, `ring: coder json+ringtest: parameter ringtest.level="2": ringtest level must be 1, not "2"`)

	// A second registration replaces the first.
	require.NoError(t, RegisterLayer("ringtest", func(string) (Compressor, error) { return fixed{"ringtest", 201}, nil }))
	c, err = Open("ringtest://")
	require.NoError(t, err)
	require.Equal(t, "bytes+ringtest", c.Name())
	require.NoError(t, c.Decode([]byte{201, 'w'}, &s))
	require.Equal(t, "w", s)
}

// TestLayerOpenerFaults checks that an opener that panics or returns no
// compressor makes Open return an error, not panic.
func TestLayerOpenerFaults(t *testing.T) {
	restoreLayers(t)
	require.NoError(t, RegisterLayer("ringtest-panics", func(string) (Compressor, error) { panic("opener bug") }))
	require.NoError(t, RegisterLayer("ringtest-nil", func(string) (Compressor, error) { return nil, nil }))
	c, err := Open("json+ringtest-panics://?level=1")
	require.Nil(t, c)
	require.EqualError(t, err, `ring: coder json+ringtest-panics: parameter level="1": the ringtest-panics layer's opener panicked: opener bug`)
	c, err = Open("json+ringtest-nil://")
	require.Nil(t, c)
	require.EqualError(t, err, `ring: coder json+ringtest-nil: ringtest-nil: the ringtest-nil layer's opener returned no compressor`)
}

// TestUnregisteredNamesNameThePackage checks the errors for the names that
// ring's opt-in packages register, when they are not registered: each names
// the package to import. The layers are taken away from one Open, whatever
// this test binary imports.
func TestUnregisteredNamesNameThePackage(t *testing.T) {
	const (
		msgpackHint     = `coder "msgpack" is not registered: import github.com/ringcache/ring/coders/msgpackcoder`
		zstdHint        = `compression layer "zstd" is not registered: import github.com/ringcache/ring/coders/compression`
		s2Hint          = `compression layer "s2" is not registered: import github.com/ringcache/ring/coders/compression`
		noLayersHint    = `layers: none registered; import github.com/ringcache/ring/coders/compression for gzip, s2 and zstd`
		builtinsOnlyErr = `ring: coder nope: unknown coder "nope" (registered: bytes, gob, json, string; ` + noLayersHint + `)`
	)
	var r Registry
	for _, c := range []Coder{JSON{}, Gob{}, Bytes{}, String{}} {
		require.NoError(t, r.Register(c.Name(), c))
	}
	cases := []struct {
		url  string
		want []string
	}{
		{"msgpack", []string{"ring: coder msgpack: " + msgpackHint}},
		{"msgpack+s2://", []string{"ring: coder msgpack+s2: " + msgpackHint, "ring: coder msgpack+s2: " + s2Hint}},
		{"json+zstd://?level=3", []string{"ring: coder json+zstd: " + zstdHint}},
		{"zstd://", []string{"ring: coder zstd: " + zstdHint}},
		{"json+zstd://?zstd.level=3", []string{"ring: coder json+zstd: " + zstdHint, `ring: coder json+zstd: parameter zstd.level="3": ` + zstdHint}},
		{"json+msgpack://", []string{`"msgpack" is a coder, not a compression layer`}},
		{"json+lz4://", []string{`unknown compression layer "lz4" (` + noLayersHint + `)`}},
		{"nope", []string{builtinsOnlyErr}},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			c, err := r.open(tc.url, layerSet{})
			require.Nil(t, c)
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.Len(t, strings.Split(err.Error(), "\n"), len(tc.want), "one line per problem: %v", err)
		})
	}

	// Lookup, which ring.Coder("msgpack") calls, names the package too.
	_, err := r.Lookup("msgpack")
	require.EqualError(t, err, `ring: coder "msgpack" is not registered in this registry (known: [bytes gob json string]; package github.com/ringcache/ring/coders/msgpackcoder provides it)`)
	_, err = r.Lookup("nope")
	require.EqualError(t, err, `ring: unknown coder "nope" (known: [bytes gob json string])`)

	// In Default, where importing the package registers it.
	Default.mu.Lock()
	saved, had := Default.coders["msgpack"]
	delete(Default.coders, "msgpack")
	Default.mu.Unlock()
	t.Cleanup(func() {
		if had {
			require.NoError(t, Default.Register("msgpack", saved))
		}
	})
	_, err = Lookup("msgpack")
	require.EqualError(t, err, "ring: "+msgpackHint)
}
