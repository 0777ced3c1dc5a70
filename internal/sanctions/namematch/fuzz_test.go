package namematch

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Any input is screened without panicking; scores stay in [0,1], sorted.
func FuzzSearch(f *testing.F) {
	ix := Build(testRecords())
	for _, s := range []string{
		"Kim Jong-un", "", " ", "L.L.C.", "'''", "a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb",
		"Евгений", "\xff\xfe", "ß", "JSCARGUMENT", "0x12", strings.Repeat("lazarus ", 40), "ǅ ǈ ǋ", "\u0301\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, tok := range Tokens(q) {
			if tok == "" || !utf8.ValidString(tok) && utf8.ValidString(q) {
				t.Fatalf("Tokens(%q) has token %q", q, tok)
			}
		}
		hits := ix.Search(q, Options{MinScore: 0.3, Limit: -1})
		for i, h := range hits {
			if h.Score < 0.3 || h.Score > 1 {
				t.Fatalf("%q: score %v", q, h.Score)
			}
			if i > 0 && h.Score > hits[i-1].Score {
				t.Fatalf("%q: not sorted", q)
			}
		}
	})
}
