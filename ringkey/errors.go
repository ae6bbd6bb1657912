package ringkey

import (
	"reflect"
	"strings"

	"github.com/ringcache/ring/internal/ringerr"
)

// TypeError reports a type that can never be part of a key: a func, a chan,
// an unsafe.Pointer, a composite type that contains one, or a struct keyed
// by the structural hash that has a field the hash cannot take or would not
// see (an unexported field). [EncoderOf] and
// [Typed] return it when a type is rejected up front; an [Encoder] for an
// interface type returns it at call time when the dynamic type is rejected.
type TypeError struct {
	// Type is the type that was asked for.
	Type reflect.Type
	// Path names the way from Type to the bad part, outermost first,
	// for example ["map value type []chan int", "element type chan int"].
	// It is empty when Type itself is the bad part.
	Path []string
	// Reason says what is wrong with the bad part, for example "is a func".
	Reason string
}

// Error implements error:
//
//	ring: type []func() is not keyable: element type func() is a func
func (e *TypeError) Error() string { return ringerr.Message(e) }

// WriteMessage writes e's message without the "ring: " prefix, for an error
// that wraps e (the *descriptor.Error naming the parameter, or a ring's
// error about the call whose key it failed).
func (e *TypeError) WriteMessage(b *strings.Builder) {
	b.WriteString("type ")
	b.WriteString(typeName(e.Type))
	b.WriteString(" is not keyable: ")
	if len(e.Path) == 0 {
		b.WriteString("it ")
	} else {
		b.WriteString(strings.Join(e.Path, ": "))
		b.WriteString(" ")
	}
	b.WriteString(e.Reason)
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}

// pathError is a rejection found while building, before the top-level type
// is known; the caller turns it into a *TypeError.
type pathError struct {
	path   []string // innermost first while unwinding; reversed at the top
	reason string
	unseen bool // a field the structural hash would not see
}

func (e *pathError) Error() string { return e.reason }

func (e *pathError) wrap(step string) *pathError {
	e.path = append(e.path, step)
	return e
}

func (e *pathError) typeError(t reflect.Type) *TypeError {
	p := make([]string, len(e.path))
	for i, s := range e.path {
		p[len(p)-1-i] = s
	}
	return &TypeError{Type: t, Path: p, Reason: e.reason}
}

func (e *pathError) clone() *pathError {
	return &pathError{path: append([]string(nil), e.path...), reason: e.reason, unseen: e.unseen}
}
