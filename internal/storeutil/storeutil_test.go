package storeutil

import (
	"strings"
	"testing"
)

func TestQuoteKey(t *testing.T) {
	if got := QuoteKey("a\x00b"); got != `"a\x00b"` {
		t.Errorf("QuoteKey = %s", got)
	}
	long := QuoteKey(strings.Repeat("k", 1000))
	if len(long) > 200 || !strings.Contains(long, "(1000 bytes)") {
		t.Errorf("QuoteKey of a long key = %s", long)
	}
}
