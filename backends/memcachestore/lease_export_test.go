package memcachestore

import (
	"bytes"
	"context"
	"fmt"
)

// VivifyForTest sends "mg <key> v N30", which creates a placeholder for a
// missing key (the meta protocol's vivify-on-miss), and checks that this
// client won it (W flag).
func (m *Store) VivifyForTest(ctx context.Context, key string) error {
	return m.pipe.run(ctx, []string{key},
		func(cn *mcConn, _ []int) error {
			_, err := fmt.Fprintf(cn.w, "mg %s v N30\r\n", key)
			return err
		},
		func(cn *mcConn, _ []int) error {
			line, err := cn.line()
			if err != nil {
				return err
			}
			if !bytes.HasPrefix(line, []byte("VA 0 ")) || !bytes.Contains(line, []byte(" W")) {
				return fmt.Errorf("mg N30 answered %q", line)
			}
			_, err = cn.line() // the empty value's CRLF
			return err
		},
		func() {})
}

// CombinedBatches returns the number of gets of m's autopipelining that
// carried more than one caller's key, over every server.
func CombinedBatches(m *Store) int64 {
	var n int64
	m.pipe.combs.Range(func(_, c any) bool {
		n += c.(*mcCombiner).batches.Load()
		return true
	})
	return n
}
