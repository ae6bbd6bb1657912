package ringerr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/internal/ringerr"
)

type part struct{ what string }

func (p *part) Error() string                   { return ringerr.Message(p) }
func (p *part) WriteMessage(b *strings.Builder) { b.WriteString("part " + p.what) }

func cause(err error) string {
	var b strings.Builder
	b.WriteString("head: ")
	ringerr.WriteCause(&b, err)
	return b.String()
}

func TestWriteCause(t *testing.T) {
	p := &part{"x"}
	require.Equal(t, "ring: part x", p.Error())
	require.Equal(t, "head: part x", cause(p), "a Part writes its parts")
	require.Equal(t, "head: Expire(-1s): negative expiry", cause(errors.New("ring: Expire(-1s): negative expiry")), "a plain ring error loses its prefix")
	require.Equal(t, "head: boom", cause(errors.New("boom")), "a user's error is written as it is")
	require.Equal(t, "head: ring:boom", cause(errors.New("ring:boom")))
	require.Equal(t, "head: open: ring: part x", cause(fmt.Errorf("ring: open: %w", p)), "a wrapped Part is the wrapper's text")
	require.Equal(t, "head: x: ring: y", cause(errors.New("ring: x: ring: y")), "only the leading prefix goes")
}
