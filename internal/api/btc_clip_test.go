package api

import (
	"strings"
	"testing"
)

// A huge bad block id is not echoed whole in the error (a 900 KB id gave a
// 900 KB 400 body).
func TestBadBlockIDQuotedShort(t *testing.T) {
	for _, id := range []string{strings.Repeat("g", 900_000), strings.Repeat("ab", 450_000), "-" + strings.Repeat("1", 900_000)} {
		_, _, err := ParseBlockID(id)
		if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "900001 bytes") && !strings.Contains(err.Error(), "900000 bytes") {
			n := 0
			if err != nil {
				n = len(err.Error())
			}
			t.Errorf("id of %d bytes: error of %d bytes", len(id), n)
		}
	}
	if _, _, err := ParseBlockID("12x"); err == nil || !strings.Contains(err.Error(), `"12x"`) {
		t.Errorf("short bad id not quoted: %v", err)
	}
}
