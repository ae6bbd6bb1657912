// Package coders turns values into bytes and back for backends that store
// bytes (Redis, Memcached, disk), with a registry by name so that a ring can
// say Coder("json").
//
// A Coder must be safe for concurrent use. Decode of bytes that the coder did
// not produce returns an error; it never panics.
//
// The Default registry holds json, gob, bytes and string, which use only the
// standard library. [Compress] wraps a coder in a compression [Layer], and
// [Open] builds a chain from a URL such as "json+zstd://?level=3".
//
// # Opt-in coders and layers
//
// MessagePack and the compression algorithms use third-party modules, so
// they live in packages of their own that a program links only when it
// imports them. Importing one registers its names:
//
//   - github.com/ringcache/ring/coders/msgpackcoder registers the coder
//     "msgpack" in [Default].
//   - github.com/ringcache/ring/coders/compression registers the layers
//     "zstd", "s2" and "gzip" with [RegisterLayer].
//
// A blank import is enough for names in URLs and ring.Coder:
//
//	import _ "github.com/ringcache/ring/coders/compression"
//
// Without the import, such a name is an error that says which package to
// import. See docs/coders.md for what each coder can represent, the URL
// grammar, the frame format of compressed values and measured numbers.
package coders

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Coder encodes values to bytes and decodes them back into a target.
type Coder interface {
	// Name is the coder's registry name, for example "json" or "json+zstd".
	Name() string
	// Encode returns the encoded form of v.
	Encode(v any) ([]byte, error)
	// Decode decodes data into target, which must be a non-nil pointer.
	Decode(data []byte, target any) error
}

// Registry maps names to coders. The zero value is empty and ready to use;
// a Registry is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	coders map[string]Coder
	// builtin makes the registry hold json, gob, bytes and string without
	// storing them (Default): a program links encoding/gob and
	// encoding/json only when it looks a coder up by name.
	builtin bool
}

// Register adds c under name, replacing any coder of that name. An empty
// name or a nil coder is an error.
func (r *Registry) Register(name string, c Coder) error {
	if name == "" {
		return errors.New("ring: coders: register: empty name")
	}
	if c == nil {
		return fmt.Errorf("ring: coders: register %q: nil coder", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.coders == nil {
		r.coders = make(map[string]Coder)
	}
	r.coders[name] = c
	return nil
}

// Lookup returns the coder registered under name, or an error that names the
// unknown name and lists the known ones. For "msgpack", which package
// msgpackcoder provides and registers in [Default] when imported, the error
// names that package.
func (r *Registry) Lookup(name string) (Coder, error) {
	r.mu.RLock()
	c, ok := r.coders[name]
	r.mu.RUnlock()
	if ok {
		return c, nil
	}
	if c := r.builtinCoder(name); c != nil {
		return c, nil
	}
	if pkg, ok := coderPackages[name]; ok {
		if r == Default {
			return nil, fmt.Errorf("ring: coder %q is not registered: import %s", name, pkg)
		}
		return nil, fmt.Errorf("ring: coder %q is not registered in this registry (known: %v; package %s provides it)", name, r.Names(), pkg)
	}
	return nil, fmt.Errorf("ring: unknown coder %q (known: %v)", name, r.Names())
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.coders)+len(builtinNames))
	for n := range r.coders {
		names = append(names, n)
	}
	if r.builtin {
		for _, n := range builtinNames {
			if _, ok := r.coders[n]; !ok {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// builtinNames are the coders Default holds from the start.
var builtinNames = []string{"json", "gob", "bytes", "string"}

// builtinCoder returns the built-in coder name names in a registry that
// has them, or nil.
func (r *Registry) builtinCoder(name string) Coder {
	if !r.builtin {
		return nil
	}
	switch name {
	case "json":
		return JSON{}
	case "gob":
		return Gob{}
	case "bytes":
		return Bytes{}
	case "string":
		return String{}
	}
	return nil
}

// Default is the registry that Lookup, Register and Open use. It holds json,
// gob, bytes and string from the start, and msgpack once package
// github.com/ringcache/ring/coders/msgpackcoder is imported.
var Default = &Registry{builtin: true}

// Register adds c to the Default registry under name.
func Register(name string, c Coder) error { return Default.Register(name, c) }

// Lookup returns the coder registered under name in the Default registry.
func Lookup(name string) (Coder, error) { return Default.Lookup(name) }

// Funcs adapts a pair of functions to a Coder, for per-ring overrides. The
// functions must be safe for concurrent use. A nil function makes the
// corresponding method return an error.
type Funcs struct {
	CoderName string
	EncodeFn  func(v any) ([]byte, error)
	DecodeFn  func(data []byte, target any) error
}

// Name returns f.CoderName.
func (f Funcs) Name() string { return f.CoderName }

// Encode calls f.EncodeFn.
func (f Funcs) Encode(v any) ([]byte, error) {
	if f.EncodeFn == nil {
		return nil, fmt.Errorf("ring: coder %s: encode %T: no EncodeFn", f.CoderName, v)
	}
	return f.EncodeFn(v)
}

// Decode calls f.DecodeFn.
func (f Funcs) Decode(data []byte, target any) error {
	if f.DecodeFn == nil {
		return fmt.Errorf("ring: coder %s: decode into %T: no DecodeFn", f.CoderName, target)
	}
	return f.DecodeFn(data, target)
}

// JSON encodes with encoding/json.
type JSON struct{}

// Name returns "json".
func (JSON) Name() string { return "json" }

// Encode marshals v as JSON.
func (JSON) Encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ring: coder json: encode %T: %w", v, err)
	}
	return b, nil
}

// Decode unmarshals JSON data into target.
func (JSON) Decode(data []byte, target any) error {
	if err := json.Unmarshal(data, target); err != nil {
		return fmt.Errorf("ring: coder json: decode into %T: %w", target, err)
	}
	return nil
}

// Gob encodes with encoding/gob. Each value is a self-contained gob stream.
type Gob struct{}

// Name returns "gob".
func (Gob) Name() string { return "gob" }

// Encode encodes v as a gob stream.
func (Gob) Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("ring: coder gob: encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// Decode decodes a gob stream into target.
func (Gob) Decode(data []byte, target any) (err error) {
	// encoding/gob is documented not to panic on corrupt input, but older
	// releases did; keep a corrupt entry a decode error whatever happens.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ring: coder gob: decode into %T: corrupt data: %v", target, r)
		}
	}()
	if target == nil {
		// gob would silently discard the value.
		return errors.New("ring: coder gob: decode into <nil>: target must be a non-nil pointer")
	}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(target); err != nil {
		return fmt.Errorf("ring: coder gob: decode into %T: %w", target, err)
	}
	return nil
}

// Bytes stores []byte values as they are.
type Bytes struct{}

// Name returns "bytes".
func (Bytes) Name() string { return "bytes" }

// Encode returns v, which must be a []byte or a string, or a named type of
// either (such as `type Blob []byte`). A []byte is returned as it is, not
// copied.
func (Bytes) Encode(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	}
	if b, ok := rawBytes(v); ok {
		return b, nil
	}
	return nil, fmt.Errorf("ring: coder bytes: cannot encode %T (want []byte or string)", v)
}

// Decode stores a copy of data into target, which must be a *[]byte or a
// *string (or a pointer to a named type of either). A *any receives a []byte.
func (Bytes) Decode(data []byte, target any) error {
	return decodeRaw("bytes", data, target)
}

// String stores string values as their bytes.
type String struct{}

// Name returns "string".
func (String) Name() string { return "string" }

// Encode returns the bytes of v, which must be a string or a []byte, or a
// named type of either (such as `type Name string`).
func (String) Encode(v any) ([]byte, error) {
	switch s := v.(type) {
	case string:
		return []byte(s), nil
	case []byte:
		return s, nil
	}
	if b, ok := rawBytes(v); ok {
		return b, nil
	}
	return nil, fmt.Errorf("ring: coder string: cannot encode %T (want string or []byte)", v)
}

// rawBytes returns the bytes of a value whose kind is string or []byte.
func rawBytes(v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.String:
		return []byte(rv.String()), true
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8:
		return rv.Bytes(), true
	}
	return nil, false
}

// Decode stores data into target, which must be a *string or a *[]byte (or a
// pointer to a named type of either). A *any receives a string.
func (String) Decode(data []byte, target any) error {
	if t, ok := target.(*any); ok && t != nil {
		*t = string(data)
		return nil
	}
	return decodeRaw("string", data, target)
}

// decodeRaw copies data into a *[]byte or *string target; a *any receives
// a []byte.
func decodeRaw(name string, data []byte, target any) error {
	switch t := target.(type) {
	case *[]byte:
		if t != nil {
			*t = append([]byte{}, data...)
			return nil
		}
	case *string:
		if t != nil {
			*t = string(data)
			return nil
		}
	case *any:
		if t != nil {
			*t = append([]byte{}, data...)
			return nil
		}
	}
	// Named types such as `type Blob []byte` or `type Name string`.
	rv := reflect.ValueOf(target)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		e := rv.Elem()
		switch {
		case e.Kind() == reflect.String:
			e.SetString(string(data))
			return nil
		case e.Kind() == reflect.Slice && e.Type().Elem().Kind() == reflect.Uint8:
			e.SetBytes(append([]byte{}, data...))
			return nil
		}
	}
	return fmt.Errorf("ring: coder %s: cannot decode into %T (want *[]byte or *string)", name, target)
}
