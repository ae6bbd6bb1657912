// Command methods caches methods with ring: a method keyed by its
// receiver's RingKey(), called directly and through the receiver's wire
// (Bind); a property-like getter; a type-level ("class") function that every
// value of the type shares; a preset shared by two rings; and the errors a
// ring gives, when it is built, for shapes it cannot key.
//
// The storage is the in-process LRU, the embedded default: no server is
// needed.
//
//	go run ./examples/methods
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/descriptor"
)

// User is a row of the fake users table. RingKey makes a *User usable as a
// key component: two User values with the same ID share their cache
// entries, whatever their other fields hold.
type User struct {
	ID   int
	Name string
}

// RingKey returns the user's ID; it is the receiver's key component.
func (u *User) RingKey() string { return strconv.Itoa(u.ID) }

// Profile is what the profile property returns.
type Profile struct {
	Name  string
	Posts int
}

// Settings are the defaults of every user for one locale.
type Settings struct {
	Locale   string
	PageSize int
}

// db is the fake database behind the cached methods; it counts the queries
// it serves and logs each one.
var db = struct {
	mu      sync.Mutex
	queries int
	log     io.Writer
}{}

func query(format string, args ...any) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.queries++
	fmt.Fprintf(db.log, "    (query #%d: %s)\n", db.queries, fmt.Sprintf(format, args...))
}

func queries() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.queries
}

// loadPosts is the method to cache: a page of the user's posts. It is
// cached by the posts ring, keyed by the receiver's RingKey() and page.
func (u *User) loadPosts(ctx context.Context, page int) ([]string, error) {
	query("posts of user %d, page %d", u.ID, page)
	return []string{fmt.Sprintf("post %d.%d", u.ID, 2*page-1), fmt.Sprintf("post %d.%d", u.ID, 2*page)}, nil
}

// loadProfile takes only the receiver and a context: a property.
func (u *User) loadProfile(ctx context.Context) (Profile, error) {
	query("profile of user %d", u.ID)
	return Profile{Name: u.Name, Posts: 2 * u.ID}, nil
}

// defaultSettings does not depend on which user it is called on, only on the
// type and the locale: a class function, keyed by the receiver's type name.
func (u *User) defaultSettings(ctx context.Context, locale string) (Settings, error) {
	query("default settings for %s", locale)
	return Settings{Locale: locale, PageSize: 20}, nil
}

// The rings. A program would usually declare them as package-level
// variables with ring.Must:
//
//	var posts = ring.Must(ring.Method1((*User).loadPosts, policy))
//
// This demo builds them in setup so that every run starts with empty caches.
var (
	policy   ring.Option
	posts    *ring.MethodRing1[*User, int, []string]
	profile  *ring.MethodRing0[*User, Profile]
	settings *ring.MethodRing1[*User, string, Settings]
)

// Posts is the cached method as callers see it.
func (u *User) Posts(ctx context.Context, page int) ([]string, error) {
	return posts.Call(u, ctx, page)
}

// Profile is the cached property.
func (u *User) Profile(ctx context.Context) (Profile, error) {
	return profile.Call(u, ctx)
}

// DefaultSettings is the cached class function.
func (u *User) DefaultSettings(ctx context.Context, locale string) (Settings, error) {
	return settings.Call(u, ctx, locale)
}

func setup() error {
	// One cache policy for the project, the analog of functools.partial
	// over a Ring factory. Each ring built with it still gets its own LRU.
	policy = ring.Preset(ring.LRU(500), ring.Expire(5*time.Minute), ring.KeyPrefix("users"))

	var err error
	// Options after the preset override it: the posts ring has its own
	// prefix, the profile ring keeps "users".
	if posts, err = ring.Method1((*User).loadPosts, policy, ring.KeyPrefix("users.posts")); err != nil {
		return err
	}
	if profile, err = ring.Property((*User).loadProfile, policy); err != nil {
		return err
	}
	// Without options: the default LRU and the default prefix, the
	// definition's qualified name.
	settings, err = ring.Class1((*User).defaultSettings)
	return err
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run prints the walk-through to w; its output is deterministic.
func run(w io.Writer) error {
	db.mu.Lock()
	db.queries, db.log = 0, w
	db.mu.Unlock()
	if err := setup(); err != nil {
		return err
	}
	ctx := context.Background()

	ann := &User{ID: 42, Name: "Ann"}
	ann2 := &User{ID: 42, Name: "Ann, loaded again"} // another value, same ID
	bob := &User{ID: 7, Name: "Bob"}

	section(w, "Method1: (*User).loadPosts, keyed by the receiver's RingKey() and the page")
	p, err := posts.Call(ann, ctx, 1)
	fmt.Fprintf(w, "posts.Call(ann, ctx, 1) = %q, err = %v\n", p, err)
	p, _ = ann.Posts(ctx, 1)
	fmt.Fprintf(w, "ann.Posts(ctx, 1)       = %q (cached)\n", p)
	p, _ = ann2.Posts(ctx, 1)
	fmt.Fprintf(w, "ann2.Posts(ctx, 1)      = %q (another *User with ID 42 shares the entry)\n", p)
	p, _ = bob.Posts(ctx, 1)
	fmt.Fprintf(w, "bob.Posts(ctx, 1)       = %q\n", p)
	key, _ := posts.Bind(ann).Key(1)
	fmt.Fprintf(w, "posts.Bind(ann).Key(1) = %s\n", key)
	fmt.Fprintf(w, "queries so far: %d\n", queries())

	section(w, "Bind: the wire of one receiver, every sub-function without the receiver")
	wire := posts.Bind(ann)
	key, _ = wire.Key(2)
	fmt.Fprintf(w, "wire.Key(2) = %s\n", key)
	_, found, _ := wire.Get(ctx, 2)
	fmt.Fprintf(w, "wire.Get(ctx, 2): found = %v\n", found)
	p, _ = wire.Call(ctx, 2)
	fmt.Fprintf(w, "wire.Call(ctx, 2) = %q\n", p)
	p, found, _ = posts.Bind(ann2).Get(ctx, 2)
	fmt.Fprintf(w, "posts.Bind(ann2).Get(ctx, 2) = %q, found = %v (the wire wrote the shared entry)\n", p, found)
	p, _ = wire.Update(ctx, 1)
	fmt.Fprintf(w, "wire.Update(ctx, 1) = %q\n", p)
	err = posts.Bind(ann2).Delete(ctx, 1)
	fmt.Fprintf(w, "posts.Bind(ann2).Delete(ctx, 1): err = %v\n", err)
	has, _ := wire.Has(ctx, 1)
	fmt.Fprintf(w, "wire.Has(ctx, 1) = %v (deleting through ann2 removed ann's entry)\n", has)
	hases, _ := wire.Many().Has(ctx, []int{1, 2, 3})
	fmt.Fprintf(w, "wire.Many().Has(ctx, [1 2 3]) = %v\n", hases)
	fmt.Fprintf(w, "queries so far: %d\n", queries())

	section(w, "Property: (*User).loadProfile takes only the receiver and a context")
	pr, _ := ann.Profile(ctx)
	fmt.Fprintf(w, "ann.Profile(ctx)  = %+v\n", pr)
	pr, _ = ann2.Profile(ctx)
	fmt.Fprintf(w, "ann2.Profile(ctx) = %+v (cached: ann2 has ann's ID)\n", pr)
	key, _ = profile.Bind(ann).Key()
	fmt.Fprintf(w, "profile.Bind(ann).Key() = %s (the key is the receiver's RingKey() alone)\n", key)
	pr, found, _ = profile.Bind(bob).Get(ctx)
	fmt.Fprintf(w, "profile.Bind(bob).Get(ctx) = %+v, found = %v\n", pr, found)
	fmt.Fprintf(w, "queries so far: %d\n", queries())

	section(w, "Class1: (*User).defaultSettings, keyed by the receiver's type name")
	s, _ := ann.DefaultSettings(ctx, "en")
	fmt.Fprintf(w, "ann.DefaultSettings(ctx, en) = %+v\n", s)
	s, _ = bob.DefaultSettings(ctx, "en")
	fmt.Fprintf(w, "bob.DefaultSettings(ctx, en) = %+v (cached: every *User shares the entry)\n", s)
	_, found, _ = settings.Bind(nil).Get(ctx, "en")
	fmt.Fprintf(w, "settings.Bind(nil).Get(ctx, en): found = %v (even a nil *User)\n", found)
	key, _ = settings.Bind(bob).Key("en")
	fmt.Fprintf(w, "settings.Bind(bob).Key(en) = %s\n", key)
	fmt.Fprintf(w, "queries so far: %d\n", queries())

	section(w, "Preset: one policy, two rings, the second overriding the prefix")
	fmt.Fprintf(w, "policy = %s\n", policy)
	key, _ = profile.Bind(bob).Key()
	fmt.Fprintf(w, "profile.Bind(bob).Key() = %s (the preset's prefix)\n", key)
	key, _ = posts.Bind(bob).Key(1)
	fmt.Fprintf(w, "posts.Bind(bob).Key(1) = %s (KeyPrefix after the preset wins)\n", key)
	fmt.Fprintf(w, "profile and posts share one LRU: %v (each ring gets its own)\n",
		profile.Cache().Storage() == posts.Cache().Storage())

	section(w, "Errors: shapes a ring cannot key fail when the ring is built")
	_, err = ring.Func1(ann.Posts)
	fmt.Fprintf(w, "ring.Func1(ann.Posts):\n  %s\n", clean(err))
	_, err = ring.Method1((*Guest).loadPosts)
	fmt.Fprintf(w, "ring.Method1((*Guest).loadPosts):\n  %s\n", clean(err))
	_, err = ring.Property(Team.loadRoster)
	fmt.Fprintf(w, "ring.Property(Team.loadRoster):\n  %s\n", clean(err))

	fmt.Fprintf(w, "\n%d queries in all\n", queries())
	return nil
}

// Guest has no RingKey method, so its methods cannot be keyed by receiver.
type Guest struct{ Name string }

func (g *Guest) loadPosts(ctx context.Context, page int) ([]string, error) { return nil, nil }

// Team has RingKey on the pointer only, so Team.loadRoster (value
// receiver) cannot be keyed, but (*Team).loadRoster can.
type Team struct{ ID int }

// RingKey returns the team's ID.
func (t *Team) RingKey() string { return strconv.Itoa(t.ID) }

func (t Team) loadRoster(ctx context.Context) ([]string, error) { return nil, nil }

// clean shortens the file:line a construction error names to the file's
// base name, so that the output is the same on every machine and after any
// edit of this file. The error itself carries the full path and the line.
func clean(err error) string {
	var de *descriptor.Error
	if !errors.As(err, &de) {
		return fmt.Sprint(err)
	}
	short := *de
	if file, _, ok := cutLine(de.Location); ok {
		short.Location = filepath.Base(file)
	}
	return short.Error()
}

// cutLine splits "path/file.go:123" into the path and the line.
func cutLine(loc string) (file, line string, ok bool) {
	for i := len(loc) - 1; i >= 0; i-- {
		if loc[i] == ':' {
			if _, err := strconv.Atoi(loc[i+1:]); err == nil {
				return loc[:i], loc[i+1:], true
			}
			break
		}
	}
	return loc, "", false
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n== %s\n", title)
}
