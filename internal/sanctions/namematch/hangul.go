package namematch

// Hangul is romanised syllable by syllable, each syllable a token, in the
// McCune–Reischauer style the sanctions lists use for Korean names (breves
// dropped: 김정은 is KIM JONG UN, 최룡해 CHOE RYONG HAE, 박 PAK, 리/이 RI).
// Revised Romanization spellings (Gim, Jeong, Eun, Choi, Park, Lee) reach
// these through the variant table and the phonetic skeleton, which merges
// voicing (k/g, t/d, p/b, ch/j).

const (
	hangulFirst = 0xAC00
	hangulLast  = 0xD7A3
)

var (
	hangulInitial = [19]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	hangulMedial  = [21]string{"a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i"}
	hangulFinal   = [28]string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// isHangul reports whether r is a precomposed Hangul syllable.
func isHangul(r rune) bool { return r >= hangulFirst && r <= hangulLast }

// hangulVoiced are the initials k, t, p voiced between voiced sounds.
var hangulVoiced = map[string]string{"k": "g", "t": "d", "p": "b"}

// hangulSyllable romanises one syllable; pos is its place in the word and
// prev the syllable before it. The first (a name's surname) reads 이 and 리
// as RI, as the lists write the surname. From the third syllable on (inside
// a given name: 리만건 is RI MAN GON) k, t and p after a vowel or n, m, ng,
// l are voiced, as in McCune–Reischauer.
func hangulSyllable(r rune, pos int, prev rune) string {
	n := int(r - hangulFirst)
	ini, med, fin := n/(21*28), n%(21*28)/28, n%28
	if pos == 0 && (r == '이' || r == '리') {
		return "ri"
	}
	in := hangulInitial[ini]
	if pos >= 2 && isHangul(prev) {
		switch hangulFinal[int(prev-hangulFirst)%28] {
		case "", "n", "m", "ng", "l":
			if v, ok := hangulVoiced[in]; ok {
				in = v
			}
		}
	}
	return in + hangulMedial[med] + hangulFinal[fin]
}
