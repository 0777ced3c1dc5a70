package namematch

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// cyrillic maps lower-case Cyrillic letters (Russian, Ukrainian, Belarusian)
// to Latin, close to the BGN/PCGN romanisation OFAC and the UN use.
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
	'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u",
}

// special maps Latin letters that NFKD does not decompose.
var special = map[rune]string{
	'ß': "ss", 'æ': "ae", 'ø': "o", 'ł': "l", 'đ': "d", 'ı': "i", 'œ': "oe",
	'þ': "th", 'ð': "d", 'ħ': "h", 'ŀ': "l",
}

// fold lower-cases s, transliterates Cyrillic, decomposes it (NFKD) and drops
// combining marks, so "Müller" and "MULLER", "Ерёменко" and "Eremenko" agree.
func fold(s string) string {
	// Transliterate first: NFKD would split "й" into "и" and a breve.
	var pre strings.Builder
	pre.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if t, ok := cyrillic[r]; ok {
			pre.WriteString(t)
		} else if t, ok := special[r]; ok {
			pre.WriteString(t)
		} else {
			pre.WriteRune(r)
		}
	}
	var b strings.Builder
	b.Grow(pre.Len())
	for _, r := range norm.NFKD.String(pre.String()) {
		if t, ok := special[r]; ok {
			b.WriteString(t)
		} else if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Tokens returns the normalised tokens of a name: folded, split on anything
// that is not a letter or digit, apostrophes removed ("Sana'a" is "sanaa"),
// and dotted single-letter runs joined ("L.L.C." is "llc").
func Tokens(s string) []string {
	f := fold(s)
	var toks []string
	var cur strings.Builder
	var prevSep rune // separator before the current token
	var single []string
	flushSingles := func() {
		if len(single) > 1 {
			toks = append(toks, strings.Join(single, ""))
		} else if len(single) == 1 {
			toks = append(toks, single[0])
		}
		single = single[:0]
	}
	var sepBefore rune = ' '
	emit := func(next rune) {
		if cur.Len() == 0 {
			return
		}
		t := cur.String()
		cur.Reset()
		// A single letter followed or preceded by '.' belongs to a dotted run.
		if len([]rune(t)) == 1 && (next == '.' || (sepBefore == '.' && len(single) > 0)) {
			single = append(single, t)
			return
		}
		if len(single) > 0 && sepBefore == '.' && len([]rune(t)) == 1 {
			single = append(single, t)
			return
		}
		flushSingles()
		toks = append(toks, t)
	}
	for _, r := range f {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if cur.Len() == 0 {
				sepBefore = prevSep
			}
			cur.WriteRune(r)
			prevSep = 0
		case r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == 'ʻ' || r == '‘':
			// apostrophes join: "Qa'ida" is "qaida"
		default:
			emit(r)
			if prevSep != '.' {
				prevSep = r
			}
		}
	}
	emit(' ')
	flushSingles()
	return toks
}
