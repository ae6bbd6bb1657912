// Package fixture is what TestSurfaceCounter counts: one of each kind of
// declaration, exported and not.
package fixture

// Exported counts, with its exported fields A and the embedded Embedded and
// Other; b and the embedded unexported are not part of the API.
type Exported struct {
	A, b int
	Embedded
	*Other
	unexported
}

type hidden struct{ X int }

// M of an unexported type is not counted.
func (hidden) M() {}

func (e *Exported) M() {}

func (e *Exported) m() {}

type Generic[T any] struct{}

func (g Generic[T]) N() {}

type Pair[A, B any] struct{ P A }

func (p *Pair[A, B]) Q() {}

type I interface {
	Do()
	do()
	Embedded
}

type Embedded interface{ E() }

type Other int

type unexported int

type Alias = Exported

type GenericAlias[T any] = Generic[T]

const (
	C1 = 1
	c2 = 2
)

var V1, v2 = 1, 2

func F() {}

func f() {}
