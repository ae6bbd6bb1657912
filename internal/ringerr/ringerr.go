// Package ringerr is the one way ring's errors compose their messages.
//
// Every message starts with [Prefix] once. An error that wraps another
// (a shape error about a parameter whose type is not keyable, a ring's
// error about one of its calls) writes its own parts, then the cause's, as
// uber-go/dig's errors do with writeMessage: a cause that is a [Part]
// writes its parts without the prefix, so no message is rebuilt by cutting
// strings apart.
package ringerr

import "strings"

// Prefix starts every message of ring's errors.
const Prefix = "ring: "

// Part is an error that can write its message without [Prefix], for an
// error that wraps it. Its Error method returns [Message] of itself.
type Part interface {
	error
	WriteMessage(b *strings.Builder)
}

// Message returns Prefix followed by what p writes: the Error text of a
// Part.
func Message(p Part) string {
	var b strings.Builder
	b.WriteString(Prefix)
	p.WriteMessage(&b)
	return b.String()
}

// WriteCause writes err where an error that wraps it puts its cause: a
// Part writes its own parts; any other error (a user's, or one a backend,
// a coder or an option made with fmt.Errorf) its Error text, less the
// Prefix it starts with when it is one of ring's, so that the message
// carries the prefix once.
func WriteCause(b *strings.Builder, err error) {
	if p, ok := err.(Part); ok {
		p.WriteMessage(b)
		return
	}
	b.WriteString(strings.TrimPrefix(err.Error(), Prefix))
}
