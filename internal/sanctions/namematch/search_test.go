package namematch

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// testRecords is a small list shaped like the real ones: OFAC-style
// "SURNAME, Given" individuals, entities with legal forms and many
// companies sharing common tokens.
func testRecords() []Record {
	recs := []Record{
		{ID: "kju", Type: "individual", List: "ofac-sdn", Programs: []string{"DPRK2"}, DatesOfBirth: []string{"1984-01-08"}, Countries: []string{"North Korea"},
			Names: []Name{{Text: "KIM, Jong Un", Kind: Primary}}},
		{ID: "kji", Type: "individual", List: "ofac-sdn", Programs: []string{"DPRK"}, Names: []Name{{Text: "KIM, Jong Il", Kind: Primary}}},
		{ID: "pak", Type: "individual", List: "un", Programs: []string{"DPRK"}, Names: []Name{{Text: "PAK, Chol Su", Kind: Primary}}},
		{ID: "ri", Type: "individual", List: "un", Names: []Name{{Text: "RI, Won Ho", Kind: Primary}}},
		{ID: "choe", Type: "individual", List: "un", Names: []Name{{Text: "CHOE, Ryong Hae", Kind: Primary}}},
		{ID: "ubl", Type: "individual", List: "ofac-sdn", Programs: []string{"SDGT"}, Names: []Name{{Text: "BIN LADIN, Usama bin Muhammad bin Awad", Kind: Primary}, {Text: "BIN LADEN, Osama", Kind: Alias}}},
		{ID: "aq", Type: "entity", List: "ofac-sdn", Names: []Name{{Text: "AL QA'IDA", Kind: Primary}}},
		{ID: "husayn", Type: "individual", List: "un", Names: []Name{{Text: "HUSAYN, Abd al-Rahman Muhammad", Kind: Primary}}},
		{ID: "prig", Type: "individual", List: "ofac-sdn", Programs: []string{"RUSSIA-EO14024"}, Names: []Name{{Text: "PRIGOZHIN, Yevgeniy Viktorovich", Kind: Primary}}},
		{ID: "shch", Type: "individual", List: "ofac-sdn", Names: []Name{{Text: "SHCHERBAKOV, Dmitriy", Kind: Primary}}},
		{ID: "khod", Type: "individual", List: "ofac-sdn", Names: []Name{{Text: "KHODORKOVSKY, Mikhail Borisovich", Kind: Primary}}},
		{ID: "tsar", Type: "individual", List: "ofac-sdn", Names: []Name{{Text: "TSAREGORODTSEV, Aleksandr", Kind: Primary}}},
		{ID: "hyong", Type: "individual", List: "un", Names: []Name{{Text: "KANG, Hyong Sik", Kind: Primary}}},
		{ID: "muller", Type: "individual", List: "ofac-sdn", Names: []Name{{Text: "MÜLLER, Jürgen", Kind: Primary}}},
		{ID: "blender", Type: "entity", List: "ofac-sdn", Programs: []string{"CYBER2"}, Names: []Name{{Text: "BLENDER.IO", Kind: Primary}}},
		{ID: "lazarus", Type: "entity", List: "ofac-sdn", Programs: []string{"DPRK3"}, Names: []Name{{Text: "LAZARUS GROUP", Kind: Primary}, {Text: "HIDDEN COBRA", Kind: Weak}}},
		{ID: "argument", Type: "entity", List: "ofac-sdn", Names: []Name{{Text: "JSC ARGUMENT", Kind: Primary}}},
		{ID: "garantex", Type: "entity", List: "ofac-sdn", Names: []Name{{Text: "GARANTEX EUROPE OU", Kind: Primary}}},
		{ID: "gmi", Type: "entity", List: "ofac-sdn", Names: []Name{{Text: "GMI PROJECTS LTD", Kind: Primary}}},
		{ID: "vessel", Type: "vessel", List: "ofac-sdn", Names: []Name{{Text: "OCEAN STAR 7", Kind: Primary}}},
	}
	// Many companies sharing the common tokens, as in the real lists.
	for _, w := range strings.Fields("ALPHA BRAVO DELTA ECHO FOXTROT GOLF HOTEL INDIA JULIET KILO LIMA MIKE NOVEMBER OSCAR PAPA QUEBEC ROMEO SIERRA TANGO UNIFORM") {
		recs = append(recs,
			Record{ID: "t-" + w, Type: "entity", Names: []Name{{Text: w + " TRADING CO., LTD."}}},
			Record{ID: "b-" + w, Type: "entity", Names: []Name{{Text: w + " BANK"}}},
			Record{ID: "c-" + w, Type: "entity", Names: []Name{{Text: w + " INTERNATIONAL SHIPPING CORP"}}},
		)
	}
	return recs
}

func TestSearchBehaviours(t *testing.T) {
	ix := Build(testRecords())
	tests := []struct {
		name  string
		query string
		want  string // expected top hit ID
		how   string // a match kind the explanation must show ("" for any)
	}{
		{"exact", "Kim Jong Un", "kju", howExact},
		{"distinctive head, geographic word and legal form left", "Garantex", "garantex", howExact},
		{"abbreviated common word", "Lazarus Grp", "lazarus", howExact},
		{"abbreviation joined", "GMI PROJECTSLTD", "gmi", howJoined},
		{"hyphenated given name", "Kim Jong-un", "kju", howExact},
		{"reordered", "JONG UN KIM", "kju", howExact},
		{"joined given name", "Kim Jongun", "kju", howJoined},
		{"korean romanisation", "Gim Jeong Eun", "kju", howTranslit},
		{"pak/park", "Park Chol Su", "pak", howTranslit},
		{"ri/lee", "Lee Won Ho", "ri", howTranslit},
		{"choe/choi", "Choi Ryong Hae", "choe", howTranslit},
		{"arabic muhammad", "Usama bin Mohammed bin Awad bin Ladin", "ubl", howTranslit},
		{"arabic alias", "Osama bin Laden", "ubl", howExact},
		{"qaeda/qaida", "Al-Qaeda", "aq", howTranslit},
		{"joined article", "Alqaida", "aq", howJoined},
		{"husayn/hussein", "Abdul Rahman Muhammad Hussein", "husayn", howTranslit},
		{"cyrillic", "Пригожин Евгений Викторович", "prig", howTranslit},
		{"russian ending", "Yevgeny Prigozhin", "prig", howTranslit},
		{"shch", "Dmitry Shcherbakov", "shch", howTranslit},
		{"diacritics", "Jurgen Muller", "muller", howExact},
		{"arabic script", "أسامة بن لادن", "ubl", howArabic},
		{"kh/h, -y/-iy", "Mikhail Hodorkovskiy", "khod", howPhonetic},
		{"sch/shch", "Dmitriy Scherbakov", "shch", howPhonetic},
		{"ts/tz, x/ks", "Alexander Tzaregorodtzev", "tsar", howPhonetic},
		{"-ong/-ung", "Kang Hyung Sik", "hyong", howPhonetic},
		{"dropped middle name", "Yevgeniy Prigozhin", "prig", howExact},
		{"punctuation", "BLENDER IO", "blender", howExact},
		{"joined punctuation", "Blenderio", "blender", howJoined},
		{"hyphen", "LAZARUS-GROUP", "lazarus", howExact},
		{"typo", "Lazarsu Group", "lazarus", howTypo},
		{"joined short token", "JSCARGUMENT", "argument", howJoined},
		{"legal form ignored", "Argument LLC", "argument", howExact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, Options{})
			if len(hits) == 0 {
				t.Fatalf("%q: no hit", tt.query)
			}
			h := hits[0]
			if h.Record.ID != tt.want {
				t.Fatalf("%q: top hit %s %q (%.3f), want %s", tt.query, h.Record.ID, h.MatchedName, h.Score, tt.want)
			}
			if h.Score < DefaultMinScore || h.Score > 1 {
				t.Errorf("%q: score %.3f out of [%.2f,1]", tt.query, h.Score, DefaultMinScore)
			}
			found := false
			for _, m := range h.Explanation.Matches {
				found = found || m.How == tt.how
			}
			if !found {
				t.Errorf("%q: explanation %+v lacks a %q match", tt.query, h.Explanation.Matches, tt.how)
			}
			if h.Explanation.Summary == "" {
				t.Errorf("%q: empty summary", tt.query)
			}
		})
	}
}

func TestSearchRejects(t *testing.T) {
	ix := Build(testRecords())
	for _, q := range []string{
		"ABC TRADING CO LTD", // must not hit every "… TRADING CO., LTD."
		"Zulu Bank",          // nor every "… BANK"
		"International Shipping Corporation",
		"Kim Jong Chol", // a different Kim Jong
		"John Smith",
		"Hassan Rahimi", // Hasan is not Husayn
		"Ocean Star 8",  // numbers match exactly or not at all
		"LLC",
	} {
		if hits := ix.Search(q, Options{}); len(hits) > 0 {
			t.Errorf("%q: hit %s %q %.3f: %s", q, hits[0].Record.ID, hits[0].MatchedName, hits[0].Score, hits[0].Explanation.Summary)
		}
	}
	if hits := ix.Search("   ", Options{}); hits != nil {
		t.Errorf("blank query: %d hits", len(hits))
	}
}

func TestCommonTokensScoreLow(t *testing.T) {
	ix := Build(testRecords())
	hits := ix.Search("ALPHA TRADING CO LTD", Options{MinScore: 0.5, Limit: -1})
	if len(hits) == 0 || hits[0].Record.ID != "t-ALPHA" || hits[0].Score < 0.95 {
		t.Fatalf("ALPHA TRADING CO LTD: hits %+v", hits)
	}
	for _, h := range hits[1:] {
		if strings.HasPrefix(h.Record.ID, "t-") && h.Score >= DefaultMinScore {
			t.Errorf("other trading company %s scored %.3f", h.Record.ID, h.Score)
		}
	}
}

func TestWeakAliasPenalised(t *testing.T) {
	ix := Build(testRecords())
	hits := ix.Search("Hidden Cobra", Options{})
	if len(hits) != 1 || hits[0].MatchedKind != Weak {
		t.Fatalf("Hidden Cobra: %+v", hits)
	}
	if hits[0].Score >= 1 || !strings.Contains(strings.Join(hits[0].Explanation.Penalties, ";"), "weak alias") {
		t.Errorf("weak alias not penalised: %.3f %v", hits[0].Score, hits[0].Explanation.Penalties)
	}
}

func TestFilters(t *testing.T) {
	ix := Build(testRecords())
	tests := []struct {
		opts Options
		want bool
	}{
		{Options{}, true},
		{Options{Types: []string{"individual"}}, true},
		{Options{Types: []string{"entity"}}, false},
		{Options{Programs: []string{"dprk2"}}, true},
		{Options{Programs: []string{"SDGT"}}, false},
		{Options{Lists: []string{"ofac-sdn"}}, true},
		{Options{Lists: []string{"un"}}, false},
		{Options{Countries: []string{"north korea"}}, true},
		{Options{Countries: []string{"France"}}, false},
		{Options{DOB: "1984"}, true},
		{Options{DOB: "1986-05-01"}, false},
		{Options{DOB: "1986", DOBYearTolerance: 2}, true},
	}
	for _, tt := range tests {
		hits := ix.Search("Kim Jong Un", tt.opts)
		got := len(hits) > 0 && hits[0].Record.ID == "kju"
		if got != tt.want {
			t.Errorf("opts %+v: found=%v, want %v", tt.opts, got, tt.want)
		}
	}
	// Records without the attribute pass country and DOB filters.
	if hits := ix.Search("Kim Jong Il", Options{Countries: []string{"France"}, DOB: "1941"}); len(hits) == 0 {
		t.Errorf("record without country/DOB filtered out")
	}
}

func TestOrderingAndLimit(t *testing.T) {
	ix := Build(testRecords())
	hits := ix.Search("ALPHA", Options{MinScore: 0.3, Limit: -1})
	if len(hits) < 3 {
		t.Fatalf("ALPHA: %d hits", len(hits))
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not sorted: %.3f after %.3f", hits[i].Score, hits[i-1].Score)
		}
	}
	if got := ix.Search("ALPHA", Options{MinScore: 0.3, Limit: 2}); len(got) != 2 {
		t.Errorf("limit 2: %d hits", len(got))
	}
}

func BenchmarkSearch(b *testing.B) {
	ix := Build(testRecords())
	qs := []string{"Kim Jong-un", "Gim Jeong Eun", "ABC TRADING CO LTD", "Yevgeny Prigozhin", "Lazarsu Group"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Search(qs[i%len(qs)], Options{})
	}
}

// Candidate generation and the score bound must not lose a hit that
// scoring every name would find (for queries whose tokens reach their
// matches through some key).
func TestPruningAgreesWithExhaustiveScoring(t *testing.T) {
	ix := Build(testRecords())
	queries := []string{
		"Kim Jong Un", "Gim Jeong Eun", "Kim Jongun", "Lazarsu Group", "ALPHA TRADING CO LTD",
		"Osama bin Laden", "Alqaida", "Yevgeny Prigozhin", "JSCARGUMENT", "Hidden Cobra",
		"ECHO BANK", "Bravo International Shipping", "Park Chol Su", "Blenderio",
		"TRADING CO LTD", "INTERNATIONAL SHIPPING", "Bank", "Golf Trading Bank",
		"Garantex", "Garantex Europe", "Europe Garantex", "Lazarus Grp", "GMI PROJECTSLTD",
	}
	for _, qs := range queries {
		for _, min := range []float64{0.5, DefaultMinScore} {
			want := scoreEveryCandidate(ix, qs, min)
			got := map[string]float64{}
			for _, h := range ix.Search(qs, Options{MinScore: min, Limit: -1}) {
				got[h.Record.ID] = h.Score
			}
			for id, s := range want {
				if got[id] != s {
					t.Errorf("%q at %.2f: %s scores %.4f exhaustively, search gave %.4f", qs, min, id, s, got[id])
				}
			}
			if len(got) != len(want) {
				t.Errorf("%q at %.2f: search found %d records, exhaustive %d", qs, min, len(got), len(want))
			}
			// With a limit, the best records (ties by record order) and no others.
			type rs struct {
				idx   int
				score float64
			}
			var all []rs
			for i := range ix.recs {
				if s, ok := want[ix.recs[i].ID]; ok {
					all = append(all, rs{i, s})
				}
			}
			sort.SliceStable(all, func(a, b int) bool { return all[a].score > all[b].score })
			lim := ix.Search(qs, Options{MinScore: min, Limit: 3})
			for i, h := range lim {
				if i >= len(all) || h.RecordIndex != all[i].idx || h.Score != all[i].score {
					t.Errorf("%q at %.2f limit 3: hit %d is %s %.4f, want %+v", qs, min, i, h.Record.ID, h.Score, all[i])
				}
			}
			if len(lim) != minInt(3, len(all)) {
				t.Errorf("%q at %.2f limit 3: %d hits, want %d", qs, min, len(lim), minInt(3, len(all)))
			}
		}
	}
}

// scoreEveryCandidate scores, with no bound, every name some key of the
// query reaches (every name that can score above zero: a query token is
// compared only with the tokens its keys reach), best score per record id.
func scoreEveryCandidate(ix *Index, query string, min float64) map[string]float64 {
	testNoBound = true
	defer func() { testNoBound = false }()
	want := map[string]float64{}
	for _, h := range ix.Search(query, Options{MinScore: min, Limit: -1}) {
		want[h.Record.ID] = h.Score
	}
	return want
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// A search's allocations do not grow with the number of candidates it
// scores: the working memory comes from the index's pool.
func TestSearchAllocationsIndependentOfCandidates(t *testing.T) {
	recs := testRecords()
	for i := range 3000 {
		w := fmt.Sprintf("%c%c%c%cX", 'A'+i%26, 'A'+i/26%26, 'A'+i/676%26, 'A'+i%7)
		recs = append(recs, Record{ID: "m" + w, Type: "individual", Names: []Name{{Text: "MUHAMMAD, Umar " + w}}})
	}
	ix := Build(recs)
	allocs := func(q string) float64 {
		return testing.AllocsPerRun(20, func() { ix.Search(q, Options{MinScore: 0.5}) })
	}
	few, many := allocs("Kim Jong Un"), allocs("Muhammad Umar")
	if many > few+8 {
		t.Errorf("a search scoring ~3000 candidates allocates %.0f times, one scoring a few %.0f", many, few)
	}
}

// A query of very common names reaches thousands of names; those whose
// other tokens no query token can match are ruled out by the score bound
// without being scored.
func TestCommonNameQueryScoresFewCandidates(t *testing.T) {
	recs := testRecords()
	for i := range 2000 {
		w := fmt.Sprintf("%c%c%c%c", 'B'+i%20, 'A'+i/20%26, 'C'+i/520%20, 'K'+i%9)
		given := "MUHAMMAD"
		if i%2 == 1 {
			given = "ALI"
		}
		recs = append(recs, Record{ID: "m" + w, Type: "individual", Names: []Name{{Text: given + ", " + w + "ZYQ " + w + "WOV"}}})
	}
	ix := Build(recs)
	var reached, scored int
	testHookScored = func(r, s int) { reached, scored = r, s }
	defer func() { testHookScored = nil }()
	ix.Search("Muhammad Ali", Options{})
	t.Logf("reached %d names, scored %d", reached, scored)
	if reached < 1000 || scored > 20 {
		t.Errorf("reached %d names, scored %d; want >= 1000 reached, <= 20 scored", reached, scored)
	}
}

// A short common token ("al") does not bring the thousands of names holding
// it: a name matching only it cannot reach the threshold. The result is the
// one exhaustive scoring gives.
func TestShortCommonTokenBringsNoCandidates(t *testing.T) {
	recs := testRecords()
	for i := range 2000 {
		w := fmt.Sprintf("%c%c%c%c", 'B'+i%20, 'A'+i/20%26, 'C'+i/520%20, 'K'+i%9)
		recs = append(recs, Record{ID: "al" + w, Type: "individual", Names: []Name{{Text: "AL-" + w + "QX, " + w + "VW"}}})
	}
	recs = append(recs, Record{ID: "zorro", Type: "individual", Names: []Name{{Text: "AL ZORRO, Hamid"}}})
	ix := Build(recs)
	var reached int
	testHookScored = func(r, s int) { reached = r }
	defer func() { testHookScored = nil }()
	for _, min := range []float64{0.5, DefaultMinScore} {
		hits := ix.Search("Hamid Zorro Al", Options{MinScore: min, Limit: -1})
		if reached > 50 {
			t.Errorf("at %.2f: reached %d names, want the few holding hamid or zorro", min, reached)
		}
		want := len(scoreEveryCandidate(ix, "Hamid Zorro Al", min))
		if len(hits) != want || len(hits) == 0 || hits[0].Record.ID != "zorro" {
			t.Errorf("at %.2f: %d hits (first %+v), exhaustive scoring finds %d, want zorro first", min, len(hits), hits, want)
		}
	}
}
