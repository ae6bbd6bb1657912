// Package msgpackcoder is ring's MessagePack coder, in a package of its own
// so that only the programs that import it link
// github.com/vmihailenco/msgpack/v5.
//
// Importing it registers [Coder] as "msgpack" in coders.Default, so that
// ring.Coder("msgpack"), ring.Coder("msgpack+s2") and
// coders.Open("msgpack+zstd://?level=3") find it; a blank import is enough:
//
//	import _ "github.com/ringcache/ring/coders/msgpackcoder"
package msgpackcoder
