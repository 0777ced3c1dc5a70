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
// and runs of single letters joined ("L.L.C." and "L L C" are "llc").
func Tokens(s string) []string {
	var toks []string
	var cur strings.Builder
	emit := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range fold(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(r)
		case r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == 'ʻ' || r == '‘':
			// apostrophes join: "Qa'ida" is "qaida"
		default:
			emit()
		}
	}
	emit()
	// Join runs of single letters.
	out := toks[:0]
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && isSingleLetter(toks[j]) {
			j++
		}
		if j-i >= 2 {
			out = append(out, strings.Join(toks[i:j], ""))
			i = j
			continue
		}
		out = append(out, toks[i])
		i++
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func isSingleLetter(t string) bool {
	r := []rune(t)
	return len(r) == 1 && unicode.IsLetter(r[0])
}
