package backends_test

import (
	"fmt"

	"github.com/ringcache/ring/backends"
)

// ExampleNewConcurrent keeps two entries at most: the third write evicts
// the entry that was not read since it was written.
func ExampleNewConcurrent() {
	s, err := backends.NewConcurrent[int](2, backends.OnEvictKey(func(key string) {
		fmt.Println("evicted", key)
	}))
	if err != nil {
		panic(err)
	}
	_ = s.Store("a", 1, 0)
	_ = s.Store("b", 2, 0)
	if v, ok := s.Load("a"); ok { // a is read: it survives the clock hand's pass
		fmt.Println("a =", v)
	}
	_ = s.Store("c", 3, 0)
	fmt.Println("held:", s.Len(), "evictions:", s.Evictions())
	// Output:
	// a = 1
	// evicted b
	// held: 2 evictions: 1
}
