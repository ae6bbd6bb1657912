package ringkey_test

import (
	"fmt"
	"reflect"
	"time"

	"github.com/ringcache/ring/ringkey"
)

// Build a full key prefix:comp1:comp2:... from arguments of different
// types; reserved bytes inside data are escaped.
func Example() {
	url, _ := ringkey.Typed[string]()
	page, _ := ringkey.Typed[int]()
	since, _ := ringkey.Typed[time.Time]()
	user, _ := ringkey.Typed[*User]()
	tags, _ := ringkey.EncoderOf(reflect.TypeFor[[]string]())

	key := []byte("pkg.Fetch")
	key = append(key, ':')
	key, _ = url(key, "https://example.com/a?b=c")
	key = append(key, ':')
	key, _ = page(key, 2)
	key = append(key, ':')
	key, _ = since(key, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	key = append(key, ':')
	key, _ = user(key, &User{ID: 42})
	key = append(key, ':')
	key, _ = tags(key, reflect.ValueOf([]string{"a,b", ""}))
	fmt.Println(string(key))
	// Output:
	// pkg.Fetch:https\://example.com/a?b\=c:2:2024-01-02T03\:04\:05Z:user\:42:[a\,b,\E]
}

// Nil pointers encode as \N, distinct from a pointer to the zero value.
func ExampleEncoderOf_pointers() {
	enc, _ := ringkey.EncoderOf(reflect.TypeFor[*string]())
	empty := ""
	for _, p := range []*string{nil, &empty} {
		b, _ := enc(nil, reflect.ValueOf(p))
		fmt.Printf("%q\n", b)
	}
	// Output:
	// "\\N"
	// ""
}

// Interface-typed arguments carry their dynamic type.
func ExampleTyped_interface() {
	enc, _ := ringkey.Typed[any]()
	for _, v := range []any{nil, "7", 7, []int{1, 2}} {
		b, _ := enc(nil, v)
		fmt.Println(string(b))
	}
	// Output:
	// \N
	// string(7)
	// int(7)
	// \[\]int([1,2])
}

func ExampleAppendEscaped() {
	fmt.Println(string(ringkey.AppendEscaped(nil, "a:b=[c]")))
	// Output: a\:b\=\[c\]
}
