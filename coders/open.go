package coders

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ringcache/ring/internal/bytesize"
)

// Open returns the coder that rawURL describes, resolving the base coder in
// the [Default] registry. See [Registry.Open] for the grammar.
func Open(rawURL string) (Coder, error) { return Default.Open(rawURL) }

// Open returns the coder that rawURL describes, resolving the base coder in
// r and the layers among those registered with [RegisterLayer]. Coders
// opened with the same algorithm and level share one compressor (and so its
// zstd encoder states and gzip pools). Parsing costs a few microseconds:
// open once per ring, not per value.
//
// The URL is a chain of names joined by "+", an optional "://" and an
// optional query:
//
//	json://
//	msgpack+s2://
//	json+zstd://?level=3&min_size=128&max_size=16MiB
//	gob+gzip://?level=9
//	json+zstd+s2://?zstd.level=best&s2.level=better
//	zstd://                     (bytes+zstd: compress []byte values)
//
// The first name is a coder registered in r (json, gob, bytes, string,
// msgpack once package msgpackcoder is imported, or one of your own); if it
// is not registered but is a compression layer, the base is bytes. Every
// further name is a compression layer, applied left to right on Encode and
// right to left on Decode: zstd, s2 and gzip once package
// github.com/ringcache/ring/coders/compression is imported, or one of your
// own (see [RegisterLayer]). A name that one of these packages registers is,
// without the import, an error that names the package.
//
// Query parameters configure the layers; a parameter applies to every layer
// of the chain, or to the layers of one algorithm when prefixed with its
// name and a dot ("zstd.level=2"), which wins over the unprefixed form:
//
//   - level: the layer's level, checked by the function given to
//     RegisterLayer. Package compression takes zstd 1..4 or fastest,
//     default, better, best (klauspost levels, not zstd command line
//     levels); gzip -2..9 or default; s2 default, better or best.
//   - min_size: the compression threshold in bytes, default 64 (see
//     [WithMinSize]); 0 compresses everything.
//   - max_size: the largest value (before compression) a layer writes or
//     decompresses, default 64MiB (see [WithMaxSize]).
//
// Sizes are a whole number of bytes with an optional suffix B, KiB, MiB or
// GiB. An unknown coder or layer, a coder in a layer position, an unknown or
// repeated parameter, a bad value, and a parameter that no layer of the
// chain takes are errors; Open reports all of them at once, each naming the
// bad name or value.
func (r *Registry) Open(rawURL string) (Coder, error) {
	return r.open(rawURL, registeredLayers())
}

// open is Open with the given layers.
func (r *Registry) open(rawURL string, specs layerSet) (Coder, error) {
	scheme, query, err := splitCoderURL(rawURL)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("ring: coder %s: "+format, append([]any{scheme}, args...)...)
	}
	var errs []error

	// The chain: a base coder, then layers.
	names := strings.Split(scheme, "+")
	var base Coder
	layers := names[1:]
	for i, n := range names {
		if n == "" {
			errs = append(errs, fail("empty name at position %d of the chain", i+1))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c, err := r.Lookup(names[0]); err == nil {
		base = c
	} else if _, ok := specs[names[0]]; ok {
		base = r.bytesCoder()
		layers = names
	} else if pkg, ok := coderPackages[names[0]]; ok {
		errs = append(errs, fail("coder %q is not registered: import %s", names[0], pkg))
	} else if _, ok := layerPackages[names[0]]; ok {
		errs = append(errs, fail("%s", specs.unknown(names[0])))
	} else {
		errs = append(errs, fail("unknown coder %q (registered: %s; layers: %s)",
			names[0], strings.Join(r.Names(), ", "), specs.names()))
	}
	inChain := map[string]bool{}
	for _, n := range layers {
		if _, ok := specs[n]; ok {
			inChain[n] = true
			continue
		}
		if _, err := r.Lookup(n); err == nil || coderPackages[n] != "" {
			errs = append(errs, fail("%q is a coder, not a compression layer: the base coder comes first and only once", n))
			continue
		}
		errs = append(errs, fail("%s", specs.unknown(n)))
	}

	// The parameters: key -> value, unprefixed and per layer.
	params, perr := parseParams(query, specs, inChain, len(layers) > 0)
	for _, e := range perr {
		errs = append(errs, fail("%s", e))
	}

	// Build the layers, checking every value even after an error so that
	// all problems are reported at once.
	c := base
	for _, n := range layers {
		if _, ok := specs[n]; !ok {
			continue // reported above
		}
		get := func(p string) (key, value string, ok bool) {
			if v, ok := params[n+"."+p]; ok {
				return n + "." + p, v, true
			}
			v, ok := params[p]
			return p, v, ok
		}
		var opts []LayerOption
		var comp Compressor
		if k, v, ok := get("level"); ok {
			comp, err = specs.open(n, v)
			if err != nil {
				errs = append(errs, fail("parameter %s=%q: %v", k, v, err))
			}
		} else if comp, err = specs.open(n, ""); err != nil {
			errs = append(errs, fail("%s: %v", n, err))
		}
		if k, v, ok := get("min_size"); ok {
			size, err := parseSize(v)
			if err != nil {
				errs = append(errs, fail("parameter %s=%q: %v", k, v, err))
			}
			opts = append(opts, WithMinSize(size))
		}
		if k, v, ok := get("max_size"); ok {
			size, err := parseSize(v)
			if err == nil && size < 1 {
				err = errors.New("max_size must be at least 1 byte")
			}
			if err != nil {
				errs = append(errs, fail("parameter %s=%q: %v", k, v, err))
			}
			opts = append(opts, WithMaxSize(size))
		}
		if len(errs) > 0 {
			continue // report every layer's problems, build nothing
		}
		l, err := Compress(c, comp, opts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c = l
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// bytesCoder is the base of a chain that starts with a layer.
func (r *Registry) bytesCoder() Coder {
	if c, err := r.Lookup("bytes"); err == nil {
		return c
	}
	return Bytes{}
}

// splitCoderURL splits "a+b://?q" (also "a+b", "a+b:///?q", "a+b?q") into
// the scheme and the raw query. A host, path, user or fragment is an error.
func splitCoderURL(rawURL string) (scheme, query string, err error) {
	rest := ""
	if i := strings.Index(rawURL, "://"); i >= 0 {
		scheme, rest = rawURL[:i], rawURL[i+3:]
		rest = strings.TrimPrefix(rest, "/")
	} else if i := strings.IndexByte(rawURL, '?'); i >= 0 {
		scheme, rest = rawURL[:i], rawURL[i:]
	} else {
		scheme = rawURL
	}
	if scheme == "" {
		return "", "", errors.New("ring: coder url: no coder name before \"://\" (the url is not shown: it may hold a password)")
	}
	if strings.ContainsAny(scheme, ":/?#") {
		return "", "", errors.New("ring: coder url: bad coder name: it has ':', '/', '?' or '#' (the url is not shown: it may hold a password)")
	}
	if rest != "" && rest[0] != '?' {
		return "", "", fmt.Errorf("ring: coder %s: unexpected host, user or path after \"://\", not shown (a coder url has only a scheme and a query, as in %s://?level=3)", scheme, scheme)
	}
	query = strings.TrimPrefix(rest, "?")
	if i := strings.IndexByte(query, '#'); i >= 0 {
		return "", "", fmt.Errorf("ring: coder %s: unexpected fragment ('#'), not shown", scheme)
	}
	return scheme, query, nil
}

// layerParams are the parameters every compression layer takes.
var layerParams = []string{"level", "min_size", "max_size"}

// cachetoryParams maps cachetory's serializer parameter names to ours, for a
// helpful error.
var cachetoryParams = map[string]string{
	"compression-level":   "level",
	"compression_level":   "level",
	"compression-threads": "",
}

// parseParams validates the query's keys and returns key -> value. specs
// holds the registered layers, inChain the layers of the chain; anyLayer
// reports whether there is one.
func parseParams(query string, specs layerSet, inChain map[string]bool, anyLayer bool) (map[string]string, []string) {
	params := map[string]string{}
	if query == "" {
		return params, nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		// Not quoted: a query that does not parse may hold anything.
		return nil, []string{"bad query: a bad percent-escape or a ';' (write % as %25, ';' as %3B)"}
	}
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		vs := values[k]
		layer, name, qualified := strings.Cut(k, ".")
		if !qualified {
			name, layer = layer, ""
		}
		if len(vs) > 1 && slices.Contains(layerParams, name) {
			errs = append(errs, fmt.Sprintf("parameter %s given %d times (%s)", k, len(vs), strings.Join(quoteAll(vs), ", ")))
			continue
		}
		if !slices.Contains(layerParams, name) {
			hint := ""
			if ours, ok := cachetoryParams[name]; ok && ours != "" {
				hint = fmt.Sprintf("; did you mean %q?", ours)
			}
			// The value of an unknown parameter is not shown: it may be a
			// password meant for a backend URL.
			errs = append(errs, fmt.Sprintf("unknown parameter %s (known: %s, optionally prefixed with a layer name as in zstd.level)%s",
				k, strings.Join(layerParams, ", "), hint))
			continue
		}
		switch {
		case qualified && specs[layer] == nil:
			errs = append(errs, fmt.Sprintf("parameter %s=%q: %s", k, vs[0], specs.unknown(layer)))
			continue
		case qualified && !inChain[layer]:
			errs = append(errs, fmt.Sprintf("parameter %s=%q: no %s layer in the chain takes it", k, vs[0], layer))
			continue
		case !anyLayer:
			errs = append(errs, fmt.Sprintf("parameter %s=%q: no layer in the chain takes it (add a compression layer such as +zstd)", k, vs[0]))
			continue
		}
		if vs[0] == "" {
			errs = append(errs, fmt.Sprintf("parameter %s has an empty value", k))
			continue
		}
		params[k] = vs[0]
	}
	return params, errs
}

// parseSize parses a byte size with the grammar backends.ParseSize takes
// (package bytesize), within the range of an int.
func parseSize(s string) (int, error) {
	n, err := bytesize.Parse(s)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int(n), nil
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Quote(v)
	}
	return out
}
