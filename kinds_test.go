package ring_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/descriptor"
)

type Account struct {
	ID   int
	Name string
	runs *counter
}

func (a *Account) RingKey() string { return "acct" + strconv.Itoa(a.ID) }

func (a *Account) Balance(ctx context.Context, currency string) (string, error) {
	a.runs.add()
	return fmt.Sprintf("%s:%d:%s", a.Name, a.ID, currency), nil
}

func (a *Account) Profile(ctx context.Context) (string, error) {
	a.runs.add()
	return a.Name, nil
}

func (a *Account) Limits(ctx context.Context, kind string, n int) (int, error) {
	a.runs.add()
	return len(kind) * n, nil
}

// Kind has RingKey on the value: both Kind and *Kind have it.
type Plan struct{ Tier string }

func (p Plan) RingKey() string { return p.Tier }

func (p Plan) Price(ctx context.Context, months int) (int, error) { return months * len(p.Tier), nil }

// Legacy has RingKey only on the pointer.
type Legacy struct{ ID int }

func (l *Legacy) RingKey() string { return strconv.Itoa(l.ID) }

func (l Legacy) Name(ctx context.Context, x int) (string, error) { return "", nil }

// Keyless has no RingKey at all.
type Keyless struct{}

func (Keyless) Name(ctx context.Context, x int) (string, error) { return "", nil }

// Shape is an interface receiver for class functions.
type Shape interface{ Sides() int }

type Square struct{}

func (Square) Sides() int { return 4 }

type Triangle struct{}

func (Triangle) Sides() int { return 3 }

func TestMethodKeyedByRingKey(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Method1((*Account).Balance))
	require.Equal(t, descriptor.Method, r.Untyped().Kind())
	a := &Account{ID: 42, Name: "ann", runs: &runs}
	same := &Account{ID: 42, Name: "changed", runs: &runs}

	v, err := r.Call(a, ctx, "EUR")
	require.NoError(t, err)
	require.Equal(t, "ann:42:EUR", v)
	v, err = r.Call(same, ctx, "EUR")
	require.NoError(t, err)
	require.Equal(t, "ann:42:EUR", v, "the key is RingKey(), not the pointer")
	require.EqualValues(t, 1, runs.get())

	key, err := r.Bind(a).Key("EUR")
	require.NoError(t, err)
	require.Equal(t, "github.com/ringcache/ring_test.Account.Balance:acct42:EUR", key)

	// The wire: the same entries, without the receiver.
	w := r.Bind(same)
	v, found, err := w.Get(ctx, "EUR")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "ann:42:EUR", v)
	v, err = w.Update(ctx, "EUR")
	require.NoError(t, err)
	require.Equal(t, "changed:42:EUR", v)
	wk, _ := w.Key("EUR")
	require.Equal(t, key, wk)
	require.NoError(t, w.Delete(ctx, "EUR"))
	ok, _ := r.Bind(a).Has(ctx, "EUR")
	require.False(t, ok)

	// Wire bulk forms.
	vals, err := w.Many().GetOrUpdate(ctx, []string{"USD", "JPY"})
	require.NoError(t, err)
	require.Equal(t, []string{"changed:42:USD", "changed:42:JPY"}, vals)
	has, err := r.Many().Has(ctx, []ring.Args2[*Account, string]{{a, "USD"}, {a, "GBP"}})
	require.NoError(t, err)
	require.Equal(t, []bool{true, false}, has)
	v2, err := w.Untyped().Run(ctx, "get", a, "USD") // the whole ring's view: the receiver first
	require.NoError(t, err)
	require.Equal(t, "changed:42:USD", v2)

	// Two arguments.
	m2 := ring.Must(ring.Method2((*Account).Limits))
	n, err := m2.Bind(a).Call(ctx, "day", 2)
	require.NoError(t, err)
	require.Equal(t, 6, n)
	k2, _ := m2.Bind(a).Key("day", 2)
	require.Equal(t, "github.com/ringcache/ring_test.Account.Limits:acct42:day:2", k2)
	ns, _, err := m2.Bind(a).Many().Get(ctx, []ring.Args2[string, int]{{"day", 2}, {"week", 1}})
	require.NoError(t, err)
	require.Equal(t, []int{6, 0}, ns)

	// Value receivers with RingKey on the value.
	p := ring.Must(ring.Method1(Plan.Price))
	pk, _ := p.Bind(Plan{Tier: "gold"}).Key(3)
	require.Equal(t, "github.com/ringcache/ring_test.Plan.Price:gold:3", pk)
}

func TestPropertyAndClass(t *testing.T) {
	ctx := context.Background()
	var runs counter
	prop := ring.Must(ring.Property((*Account).Profile))
	require.Equal(t, descriptor.Property, prop.Untyped().Kind())
	a := &Account{ID: 7, Name: "bo", runs: &runs}
	v, err := prop.Bind(a).Call(ctx)
	require.NoError(t, err)
	require.Equal(t, "bo", v)
	k, _ := prop.Bind(a).Key()
	require.Equal(t, "github.com/ringcache/ring_test.Account.Profile:acct7", k)
	// Bulk over receivers.
	b := &Account{ID: 8, Name: "cy", runs: &runs}
	vals, err := prop.Many().GetOrUpdate(ctx, []*Account{a, b})
	require.NoError(t, err)
	require.Equal(t, []string{"bo", "cy"}, vals)
	require.EqualValues(t, 2, runs.get())

	// Class: keyed by the type, shared by every value.
	cls := ring.Must(ring.Class1((*Account).Balance))
	k1, _ := cls.Bind(a).Key("EUR")
	k2, _ := cls.Bind(b).Key("EUR")
	require.Equal(t, k1, k2)
	require.Equal(t, "github.com/ringcache/ring_test.Account.Balance:ring_test.Account:EUR", k1)

	// Class over an interface: each dynamic type its own key.
	sides := ring.Must(ring.Class0(func(s Shape, ctx context.Context) (int, error) { return s.Sides(), nil }, ring.KeyPrefix("sides")))
	ks, _ := sides.Bind(Square{}).Key()
	kt, _ := sides.Bind(Triangle{}).Key()
	require.Equal(t, "sides:ring_test.Square", ks)
	require.Equal(t, "sides:ring_test.Triangle", kt)
	n, err := sides.Call(Triangle{}, ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	// New classifies a method expression by itself.
	u := ring.Must(ring.New((*Account).Profile))
	require.Equal(t, descriptor.Property, u.Kind())
	u2 := ring.Must(ring.New((*Account).Balance))
	require.Equal(t, descriptor.Method, u2.Kind())
	uk, err := u2.Key(a, "EUR")
	require.NoError(t, err)
	tk, _ := ring.Must(ring.Method1((*Account).Balance)).Bind(a).Key("EUR")
	require.Equal(t, tk, uk, "typed and untyped rings agree on keys")
	uc := ring.Must(ring.NewKind(descriptor.Class, (*Account).Balance))
	uck, _ := uc.Key(a, "EUR")
	require.Equal(t, k1, uck)
}

func TestShapeErrors(t *testing.T) {
	var de *descriptor.Error

	// Method value: rejected, with the method expression to use instead.
	a := &Account{}
	_, err := ring.New(a.Balance)
	require.ErrorAs(t, err, &de)
	require.ErrorContains(t, err, "a method value hides its receiver")
	require.ErrorContains(t, err, "pass the method expression (*Account).Balance")

	// Receiver without RingKey, with a hint when only *T has it.
	_, err = ring.Method1(Legacy.Name)
	require.ErrorAs(t, err, &de)
	require.Equal(t, 1, de.Pos)
	require.Regexp(t, `^ring: github.com/ringcache/ring_test.Legacy.Name \(.*kinds_test.go:\d+\): parameter 1 \(ring_test.Legacy\): the receiver has no RingKey\(\) string method`, err.Error())
	require.ErrorContains(t, err, "only *ring_test.Legacy has RingKey(): pass the method expression on the pointer, (*Legacy).Name")
	_, err = ring.Method1(Keyless.Name)
	require.ErrorContains(t, err, "add func (ring_test.Keyless) RingKey() string, or use a KeyFunc option")

	// Unkeyable parameter types, named by position.
	_, err = ring.Func2(func(ctx context.Context, a string, ch chan int) (int, error) { return 0, nil })
	require.ErrorAs(t, err, &de)
	require.Equal(t, 3, de.Pos)
	require.ErrorContains(t, err, "parameter 3 (chan int): type chan int is not keyable: it is a chan")
	_, err = ring.New(func(a int, f func()) int { return 0 })
	require.ErrorContains(t, err, "parameter 2 (func()): type func() is not keyable: it is a func")

	// Not a function, nil, bad results, two contexts.
	_, err = ring.New(42)
	require.EqualError(t, err, "ring: int value: not a function")
	_, err = ring.New(nil)
	require.ErrorContains(t, err, "not a function: got nil")
	var nilFn func(int) int
	_, err = ring.New(nilFn)
	require.ErrorContains(t, err, "nil func")
	_, err = ring.New(func(int) error { return nil })
	require.ErrorContains(t, err, "returns only an error")
	_, err = ring.New(func(int) (int, int) { return 0, 0 })
	require.ErrorContains(t, err, "the second result must be error, got int")
	_, err = ring.New(func(int) {})
	require.ErrorContains(t, err, "got 0 results")
	_, err = ring.New(func(a, b context.Context) int { return 0 })
	require.ErrorContains(t, err, "parameter 2 (context.Context): a second context.Context (the first is parameter 1)")

	// A property takes only the receiver.
	_, err = ring.NewKind(descriptor.Property, (*Account).Balance)
	require.ErrorContains(t, err, "parameter 3 (string): a property takes only the receiver")
	// A method needs a receiver first.
	_, err = ring.NewKind(descriptor.Method, func(ctx context.Context, a int) int { return 0 })
	require.ErrorContains(t, err, "a method needs the receiver as its first parameter")
	require.True(t, errors.As(err, &de))
}

type guest struct{ name string }

func (g *guest) posts(ctx context.Context, page int) (string, error) {
	return g.name + strconv.Itoa(page), nil
}

func TestReviewFixes(t *testing.T) {
	ctx := context.Background()

	// An unexported method expression is a method: it needs a RingKey...
	_, err := ring.New((*guest).posts)
	require.ErrorContains(t, err, "ring_test.guest.posts")
	require.ErrorContains(t, err, "the receiver has no RingKey() string method")
	// ...unless a KeyFunc builds the key.
	r, err := ring.Method1((*guest).posts, ring.KeyFunc(func(args ...any) string {
		return args[0].(*guest).name + "/" + strconv.Itoa(args[1].(int))
	}))
	require.NoError(t, err)
	k, err := r.Bind(&guest{name: "g"}).Key(2)
	require.NoError(t, err)
	require.Equal(t, "github.com/ringcache/ring_test.guest.posts:g/2", k)

	// Run("set") on a method ring's untyped view puts the receiver after
	// the value.
	a := &Account{ID: 5, Name: "e", runs: &counter{}}
	m := ring.Must(ring.Method1((*Account).Balance))
	_, err = m.Bind(a).Untyped().Run(ctx, "set", "set through the wire", a, "EUR")
	require.NoError(t, err)
	v, err := m.Call(a, ctx, "EUR")
	require.NoError(t, err)
	require.Equal(t, "set through the wire", v)
	// Method rings take the receiver first, as Call does.
	require.NoError(t, m.Bind(a).Set(ctx, "set on the ring", "USD"))
	v, _, _ = m.Bind(a).Get(ctx, "USD")
	require.Equal(t, "set on the ring", v)

	// Untyped rings from New check values against the result type.
	u := ring.Must(ring.New(func(a, b int) int { return a + b }, ring.KeyPrefix("sum")))
	require.EqualError(t, u.Set(ctx, "str", 1, 2), "ring: github.com/ringcache/ring_test.TestReviewFixes.func2: set: value is string, want int")
	require.ErrorContains(t, u.Set(ctx, nil, 1, 2), "set: value is nil, want int")
	require.ErrorContains(t, u.Many().Set(ctx, []any{3, "x"}, [][]any{{1, 2}, {2, 2}}), "set many: value 1: value is string, want int")
	_, err = u.Encode(1.5)
	require.ErrorContains(t, err, "encode: value is float64, want int")
	require.NoError(t, u.Set(ctx, 9, 1, 2))
	got, err := u.Call(ctx, 1, 2)
	require.NoError(t, err)
	require.Equal(t, 9, got)

	// One "ring: " prefix per message.
	_, err = ring.Func2(price(&counter{}), ring.Expire(-time.Second), ring.Coder("nope"))
	require.Error(t, err)
	for _, line := range strings.Split(err.Error(), "\n") {
		require.Equal(t, 1, strings.Count(line, "ring: "), line)
		require.Contains(t, line, "price.func")
	}
	_, _, err = u.Many().Get(ctx, [][]any{{1, 2}, {"x", 2}})
	require.Equal(t, 1, strings.Count(err.Error(), "ring: "), err.Error())
	require.ErrorContains(t, err, "argument set 1: parameter 1: got string, want int")
}
