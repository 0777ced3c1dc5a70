package namematch

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Kim Jong-un", []string{"kim", "jong", "un"}},
		{"KIM, Jong Un", []string{"kim", "jong", "un"}},
		{"Blender.io", []string{"blender", "io"}},
		{"LAZARUS-GROUP", []string{"lazarus", "group"}},
		{"ANGLO-CARIBBEAN CO., LTD.", []string{"anglo", "caribbean", "company", "limited"}},
		// abbreviations of organisation words are expanded
		{"Lazarus Grp", []string{"lazarus", "group"}},
		{"Acme Int'l Corp.", []string{"acme", "international", "corporation"}},
		{"First Natl Bk", []string{"first", "national", "bank"}},
		{"Korea Mfg Co Inc", []string{"korea", "manufacturing", "company", "incorporated"}},
		{"Trade Assn Dept", []string{"trade", "association", "department"}},
		{"C.O. Ind", []string{"company", "industries"}},
		{"Acme L.L.C.", []string{"acme", "llc"}},
		{"BANCO S.A.", []string{"banco", "sa"}},
		{"QEMAT TRADING L L C", []string{"qemat", "trading", "llc"}},
		{"O, Kuk-Ryol", []string{"o", "kuk", "ryol"}},
		{"Müller Çelik Ærø", []string{"muller", "celik", "aero"}},
		{"Al-Qa'ida", []string{"al", "qaida"}},
		{"Евгений Пригожин", []string{"evgeniy", "prigozhin"}},
		{"ЩУКИН Юрий", []string{"shchukin", "yuriy"}},
		{"صدام حسين التكريتي", []string{"sdam", "hsyn", "al", "tkryty"}},
		{"حسن نصر الله", []string{"hsn", "nsr", "allah"}},
		{"عُمَر", []string{"amr"}},
		{"  ", nil},
		{"---", nil},
		{"Ḥusayn", []string{"husayn"}},
		{"Straße 5", []string{"strasse", "5"}},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizeMarksArabic(t *testing.T) {
	toks, mask := tokenize("Kim محمد Jong الظواهري")
	if !reflect.DeepEqual(toks, []string{"kim", "mhmd", "jong", "al", "zwahry"}) || mask != 0b11010 {
		t.Errorf("tokenize: %q mask %b", toks, mask)
	}
}

func TestHangul(t *testing.T) {
	for in, want := range map[string]string{
		"김정은":    "kim jong un",
		"최룡해":    "choe ryong hae",
		"박봉주":    "pak pong ju",
		"이병철":    "ri pyong chol",
		"리영호":    "ri yong ho",
		"김 여정":   "kim yo jong",
		"Kim 정은": "kim jong un",
	} {
		if got := strings.Join(Tokens(in), " "); got != want {
			t.Errorf("Tokens(%q) = %q, want %q", in, got, want)
		}
	}
}
