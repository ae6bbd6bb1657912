package ring

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/ringerr"
)

// ringScoped is an error of this package about one ring: writeAfterName
// writes its message without the "ring: NAME: " that an error of the same
// ring wrapping it has already written.
type ringScoped interface {
	error
	ringName() string
	writeAfterName(b *strings.Builder)
}

// nameError is an error of one ring's construction or call: the ring's
// name, where it happened (a context such as "argument set 2", "key" or
// "set", or none) and the cause. It writes its message once, from its
// parts, as "ring: NAME: CONTEXT: CAUSE"; the cause writes its own parts
// (see writeCause), so that the prefix and the name stand once, and a
// joined cause gives one such line per error. It unwraps to the cause.
type nameError struct {
	name, context string
	err           error
}

func (e *nameError) Error() string {
	var b strings.Builder
	e.writeLines(&b, ringerr.Prefix+e.name+": ")
	return b.String()
}

func (e *nameError) Unwrap() error { return e.err }

func (e *nameError) ringName() string { return e.name }

func (e *nameError) writeAfterName(b *strings.Builder) { e.writeLines(b, "") }

// writeLines writes e after head, which ends in "NAME: ": the context and
// the cause, and for a joined cause a line per error, each after head.
func (e *nameError) writeLines(b *strings.Builder, head string) {
	if e.context != "" {
		head += e.context + ": "
	}
	writeCause(b, head, e.name, e.err)
}

// writeCause writes err after head, the message so far of an error of
// ring name: an error of the same ring writes what follows its name, one
// of ring's other errors its parts without the "ring: " prefix
// (ringerr.WriteCause), and a joined error each of its errors on a line of
// its own, after head.
func writeCause(b *strings.Builder, head, name string, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for i, e := range j.Unwrap() {
			if i > 0 {
				b.WriteByte('\n')
			}
			writeCause(b, head, name, e)
		}
		return
	}
	if ne, ok := err.(*nameError); ok && ne.name == name {
		ne.writeLines(b, head)
		return
	}
	b.WriteString(head)
	if re, ok := err.(ringScoped); ok && re.ringName() == name {
		re.writeAfterName(b)
		return
	}
	ringerr.WriteCause(b, err)
}

// named returns err as an error of ring name, in context (nil stays nil).
// An error of the same ring without a context is returned as it is.
func named(name, context string, err error) error {
	if err == nil {
		return nil
	}
	if re, ok := err.(ringScoped); ok && re.ringName() == name && context == "" {
		return err
	}
	return &nameError{name: name, context: context, err: err}
}

// ArgError reports an argument of the wrong type given to an untyped
// sub-function (Run, or the methods of *Ring).
type ArgError struct {
	// Func names the wrapped function.
	Func string
	// Pos is the 1-based position of the parameter in the wrapped function.
	Pos int
	// Want is the parameter's type, Got the argument's (nil for a nil
	// argument).
	Want, Got reflect.Type
}

// Error formats the mismatch: "ring: FUNC: parameter N: got T, want U".
func (e *ArgError) Error() string { return ringMessage(e) }

func (e *ArgError) ringName() string { return e.Func }

func (e *ArgError) writeAfterName(b *strings.Builder) {
	got := "nil"
	if e.Got != nil {
		got = e.Got.String()
	}
	fmt.Fprintf(b, "parameter %d: got %s, want %v", e.Pos, got, e.Want)
}

// CountError reports a wrong number of arguments given to an untyped
// sub-function.
type CountError struct {
	Func      string
	Got, Want int
	// Params lists the wanted parameter types.
	Params []reflect.Type
}

// Error formats the mismatch.
func (e *CountError) Error() string { return ringMessage(e) }

func (e *CountError) ringName() string { return e.Func }

func (e *CountError) writeAfterName(b *strings.Builder) {
	fmt.Fprintf(b, "got %d arguments, want %d %v (the context is passed separately)", e.Got, e.Want, e.Params)
}

// ringMessage is the Error text of an error of one ring: "ring: NAME: "
// and what follows.
func ringMessage(e ringScoped) string {
	var b strings.Builder
	b.WriteString(ringerr.Prefix)
	b.WriteString(e.ringName())
	b.WriteString(": ")
	e.writeAfterName(&b)
	return b.String()
}

// fits reports whether v may stand for a value of type t in an untyped
// call: nil where t is nilable, any other value where its type is
// assignable to t. It is the one check of an untyped argument or value
// against its static type (a typed view asserts v.(T) first, without
// reflection, and asks only when that fails).
func fits(v any, t reflect.Type) bool {
	if v == nil {
		return nilable(t)
	}
	return reflect.TypeOf(v).AssignableTo(t)
}

// argError reports argument v, given for key parameter p of s, as not
// fitting p's type.
func argError(s *descriptor.Shape, p descriptor.Param, v any) error {
	return &ArgError{Func: s.Name, Pos: p.Pos(), Want: p.Type, Got: reflect.TypeOf(v)}
}

// valueError reports a value that does not fit the result type want:
// "value is nil, want int", "value is string, want int".
func valueError(v any, want reflect.Type) error {
	if v == nil {
		return fmt.Errorf("value is nil, want %v", want)
	}
	return fmt.Errorf("value is %T, want %v", v, want)
}

// PanicError is what a panic in a wrapped function becomes: the caller that
// ran the function and every caller waiting on the same key panic with the
// same *PanicError, which carries the panic value and the stack. Nothing is
// cached.
type PanicError = flight.PanicError

// ErrNoExpiry is wrapped by the error that Touch and Many().Touch return on a
// ring without an expiry (no Expire, or Expire(0)), on every backend:
// touching resets an entry's time-to-live to the ring's, and without one it
// would silently make the entry persistent, dropping a time-to-live that
// was set some other way. The entry is left as it is. To change one entry's
// time-to-live, use Cache().ExpireIn.
var ErrNoExpiry = errors.New("the ring has no expiry (Expire): Touch would make the entry persistent")

// ErrNotFound is the outcome "there is no such entity": what a batch
// function's ring returns for an ID the function did not return, and what
// NegativeCache matches when given no errors of its own. A function may
// return it (wrapped or not) to say that its argument names nothing.
var ErrNotFound = errors.New("ring: not found")
