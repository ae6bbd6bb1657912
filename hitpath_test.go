package ring_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The promise of the in-process hits: a near hit (nearTier.get) and a
// Concurrent hit (Concurrent.Load) take no lock and write no shared
// memory, so parallel hits scale with the cores. TestHitPathTakesNoLock
// checks it on the source: it walks the call graph from those functions
// through the root package and backends, and fails on any lock, atomic
// write, write through a pointer, field or element, write of a package
// variable, goroutine start or channel send, and on any call it cannot
// follow, except the writes listed in hitPathAllowed with their reasons.

// hitPathRoots are the hit functions, as package.Type.method.
var hitPathRoots = []string{"ring.nearTier.get", "ring.nearFront.get", "backends.Concurrent.Load", "backends.Concurrent.Get"}

// hitPathAllowed are the writes and calls the hit path may make, by
// function and expression, each with the reason it is rare or local.
var hitPathAllowed = map[string]string{
	"backends.Concurrent.lookup: s.removeNode(sh, h, n)":                                      "an expired entry: the read is a miss, it removes the entry under the shard's lock",
	"backends.Concurrent.lookup: n.ref.Store(1)":                                              "guarded by n.ref.Load() == 0: one write per entry per pass of the CLOCK hand, not per hit",
	"backends.Concurrent.Load: s.removeNode(sh, h, n)":                                        "lookup's, written out in Load: an expired entry, a miss",
	"backends.Concurrent.Load: n.ref.Store(1)":                                                "lookup's, written out in Load: guarded by n.ref.Load() == 0",
	"backends.Concurrent.before: s.now()":                                                     "the clock WithClock gave (tests); the default is ClockBefore",
	"backends.clockBefore: coarseWord.CompareAndSwap(w, w&^coarseState|coarseRead)":           "the first read after an idle check (one per 50ms for all readers)",
	"backends.clockBefore: coarseWord.CompareAndSwap(w, uint64(now)&^coarseState|coarseRead)": "the clock is stopped: nothing read it for 50ms",
	"backends.clockBefore: coarseStarts.Add(1)":                                               "the clock is stopped: nothing read it for 50ms",
	"backends.clockBefore: go coarseTicker()":                                                 "the clock is stopped: nothing read it for 50ms",
}

// hitPathGuards are the conditions under which an allowed write may
// happen: the condition of the innermost if around it.
var hitPathGuards = map[string]string{
	"backends.Concurrent.lookup: n.ref.Store(1)": "n.ref.Load() == 0",
	"backends.Concurrent.Load: n.ref.Store(1)":   "n.ref.Load() == 0",
}

// hitPathPure are the functions of other packages the hit path may call:
// they write nothing shared.
var hitPathPure = map[string]bool{
	"hash/maphash.String": true, "math/bits.Mul64": true, "time.Since": true, "unsafe.String": true, "unsafe.SliceData": true,
	"unsafe.Pointer": true, "unsafe.Add": true,
}

// lockOrWrite are the methods that lock or write (sync, sync/atomic).
var lockOrWrite = map[string]bool{
	"Lock": true, "RLock": true, "TryLock": true, "TryRLock": true, "Unlock": true, "RUnlock": true,
	"Store": true, "Add": true, "Swap": true, "CompareAndSwap": true, "And": true, "Or": true,
	"Wait": true, "Signal": true, "Broadcast": true, "Do": true, "Put": true,
}

func TestHitPathTakesNoLock(t *testing.T) {
	g := loadHitGraph(t, map[string]string{"ring": ".", "backends": "backends"})
	problems, visited := g.check(hitPathRoots, hitPathAllowed)
	for _, p := range problems {
		t.Error(p)
	}
	// The walk must have gone where the hits go, or it proves nothing.
	for _, f := range []string{"ring.nearTier.get", "ring.nearTier.getLocal", "ring.nearHasher.hash", "backends.ClockBefore", "backends.clockBefore",
		"backends.Concurrent.Load", "backends.Concurrent.lookup", "backends.cshard.find", "backends.Concurrent.before"} {
		if !visited[f] {
			t.Errorf("the walk did not reach %s: the hit path's functions moved; update hitPathRoots", f)
		}
	}
}

// TestHitPathCheckFails shows the check failing on what it must catch.
func TestHitPathCheckFails(t *testing.T) {
	dir := t.TempDir()
	src := `package x

import (
	"sync"
	"sync/atomic"
)

var hits int

type tier struct {
	mu sync.Mutex
	n  atomic.Int64
	m  map[string]int
	c  chan int
	f  func()
}

func (t *tier) get(k string) int { t.helper(); return t.m[k] }
func (t *tier) helper()          { t.deeper() }
func (t *tier) deeper() {
	t.mu.Lock()
	t.mu.Unlock()
	t.n.Add(1)
	t.m["k"] = 1
	hits++
	atomic.AddInt64(new(int64), 1)
	go t.helper()
	t.c <- 1
	t.f()
}
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	g := loadHitGraph(t, map[string]string{"x": dir})
	problems, _ := g.check([]string{"x.tier.get"}, nil)
	want := []string{"t.mu.Lock()", "t.mu.Unlock()", "t.n.Add(1)", `t.m["k"] = 1`, "hits++", "atomic.AddInt64", "go t.helper()", "t.c <- 1", "t.f()"}
	all := strings.Join(problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the check missed %q; it reported:\n%s", w, all)
		}
	}
}

type hitFunc struct {
	pkg  string
	decl *ast.FuncDecl
	file *ast.File
}

type hitGraph struct {
	fset    *token.FileSet
	funcs   map[string]*hitFunc // package.Type.name or package.name
	methods map[string][]string // package.name of a method: its keys
	vars    map[string]bool     // package.name of package variables
	paths   map[string]string   // import path of a package: its name here
}

func loadHitGraph(t *testing.T, dirs map[string]string) *hitGraph {
	t.Helper()
	g := &hitGraph{fset: token.NewFileSet(), funcs: map[string]*hitFunc{}, methods: map[string][]string{},
		vars: map[string]bool{}, paths: map[string]string{}}
	for pkg, dir := range dirs {
		g.paths["github.com/ringcache/ring/"+strings.TrimPrefix(dir, ".")] = pkg
		if pkg == "ring" {
			g.paths["github.com/ringcache/ring"] = pkg
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(g.fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					key := pkg + "." + d.Name.Name
					if d.Recv != nil {
						key = pkg + "." + hitRecvName(d.Recv.List[0].Type) + "." + d.Name.Name
						g.methods[pkg+"."+d.Name.Name] = append(g.methods[pkg+"."+d.Name.Name], key)
					}
					g.funcs[key] = &hitFunc{pkg: pkg, decl: d, file: f}
				case *ast.GenDecl:
					if d.Tok == token.VAR {
						for _, s := range d.Specs {
							for _, n := range s.(*ast.ValueSpec).Names {
								g.vars[pkg+"."+n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return g
}

func hitRecvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return hitRecvName(e.X)
	case *ast.IndexExpr:
		return hitRecvName(e.X)
	case *ast.IndexListExpr:
		return hitRecvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return fmt.Sprintf("%T", e)
}

// check walks the call graph from roots and returns what it found wrong,
// and the functions it visited.
func (g *hitGraph) check(roots []string, allowed map[string]string) (problems []string, visited map[string]bool) {
	visited = map[string]bool{}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		key := queue[0]
		queue = queue[1:]
		if visited[key] {
			continue
		}
		visited[key] = true
		fn := g.funcs[key]
		if fn == nil {
			problems = append(problems, "no function "+key)
			continue
		}
		locals := hitLocalNames(fn.decl)
		imports := hitImportNames(fn.file)
		report := func(n ast.Node, what string) bool {
			expr := g.source(n)
			if _, ok := allowed[key+": "+expr]; ok {
				return false
			}
			problems = append(problems, fmt.Sprintf("%s (%s): %s: %s", key, g.fset.Position(n.Pos()), what, expr))
			return true
		}
		written := func(lhs ast.Expr, n ast.Node) {
			if id, ok := lhs.(*ast.Ident); ok && (id.Name == "_" || locals[id.Name] || !g.vars[fn.pkg+"."+id.Name]) {
				return // a local
			}
			report(n, "writes memory that is not local")
		}
		var stack []ast.Node
		ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n, "starts a goroutine")
				stack = stack[:len(stack)-1]
				return false // the goroutine runs apart from the hit
			case *ast.SendStmt:
				report(n, "sends on a channel")
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, l := range n.Lhs {
						written(l, n)
					}
				}
			case *ast.IncDecStmt:
				written(n.X, n)
			case *ast.CallExpr:
				if guard, ok := hitPathGuards[key+": "+g.source(n)]; ok && allowed != nil {
					cond := ""
					for i := len(stack) - 1; i >= 0; i-- {
						if is, ok := stack[i].(*ast.IfStmt); ok {
							cond = g.source(is.Cond)
							break
						}
					}
					if cond != guard {
						problems = append(problems, fmt.Sprintf("%s (%s): %s is allowed only under if %s, found under %q",
							key, g.fset.Position(n.Pos()), g.source(n), guard, cond))
					}
				}
				queue = append(queue, g.callees(key, fn, n, locals, imports, allowed, &problems)...)
			}
			return true
		})
	}
	return problems, visited
}

// callees resolves call; it reports a call that locks, writes or cannot be
// followed.
func (g *hitGraph) callees(key string, fn *hitFunc, call *ast.CallExpr, locals, imports map[string]bool, allowed map[string]string, problems *[]string) []string {
	expr := g.source(call)
	if _, ok := allowed[key+": "+expr]; ok {
		return nil
	}
	bad := func(what string) []string {
		*problems = append(*problems, fmt.Sprintf("%s (%s): %s: %s", key, g.fset.Position(call.Pos()), what, expr))
		return nil
	}
	fun := call.Fun
	for {
		switch f := fun.(type) {
		case *ast.IndexExpr:
			fun = f.X
			continue
		case *ast.IndexListExpr:
			fun = f.X
			continue
		case *ast.ParenExpr:
			fun = f.X
			continue
		}
		break
	}
	switch f := fun.(type) {
	case *ast.StarExpr:
		return nil // a conversion to a pointer type, (*T)(p): no call
	case *ast.Ident:
		if k := fn.pkg + "." + f.Name; g.funcs[k] != nil {
			return []string{k}
		}
		if locals[f.Name] {
			return bad("calls a function value it cannot follow")
		}
		return nil // a builtin or a conversion
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && !locals[x.Name] && imports[x.Name] {
			path := hitImportPath(fn.file, x.Name)
			if pkg, ok := g.paths[path]; ok {
				return []string{pkg + "." + f.Sel.Name}
			}
			switch {
			case hitPathPure[path+"."+f.Sel.Name]:
				return nil
			case path == "sync" || path == "sync/atomic":
				if strings.HasPrefix(f.Sel.Name, "Load") {
					return nil
				}
				return bad("locks or writes (" + path + ")")
			}
			return bad("calls " + path + "." + f.Sel.Name + ", not known to write nothing shared")
		}
		name := f.Sel.Name
		if lockOrWrite[name] {
			return bad("locks or writes")
		}
		if name == "Load" {
			return nil // an atomic load
		}
		if x, ok := f.X.(*ast.Ident); ok && fn.decl.Recv != nil && len(fn.decl.Recv.List[0].Names) > 0 &&
			x.Name == fn.decl.Recv.List[0].Names[0].Name {
			if k := fn.pkg + "." + hitRecvName(fn.decl.Recv.List[0].Type) + "." + name; g.funcs[k] != nil {
				return []string{k} // a method of the receiver's type
			}
		}
		ms := g.methods[fn.pkg+"."+name]
		if len(ms) == 0 {
			return bad("calls a method or function value it cannot follow")
		}
		return ms // every method of that name: more than the call can reach
	}
	return bad("calls what it cannot follow")
}

func (g *hitGraph) source(n ast.Node) string {
	var b strings.Builder
	start, end := g.fset.Position(n.Pos()), g.fset.Position(n.End())
	src, err := os.ReadFile(start.Filename)
	if err != nil {
		return fmt.Sprintf("%T", n)
	}
	b.Write(src[start.Offset:end.Offset])
	return b.String()
}

// hitLocalNames returns the names declared in fn: its receiver, parameters,
// results and the variables of its body.
func hitLocalNames(fn *ast.FuncDecl) map[string]bool {
	names := map[string]bool{}
	add := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			for _, n := range f.Names {
				names[n.Name] = true
			}
		}
	}
	add(fn.Recv)
	add(fn.Type.Params)
	add(fn.Type.Results)
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						names[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				names[id.Name] = true
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if id, ok := e.(*ast.Ident); ok {
					names[id.Name] = true
				}
			}
		}
		return true
	})
	return names
}

func hitImportNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, im := range f.Imports {
		names[hitImportName(im)] = true
	}
	return names
}

func hitImportName(im *ast.ImportSpec) string {
	if im.Name != nil {
		return im.Name.Name
	}
	p, _ := strconv.Unquote(im.Path.Value)
	return p[strings.LastIndex(p, "/")+1:]
}

func hitImportPath(f *ast.File, name string) string {
	for _, im := range f.Imports {
		if hitImportName(im) == name {
			p, _ := strconv.Unquote(im.Path.Value)
			return p
		}
	}
	return ""
}
