package coders

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// The import paths of ring's opt-in packages, by the names they register.
// Strings only: importing them here would link what they exist to keep out.
const (
	msgpackPackage     = "github.com/ringcache/ring/coders/msgpackcoder"
	compressionPackage = "github.com/ringcache/ring/coders/compression"
)

// coderPackages maps coder names that an opt-in package registers in
// [Default] to its import path, so that an unregistered one is an error that
// says what to import.
var coderPackages = map[string]string{
	"msgpack": msgpackPackage,
	"pyjson":  "github.com/ringcache/ring/coders/pyjson",
}

// layerPackages maps compression layer names that an opt-in package
// registers with [RegisterLayer] to its import path.
var layerPackages = map[string]string{
	"zstd": compressionPackage,
	"s2":   compressionPackage,
	"gzip": compressionPackage,
}

// layerTable holds the compression layers that Open knows: name -> the function
// that builds the layer's compressor from the level parameter.
var layerTable struct {
	mu sync.RWMutex
	m  layerSet
}

// RegisterLayer makes the compression layer name available in coder URLs
// ("json+name://?level=..."), for [Open], [Registry.Open] and ring.Coder,
// replacing any layer of that name. Package
// github.com/ringcache/ring/coders/compression registers "zstd", "s2" and
// "gzip" when imported.
//
// open builds the layer's compressor from the level parameter of the URL:
// "" when the URL gives none, else the value as written (for example "3" or
// "best"). Its error says which levels it takes; Open prefixes it with the
// coder and the parameter. It may return the same Compressor for equal
// levels, since Compressors are safe for concurrent use. The Compressor's
// Name should be name: a layer is named after its compressor ("json+zstd").
// A panic in open, or a nil Compressor with a nil error, is an error from
// Open.
//
// A name must be one or more ASCII letters, digits, '-' or '_' (so that it
// can sit in a URL scheme and prefix a parameter, as in zstd.level); an
// invalid name or a nil open is an error. RegisterLayer
// is safe for concurrent use; call it at start-up, before the URLs that use
// the layer are opened.
func RegisterLayer(name string, open func(level string) (Compressor, error)) error {
	if err := checkLayerName(name); err != nil {
		return err
	}
	if open == nil {
		return fmt.Errorf("ring: coders: register layer %q: nil opener", name)
	}
	layerTable.mu.Lock()
	defer layerTable.mu.Unlock()
	if layerTable.m == nil {
		layerTable.m = make(layerSet)
	}
	layerTable.m[name] = open
	return nil
}

func checkLayerName(name string) error {
	if name == "" {
		return errors.New("ring: coders: register layer: empty name")
	}
	for i, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("ring: coders: register layer %q: byte %d is %q (want ASCII letters, digits, '-' or '_')", name, i+1, c)
		}
	}
	return nil
}

// registeredLayers returns a copy of the layer table, so that one Open sees
// one consistent set of layers without holding the lock.
func registeredLayers() layerSet {
	layerTable.mu.RLock()
	defer layerTable.mu.RUnlock()
	return maps.Clone(layerTable.m)
}

// layerSet maps layer names to the functions that open their compressors.
type layerSet map[string]func(level string) (Compressor, error)

// names returns the registered layer names, sorted, for error messages.
func (s layerSet) names() string {
	if len(s) == 0 {
		return "none registered; import " + compressionPackage + " for gzip, s2 and zstd"
	}
	return strings.Join(slices.Sorted(maps.Keys(s)), ", ")
}

// open calls the opener of layer name, turning a panic or a missing
// compressor into an error: the opener may be a third party's.
func (s layerSet) open(name, level string) (c Compressor, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("the %s layer's opener panicked: %v", name, r)
		}
	}()
	c, err = s[name](level)
	if err == nil && c == nil {
		err = fmt.Errorf("the %s layer's opener returned no compressor", name)
	}
	return c, err
}

// unknown describes a name that is not a registered layer: one an opt-in
// package would register, or an unknown one.
func (s layerSet) unknown(name string) string {
	if pkg, ok := layerPackages[name]; ok {
		return fmt.Sprintf("compression layer %q is not registered: import %s", name, pkg)
	}
	return fmt.Sprintf("unknown compression layer %q (layers: %s)", name, s.names())
}
