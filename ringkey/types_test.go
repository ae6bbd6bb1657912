package ringkey_test

import (
	"fmt"
	"time"
)

// Types used by the tests, examples and benchmarks.

// Name is a named string type.
type Name string

// Blob is a named byte slice.
type Blob []byte

// Level is a named int with a String method: still encoded as a decimal.
type Level int

func (l Level) String() string { return fmt.Sprintf("level-%d", int(l)) }

// Timeout is a named duration: not time.Duration, so encoded as an int64.
type Timeout time.Duration

// User names its own key with a value method.
type User struct {
	ID   int
	Name string
}

func (u User) RingKey() string { return fmt.Sprintf("user:%d", u.ID) }

// Account names its own key with a pointer method.
type Account struct{ Number string }

func (a *Account) RingKey() string { return "acct=" + a.Number }

// Slug is a named string whose RingKey wins over the string rule.
type Slug string

func (s Slug) RingKey() string { return "slug(" + string(s) + ")" }

// Point is a struct with a String method.
type Point struct{ X, Y int }

func (p Point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }

// Rect is a struct with a String method on the pointer.
type Rect struct{ W, H int }

func (r *Rect) String() string { return fmt.Sprintf("%dx%d", r.W, r.H) }

// Query has neither RingKey nor String: it is hashed.
type Query struct {
	Table  string
	Limit  int
	Tags   []string
	Where  map[string]string
	Since  time.Time
	Cursor *int
}

// Node is a recursive struct without methods.
type Node struct {
	Val  int
	Next *Node
}

// Any is a struct with an interface field.
type Any struct{ V any }

// Tree is a recursive slice type.
type Tree []Tree
