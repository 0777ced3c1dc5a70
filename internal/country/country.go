// Package country resolves country names and ISO 3166 codes, whatever the
// spelling a sanctions list uses ("Korea, North", "North Korea", KP and PRK
// are one country). The table is generated from the iso-codes project's
// ISO 3166-1 and 3166-3 data (Debian package iso-codes 4.15; see
// gen_table.go), with the common names and list spellings of aliases.go.
package country

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

//go:generate go run gen_table.go

type entry struct {
	alpha2, alpha3 string
	names          []string
}

var (
	byName   = map[string]string{} // normalised name -> alpha-2
	byAlpha3 = map[string]string{}
	names    = map[string]string{} // alpha-2 -> short name
)

func init() {
	add := func(es []entry) {
		for _, e := range es {
			if _, ok := names[e.alpha2]; !ok {
				names[e.alpha2] = e.names[0]
			}
			byAlpha3[e.alpha3] = e.alpha2
			for _, n := range e.names {
				if k := Normalize(n); k != "" {
					if _, ok := byName[k]; !ok {
						byName[k] = e.alpha2
					}
				}
			}
		}
	}
	add(iso3166)
	add(iso3166Former)
	for n, c := range aliases {
		byName[Normalize(n)] = c
	}
	for c, n := range userAssigned {
		names[c] = n
		byName[Normalize(n)] = c
	}
}

// Normalize folds a country name for comparison: lower case, accents and
// punctuation dropped, "Korea, North" read as "north korea", "Iran (Islamic
// Republic of)" as "islamic republic of iran", a leading "the" and a
// "Region:" label dropped.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.EqualFold(strings.TrimSpace(s[:i]), "region") {
		s = s[i+1:]
	}
	if i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')'); i > 0 && j > i {
		s = s[i+1:j] + " " + s[:i] + s[j+1:]
	}
	if strings.Count(s, ",") == 1 {
		i := strings.IndexByte(s, ',')
		s = s[i+1:] + " " + s[:i]
	}
	var b strings.Builder
	space := true
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	out := strings.TrimSpace(b.String())
	out = strings.TrimPrefix(out, "the ")
	return out
}

// Code returns the ISO 3166 alpha-2 code of a country given by its alpha-2
// or alpha-3 code or by a name (official, short, common, or a spelling the
// sanctions lists use), in any letter case.
func Code(s string) (string, bool) {
	k := Normalize(s)
	if k == "" {
		return "", false
	}
	if c, ok := byName[k]; ok {
		return c, true
	}
	u := strings.ToUpper(k)
	switch len(u) {
	case 2:
		if _, ok := names[u]; ok {
			return u, true
		}
	case 3:
		if c, ok := byAlpha3[u]; ok {
			return c, true
		}
	}
	return "", false
}

// Name returns the short name of an alpha-2 code ("" when unknown).
func Name(code string) string { return names[strings.ToUpper(code)] }
