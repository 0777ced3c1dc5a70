package namematch

import (
	"strings"
	"unicode"
	"unicode/utf8"

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

// arabic maps Arabic (and Persian) letters to Latin consonants, as the
// script writes them: short vowels are not written, so "محمد" is "mhmd".
// Transliterated tokens are matched on their consonants (see consonants).
var arabic = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ب': "b", 'ت': "t", 'ث': "th",
	'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "dh", 'ر': "r", 'ز': "z",
	'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z", 'ع': "a",
	'غ': "gh", 'ف': "f", 'ق': "q", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n",
	'ه': "h", 'ة': "a", 'و': "w", 'ي': "y", 'ى': "a", 'ء': "", 'ؤ': "", 'ئ': "",
	'پ': "p", 'چ': "ch", 'ژ': "zh", 'گ': "g", 'ک': "k", 'ی': "y", 'ـ': "",
}

// arabicMark precedes the transliteration of an Arabic letter inside fold's
// output, so that tokenize can flag the token.
const arabicMark = '\uE000'

// special maps Latin letters that NFKD does not decompose.
var special = map[rune]string{
	'ß': "ss", 'æ': "ae", 'ø': "o", 'ł': "l", 'đ': "d", 'ı': "i", 'œ': "oe",
	'þ': "th", 'ð': "d", 'ħ': "h", 'ŀ': "l",
}

// fold lower-cases s, transliterates Cyrillic and Hangul (hangul.go), decomposes it (NFKD) and drops
// combining marks, so "Müller" and "MULLER", "Ерёменко" and "Eremenko" agree.
func fold(s string) string {
	// Transliterate first: NFKD would split "й" into "и" and a breve.
	var pre strings.Builder
	pre.Grow(len(s))
	rs := []rune(strings.ToLower(s))
	hpos := 0 // place of a Hangul syllable in its word
	for i, r := range rs {
		if t, ok := arabic[r]; ok {
			// The article al- written joined: "التكريتي" is "al tkryty";
			// but "الله" (Allah) is a word.
			wordStart := i == 0 || !unicode.IsLetter(rs[i-1])
			if r == 'ا' && wordStart && i+3 < len(rs) && rs[i+1] == 'ل' && rs[i+2] == 'ل' && rs[i+3] == 'ه' && (i+4 == len(rs) || !unicode.IsLetter(rs[i+4])) {
				pre.WriteString(string(arabicMark) + "allah")
				rs[i+1], rs[i+2], rs[i+3] = 0, 0, 0
				continue
			}
			if r == 'ا' && wordStart && i+3 < len(rs) && rs[i+1] == 'ل' {
				pre.WriteString(string(arabicMark) + "al ")
				rs[i+1] = 0 // consumed
				continue
			}
			pre.WriteRune(arabicMark)
			pre.WriteString(t)
			continue
		}
		if r == 0 {
			continue
		}
		if isHangul(r) {
			// One token per syllable, as the lists write Korean names.
			if i == 0 || !isHangul(rs[i-1]) {
				hpos = 0
			}
			var prev rune
			if i > 0 {
				prev = rs[i-1]
			}
			pre.WriteString(" " + hangulSyllable(r, hpos, prev) + " ")
			hpos++
			continue
		}
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
	toks, _ := tokenize(s)
	return toks
}

// tokenize is Tokens, also saying which tokens were written in Arabic
// script (bit i of the mask for token i, up to 64).
func tokenize(s string) ([]string, uint64) {
	var toks []string
	var arab []bool
	var cur strings.Builder
	curArab := false
	emit := func() {
		if cur.Len() > 0 {
			toks = append(toks, capToken(cur.String()))
			arab = append(arab, curArab)
			cur.Reset()
		}
		curArab = false
	}
	for _, r := range fold(s) {
		switch {
		case r == arabicMark:
			curArab = true
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
	var mask uint64
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && isSingleLetter(toks[j]) {
			j++
		}
		if arab[i] && len(out) < 64 {
			mask |= 1 << len(out)
		}
		if j-i >= 2 {
			out = append(out, expand(capToken(strings.Join(toks[i:j], "")), arab[i]))
			i = j
			continue
		}
		out = append(out, expand(toks[i], arab[i]))
		i++
	}
	if len(out) == 0 {
		return nil, 0
	}
	return out, mask
}

// maxTokenLen bounds a token (bytes): no name holds a longer word, and the
// keys of a token (its deletions) grow with the square of its length.
const maxTokenLen = 64

// capToken cuts t to maxTokenLen bytes at a character boundary.
func capToken(t string) string {
	if len(t) <= maxTokenLen {
		return t
	}
	cut := maxTokenLen
	for cut > 0 && !utf8.RuneStart(t[cut]) {
		cut--
	}
	return t[:cut]
}

// abbreviations maps common abbreviations of organisation words to the word,
// so that "Lazarus Grp" and "LAZARUS GROUP", "Acme Intl Corp" and "ACME
// INTERNATIONAL CORPORATION" agree. The expanded word keeps its class (legal
// form or common word) and so its low weight.
var abbreviations = map[string]string{
	"co": "company", "cos": "companies", "corp": "corporation", "inc": "incorporated",
	"ltd": "limited", "grp": "group", "intl": "international", "bk": "bank",
	"bnk": "bank", "assn": "association", "assoc": "association",
	"dept": "department", "mfg": "manufacturing", "ind": "industries",
	"inds": "industries", "natl": "national", "svc": "services", "svcs": "services",
	"mgmt": "management", "hldg": "holding", "hldgs": "holdings",
	"bros": "brothers", "inst": "institute", "ent": "enterprises",
	"entp": "enterprises", "tradg": "trading", "trdg": "trading",
}

// shortForms are the abbreviations also indexed inside joined tokens, so that
// a query written "PROJECTSLTD" still finds PROJECTS LTD (read as "projects
// limited").
var shortForms = map[string]string{
	"company": "co", "corporation": "corp", "incorporated": "inc", "limited": "ltd",
	"group": "grp", "international": "intl",
}

// shortForm returns the usual abbreviation of an organisation word, or t.
func shortForm(t string) string {
	if a, ok := shortForms[t]; ok {
		return a
	}
	return t
}

// expand replaces an abbreviation of a Latin-script token by its word.
func expand(t string, arabicScript bool) string {
	if arabicScript {
		return t
	}
	if w, ok := abbreviations[t]; ok {
		return w
	}
	return t
}

func isSingleLetter(t string) bool {
	r := []rune(t)
	return len(r) == 1 && unicode.IsLetter(r[0])
}
