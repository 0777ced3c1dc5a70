package namematch

import "strings"

// legalForms are company legal forms and connecting words. They say nothing
// about who a party is, so they weigh almost nothing in a score.
var legalForms = setOf(
	"co", "corp", "corporation", "company", "cie", "cia", "inc", "incorporated",
	"ltd", "limited", "ltda", "llc", "lp", "llp", "plc", "gmbh", "ag", "kg",
	"sa", "sas", "sarl", "srl", "spa", "sl", "bv", "nv", "ab", "oy", "pte", "pty",
	"pvt", "private", "public", "jsc", "ojsc", "pjsc", "cjsc", "ao", "oao", "pao",
	"zao", "ooo", "tov", "fze", "fzco", "fzc", "fzllc", "fz", "dmcc", "sdn", "bhd",
	"tbk", "sac", "cv", "de", "of", "the", "and", "for", "y", "et", "und",
	"ou", "uab", "sia", "doo", "dd", "ad", "eood", "sp", "zoo", "kft", "zrt",
	"sro", "pt", "se", "sti", "sal", "wll", "psc", "qsc", "bsc", "ksc", "mmc",
	"ltd", "ooo", "gie", "kk", "ii", "i",
)

// genericWords are common words in organisation names: they count, but at
// half their IDF weight, so "ABC TRADING" does not hit every "… TRADING".
var genericWords = setOf(
	"trading", "trade", "traders", "bank", "banco", "banque", "group", "groupe",
	"international", "intl", "shipping", "holding", "holdings", "industries",
	"industry", "industrial", "enterprise", "enterprises", "investment",
	"investments", "services", "service", "general", "commercial", "import",
	"export", "management", "technology", "technologies", "tech", "petroleum",
	"oil", "gas", "energy", "maritime", "marine", "logistics", "global",
	"development", "construction", "engineering", "consulting", "finance",
	"financial", "capital", "partners", "solutions", "systems", "foundation",
	"association", "organization", "organisation", "agency", "center", "centre",
	"institute", "national", "state", "joint", "stock", "establishment", "est",
	"exchange", "office", "bureau", "ministry", "department", "firm", "fund",
	"united", "golden", "gold", "star", "first", "new", "eastern", "western",
	"northern", "southern", "world", "universal", "royal", "modern", "great",
	"business", "products", "supply", "manufacturing", "factory", "house",
	"companies", "brothers",
)

// geoWords are geographic words that qualify an organisation name ("GARANTEX
// EUROPE OU", "… MIDDLE EAST FZE", "… ASIA PACIFIC LTD"): like common words
// they weigh half their IDF, so a query of the distinctive head of such a
// name ("Garantex") still finds it.
var geoWords = setOf(
	"europe", "european", "euro", "eurasia", "eurasian", "asia", "asian",
	"africa", "african", "america", "american", "americas", "latin", "middle",
	"east", "far", "near", "north", "south", "west", "pacific", "atlantic",
	"gulf", "baltic", "caspian", "mediterranean", "scandinavia", "nordic",
	"orient", "oriental", "continental", "overseas", "central", "asiapacific",
	"mena", "emea", "apac", "intercontinental", "transcontinental", "eurasia",
)

// particles are name particles (Arabic al/bin/abu, Romance de/da, Germanic
// van/von): low weight, but still matched.
var particles = setOf(
	"al", "el", "ul", "ud", "bin", "ben", "ibn", "bint", "abu", "abou", "bou",
	"da", "di", "del", "della", "der", "den", "du", "des", "la", "le", "van",
	"von", "dos", "das", "do", "ter", "mac", "mc", "st", "ait", "ould", "haji", "hajji",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// variants maps a spelling to a canonical transliteration variant. It holds
// the equivalences a phonetic skeleton cannot see (Korean surnames spelled
// from different romanisations, Arabic "ibn"/"bin", abbreviations).
var variants = func() map[string]string {
	groups := [][]string{
		// Korean (McCune-Reischauer, Revised Romanization, common spellings)
		{"ri", "lee", "yi", "rhee", "li", "i", "rhie", "rie"},
		{"pak", "park", "bak", "pack", "bahk"},
		{"choe", "choi", "chwe", "choy", "che", "tsoi", "tsoy"},
		{"rim", "lim", "im", "yim"},
		{"ryu", "yu", "yoo", "ryoo", "you"},
		{"ro", "roh", "no", "noh"},
		{"ryang", "yang"},
		{"o", "oh"},
		{"ryo", "yeo", "yo", "yoh"},
		{"kim", "gim", "ghim"},
		{"un", "eun", "oon"},
		{"jong", "jeong", "chong", "chung", "jung", "joung"},
		{"song", "sung", "seong"},
		{"kang", "gang"},
		{"ko", "go", "koh"},
		{"jo", "cho", "joh", "tcho"},
		// Arabic
		{"muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mohamad", "muhamad", "mohd", "mhd", "mohammod", "mokhammed", "muhamed", "mehmet", "mehmed"},
		{"bin", "ibn", "ben", "bn"},
		{"abdul", "abdel", "abdal", "abd", "abdol", "abdoul", "abdulla", "abdullah", "abdallah", "abdellah"},
		{"husayn", "hussein", "hossein", "husain", "hussain", "husein", "hosein", "hussayn", "hoseyn", "huseyin"},
		{"hasan", "hassan", "hasson", "hassen"},
		{"qaida", "qaeda", "qa'ida", "kaida", "qaidah"},
		{"usama", "osama", "ousama", "oussama"},
		{"yusuf", "yousef", "youssef", "yousuf", "yusef", "yussuf", "joussef"},
		{"umar", "omar", "omer"},
		{"said", "saeed", "sayed", "sayyid", "saiyid", "saied", "sayid", "seyed", "seyyed", "sayyed"},
		{"jafar", "jaafar", "jafer", "djafar", "jaffar"},
		{"qasim", "qassem", "kassem", "qasem", "kasim", "qassim", "ghasem"},
		{"nasir", "nasser", "naser", "nassir", "nasr"},
		{"sulayman", "suleiman", "sulaiman", "soleiman", "suleyman", "soleimani", "sulaymani"},
		{"zaid", "zayd", "zeid", "zeyd"},
		{"abu", "abou", "abo"},
		{"al", "el", "ul"},
		{"ali", "aly", "alee"},
		// Russian
		{"aleksandr", "alexander", "alexandr", "aleksander", "oleksandr"},
		{"yevgeniy", "evgeny", "evgeniy", "yevgeny", "evgenii", "yevgenii", "evgueni", "eugene"},
		{"yuriy", "yuri", "yury", "iurii", "jurij", "yurii", "iouri"},
		{"dmitriy", "dmitry", "dmitri", "dmitrii", "dimitri", "dmytro"},
		{"mikhail", "michail", "mikhael", "mykhailo"},
		{"nikolay", "nikolai", "nicolai", "mykola"},
		{"andrey", "andrei", "andrii", "andriy"},
		{"aleksey", "alexey", "alexei", "aleksei", "oleksii", "oleksiy"},
		{"sergey", "sergei", "serguei", "sergiy", "serhiy", "serhii"},
		{"pyotr", "petr", "piotr", "petro"},
		{"fyodor", "fedor", "feodor", "fiodor"},
		{"ilya", "ilia", "ilja"},
		{"yelena", "elena", "olena"},
		{"tatyana", "tatiana", "tatjana"},
		{"natalya", "natalia", "nataliya"},
		{"yuliya", "yulia", "julia", "iuliia"},
	}
	m := make(map[string]string)
	for _, g := range groups {
		for _, w := range g {
			m[w] = g[0]
		}
	}
	return m
}()

// canonical returns the canonical variant of tok, or tok itself.
func canonical(tok string) string {
	if c, ok := variants[tok]; ok {
		return c
	}
	return tok
}

// skelRewrites turns spellings that sound alike into one, in order.
var skelRewrites = strings.NewReplacer(
	"shch", "sh", "sch", "sh", "tch", "ch", "dzh", "j", "zh", "j", "dj", "j",
	"ch", "j", "kh", "h", "gh", "g", "ph", "f", "th", "t", "dh", "d", "ck", "k",
	"q", "k", "c", "k", "x", "ks", "w", "f", "v", "f", "tz", "ts", "g", "k", "b", "p",
	"d", "t", "z", "s",
)

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// skeleton is a phonetic key: sound-alike consonants merged, a leading "y"
// before a vowel dropped ("Yevgeny" is "Evgeny"), every run of vowels
// written "a" and repeated letters collapsed. Mohammed, Muhammad and Mohamad
// all give "mahamat"; Husayn and Hossein give "hasan"; Yevgeny and Evgeniy
// give "afkana". Tokens that are not ASCII letters have no skeleton ("").
func skeleton(tok string) string {
	_, skel := sounds(tok)
	return skel
}

// sounds returns tok with sound-alike spellings merged (before the vowels
// are collapsed) and its skeleton.
func sounds(tok string) (sound, skel string) {
	for i := 0; i < len(tok); i++ {
		if tok[i] < 'a' || tok[i] > 'z' {
			return "", ""
		}
	}
	if len(tok) > 1 && tok[0] == 'y' && isVowel(tok[1]) {
		tok = tok[1:]
	}
	s := skelRewrites.Replace(tok)
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isVowel(c) {
			c = 'a'
		}
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	return s, string(out)
}

// minArabicCons is the shortest consonant key that matches an Arabic-script
// token to a Latin one: two, as short names (هنية Haniya, ضيف Deif, أبو Abu)
// have two consonants; a two-consonant agreement scores below a longer one.
const minArabicCons = 2

// consonants is the consonant key of a token: a leading vowel kept as "a",
// other vowels, "w" and "y" dropped (Arabic script does not write short
// vowels and uses و and ي for both), then the skeleton's merges. Saddam and
// صدام ("sdam") both give "stm", Husayn and حسين ("hsyn") "hsn", Ayman and
// أيمن ("aymn") "amn".
func consonants(tok string) string {
	for i := 0; i < len(tok); i++ {
		if tok[i] < 'a' || tok[i] > 'z' {
			return ""
		}
	}
	// Merge sounds on the whole token (digraphs first), "w" read as a vowel.
	m := skelRewrites.Replace(strings.ReplaceAll(tok, "w", "u"))
	out := make([]byte, 0, len(m))
	for i := 0; i < len(m); i++ {
		c := m[i]
		if isVowel(c) {
			if i > 0 {
				continue
			}
			c = 'a' // a leading vowel is written (alif, ayn)
		}
		if len(out) == 0 || out[len(out)-1] != c {
			out = append(out, c)
		}
	}
	return string(out)
}

// deletions returns tok with each single character removed (for tokens of
// five characters or more): two tokens one edit apart share a deletion or
// one is a deletion of the other.
func deletions(tok string) []string {
	if len(tok) < 5 {
		return nil
	}
	out := make([]string, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		d := tok[:i] + tok[i+1:]
		if len(out) > 0 && out[len(out)-1] == d {
			continue
		}
		out = append(out, d)
	}
	return out
}
