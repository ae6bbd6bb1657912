package ring

import (
	"errors"
	"strings"
)

// nameError puts "ring: NAME: " (and a context such as "argument set 2")
// in front of an error that may carry its own "ring: " prefix, so that
// messages read "ring: pkg.f: argument set 2: parameter 3: ..." instead of
// repeating the prefix. It unwraps to the original error.
type nameError struct {
	name, context string
	err           error
}

func (e *nameError) Error() string {
	var b strings.Builder
	lines := strings.Split(e.err.Error(), "\n")
	for i, line := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("ring: ")
		b.WriteString(e.name)
		b.WriteString(": ")
		if e.context != "" {
			b.WriteString(e.context)
			b.WriteString(": ")
		}
		line = strings.TrimPrefix(line, "ring: ")
		b.WriteString(strings.TrimPrefix(line, e.name+": "))
	}
	return b.String()
}

func (e *nameError) Unwrap() error { return e.err }

// named returns err with the ring's name in front (nil stays nil).
func named(name, context string, err error) error {
	if err == nil {
		return nil
	}
	var ne *nameError
	if errors.As(err, &ne) && ne.name == name && context == "" {
		return err
	}
	return &nameError{name: name, context: context, err: err}
}
