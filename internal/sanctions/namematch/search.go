package namematch

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// DefaultMinScore is the score below which hits are dropped unless Options
// says otherwise. It was chosen from the evaluation in eval/ (see
// docs/name-matching.md).
const DefaultMinScore = 0.80

// DefaultLimit is the number of hits returned when Options.Limit is 0.
const DefaultLimit = 10

// testHookScored, when set (by tests), receives the number of names a
// search reached and the number it scored.
var testHookScored func(reached, scored int)

// testNoBound, when set (by tests), scores every candidate: no bound prunes
// and every query token brings candidates.
var testNoBound bool

// roundSlack covers the rounding of scores to four decimals: a score is
// compared with the threshold after rounding, its bound before.
const roundSlack = 5e-5

// maxQueryTokens bounds the tokens of a query that are matched.
const maxQueryTokens = 24

// Options narrow a search. Empty filter lists accept everything.
type Options struct {
	MinScore  float64 // 0 means DefaultMinScore
	Limit     int     // 0 means DefaultLimit; negative means no limit
	Types     []string
	Programs  []string
	Lists     []string
	Countries []string // records with no known country pass
	// DOB is "YYYY", "YYYY-MM" or "YYYY-MM-DD"; records with a date of birth
	// whose year is more than DOBYearTolerance away are dropped (records
	// with none pass).
	DOB              string
	DOBYearTolerance int
}

// TokenMatch is one aligned pair of query and name tokens.
type TokenMatch struct {
	Query      string  `json:"query"`
	Name       string  `json:"name"`
	How        string  `json:"how"` // exact, transliteration, phonetic, jaro-winkler, joined
	Similarity float64 `json:"similarity"`
	Weight     float64 `json:"weight"`
}

// Unmatched is a token left without a partner, and what it cost.
type Unmatched struct {
	Token  string  `json:"token"`
	Weight float64 `json:"weight"`
	Note   string  `json:"note,omitempty"` // legal form, common token, name particle
}

// Explanation says how a score was reached.
type Explanation struct {
	Summary        string       `json:"summary"`
	Matches        []TokenMatch `json:"matches"`
	UnmatchedQuery []Unmatched  `json:"unmatched_query,omitempty"`
	UnmatchedName  []Unmatched  `json:"unmatched_name,omitempty"`
	Penalties      []string     `json:"penalties,omitempty"`
}

// Hit is one matching record.
type Hit struct {
	Record      *Record
	RecordIndex int
	MatchedName string
	MatchedKind NameKind
	Score       float64
	Explanation Explanation
}

func (ix *Index) makeQtok(t string) tok {
	q := tok{text: t, canon: canonical(t), class: classify(t)}
	_, q.variant = variants[t]
	q.lmask = byteMask(t)
	q.sound, q.skel = sounds(t)
	q.cons = consonants(t)
	df := 0
	if id, ok := ix.vocabID[t]; ok {
		df = len(ix.post[id])
		q.known = true
	}
	q.w = ix.weight(q.class, df)
	return q
}

// scratch is the per-search working memory, reused through Index.scratch so
// that a search allocates almost nothing per candidate.
type scratch struct {
	mask    []uint32 // per name: query tokens that may match
	touched []int32
	pending []pend
	// best score per record, valid where recGen equals gen.
	recGen  []uint32
	recBest []cand
	recs    []int32 // records with a best score in this search
	gen     uint32
	memo    simCache
}

type cand struct {
	name  int32
	score float64
}

type pend struct {
	name int32
	ub   float64
}

func newScratch(names, recs, vocab int) *scratch {
	return &scratch{
		mask:    make([]uint32, names),
		recGen:  make([]uint32, recs),
		recBest: make([]cand, recs),
		memo: simCache{vgen: make([]uint32, vocab), vslot: make([]int32, vocab),
			rgen: make([]uint32, vocab), rq: make([]uint32, vocab), rj: make([]uint32, vocab)},
	}
}

// next starts a search: it invalidates the per-record scores and the
// similarity cache of the previous one.
func (sc *scratch) next(nq, stride int) {
	sc.gen++
	if sc.gen == 0 { // wrapped: clear the stamps
		clear(sc.recGen)
		clear(sc.memo.vgen)
		clear(sc.memo.rgen)
		sc.gen = 1
	}
	sc.recs = sc.recs[:0]
	sc.pending = sc.pending[:0]
	sc.memo.gen = sc.gen
	sc.memo.stride = stride
	sc.memo.nq = nq
	sc.memo.sims = sc.memo.sims[:0]
}

// simCache remembers the similarity of each query token (slot qi; joined
// query pairs after the single tokens) with each vocabulary token met in one
// search. It is a dense table: a vocabulary token gets a row of stride
// entries the first time a candidate name holds it.
type simCache struct {
	gen    uint32
	vgen   []uint32 // per vocabulary token: gen when it has a row
	vslot  []int32  // per vocabulary token: its row
	stride int
	nq     int // query tokens (slots from nq on are joined pairs)
	sims   []simRes
	// Per vocabulary token, valid where rgen equals gen: the query tokens
	// (bit i) and the joined query pairs (bit i for tokens i, i+1) whose
	// keys reached it. A query token is compared only with the vocabulary
	// tokens its keys reach.
	rgen []uint32
	rq   []uint32
	rj   []uint32
}

// reached records that the keys of the query tokens in q, and of the joined
// pairs in j, reach vocabulary token vid.
func (c *simCache) reached(vid int32, q, j uint32) {
	if c.rgen[vid] != c.gen {
		c.rgen[vid], c.rq[vid], c.rj[vid] = c.gen, 0, 0
	}
	c.rq[vid] |= q
	c.rj[vid] |= j
}

// keyed reports whether slot qi's keys reached vocabulary token vid.
func (c *simCache) keyed(qi int, vid int32) bool {
	if c.rgen[vid] != c.gen {
		return false
	}
	if qi < c.nq {
		return c.rq[vid]&(1<<qi) != 0
	}
	return c.rj[vid]&(1<<(qi-c.nq)) != 0
}

// at returns the entry of query slot qi and vocabulary token vid (how is
// howUnknown when not computed yet).
func (c *simCache) at(qi int, vid int32) *simRes {
	if c.vgen[vid] != c.gen {
		c.vgen[vid] = c.gen
		c.vslot[vid] = int32(len(c.sims) / c.stride)
		for range c.stride {
			c.sims = append(c.sims, simRes{how: howUnknown})
		}
	}
	return &c.sims[int(c.vslot[vid])*c.stride+qi]
}

// Removed says how many records scoring at least the threshold one filter
// of Options removed.
type Removed struct {
	Filter  string `json:"filter"` // type, list, program, country, dob
	Value   string `json:"value"`  // the filter's value as given
	Matches int    `json:"removed"`
}

// Search returns the records whose best name scores at least opts.MinScore
// against query, best first (ties by record order).
func (ix *Index) Search(query string, opts Options) []Hit {
	hits, _, _ := ix.SearchContext(context.Background(), query, opts)
	return hits
}

// ctxCheckEvery is how many candidates a search handles between checks of
// its context.
const ctxCheckEvery = 256

// SearchContext is Search that also says which filters removed matches
// (records that would have scored at least the threshold), and that stops
// with the context's error once ctx is done.
func (ix *Index) SearchContext(ctx context.Context, query string, opts Options) ([]Hit, []Removed, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	toks, arab := tokenize(query)
	if len(toks) == 0 || len(ix.names) == 0 {
		return nil, nil, ctx.Err()
	}
	if len(toks) > maxQueryTokens {
		toks = toks[:maxQueryTokens]
	}
	minScore := opts.MinScore
	if minScore <= 0 {
		minScore = DefaultMinScore
	}
	q := make([]tok, len(toks))
	var W, Wknown float64
	var unknown, common, substantive uint32
	for i, t := range toks {
		q[i] = ix.makeQtok(t)
		q[i].arabic = arab&(1<<i) != 0
		q[i].w = posWeight(&q[i], i)
		if isCommon(q[i].class) {
			common |= 1 << i
		}
		if q[i].class != classLegal {
			substantive |= 1 << i
		}
		W += q[i].w
		if q[i].known {
			Wknown += q[i].w
		} else {
			unknown |= 1 << i
		}
	}
	qj := make([]tok, 0, len(toks))
	for i := 0; i+1 < len(toks); i++ {
		j := ix.makeQtok(toks[i] + toks[i+1])
		j.arabic = q[i].arabic || q[i+1].arabic
		j.shortPart = len(toks[i]) < 3 || len(toks[i+1]) < 3
		qj = append(qj, j)
	}

	sc := ix.scratch.Get().(*scratch)
	sc.next(len(q), len(q)+len(qj))
	defer func() {
		for _, n := range sc.touched {
			sc.mask[n] = 0
		}
		sc.touched = sc.touched[:0]
		ix.scratch.Put(sc)
	}()
	// reach[i] bounds the weight of the name tokens unknown query token i
	// can match: the heaviest vocabulary token its keys reached (infinite
	// for a joined one, whose parts may weigh more).
	var reach [maxQueryTokens]float64
	ne := ix.nonEssential(q, Wknown, minScore)
	if testNoBound {
		ne = 0
	}
	noNew := false // mark only names already reached
	mark := func(vid int32, bits uint32, joined bool) {
		if joined {
			sc.memo.reached(vid, 0, bits&-bits) // 3<<i: pair i
		} else {
			sc.memo.reached(vid, bits, 0)
		}
		if unk := bits & unknown; unk != 0 {
			w := ix.vocab[vid].w
			if ix.vocab[vid].joined {
				w = math.Inf(1)
			}
			for i := 0; unk != 0; i, unk = i+1, unk>>1 {
				if unk&1 != 0 {
					reach[i] = math.Max(reach[i], w)
				}
			}
		}
		for _, n := range ix.post[vid] {
			if sc.mask[n] == 0 {
				if noNew {
					continue
				}
				sc.touched = append(sc.touched, n)
			}
			sc.mask[n] |= bits
		}
	}
	lookup := func(t tok, bits uint32, fuzzy bool) {
		if id, ok := ix.vocabID[t.text]; ok {
			mark(id, bits, !fuzzy)
		}
		if t.class == classLegal {
			return // legal forms never bring candidates
		}
		if _, ok := variants[t.text]; ok {
			for _, id := range ix.byCanon[t.canon] {
				mark(id, bits, !fuzzy)
			}
		}
		if len(t.skel) >= 3 {
			for _, id := range ix.bySkel[t.skel] {
				mark(id, bits, !fuzzy)
			}
		}
		if t.arabic && len(t.cons) >= 3 {
			for _, id := range ix.byCons[t.cons] {
				mark(id, bits, !fuzzy)
			}
		}
		if fuzzy && t.class != classNumber && len(t.text) >= 5 {
			for _, id := range ix.byDel[t.text] {
				mark(id, bits, !fuzzy)
			}
			// The single-character deletions of the token, built in a
			// buffer: map lookups by string(buf) do not allocate.
			var buf [64]byte
			for i := 0; i < len(t.text); i++ {
				d := append(append(buf[:0], t.text[:i]...), t.text[i+1:]...)
				if id, ok := ix.vocabID[string(d)]; ok {
					mark(id, bits, !fuzzy)
				}
				for _, id := range ix.byDel[string(d)] {
					mark(id, bits, !fuzzy)
				}
			}
		}
	}
	for i, t := range q {
		if ne&(1<<i) == 0 {
			lookup(t, 1<<i, true)
		}
	}
	for i, t := range qj {
		lookup(t, 3<<i, false)
	}
	// Names that only non-essential tokens reach cannot reach minScore:
	// those tokens only add to the names already reached.
	noNew = true
	for i, t := range q {
		if ne&(1<<i) != 0 {
			lookup(t, 1<<i, true)
		}
	}

	// best returns the best score of record rec so far.
	best := func(rec int32) (cand, bool) {
		if sc.recGen[rec] != sc.gen {
			return cand{}, false
		}
		return sc.recBest[rec], true
	}
	dobYear, hasDOB := parseYear(opts.DOB)
	pending := sc.pending
	memo := &sc.memo
	for c, n := range sc.touched {
		if c%ctxCheckEvery == ctxCheckEvery-1 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		nm := &ix.names[n]
		// Upper bound of the score: every name token matched perfectly. A
		// query token unknown to the index (a typo) counts with the weight
		// of the name token it matches, at most nm.total in all.
		var M float64
		for m, i := sc.mask[n]&^unknown, 0; m != 0; m, i = m>>1, i+1 {
			if m&1 != 0 {
				M += q[i].w
			}
		}
		// Each query token matches at most two name tokens: the heaviest
		// 2k of them bound the matched name weight.
		k := 2 * bits(uint64(sc.mask[n]))
		var T float64
		if k >= len(nm.top) {
			T = nm.total
		} else {
			for _, w := range nm.top[:k] {
				T += float64(w)
			}
		}
		// A matched unknown token weighs what its partner weighs.
		var E float64
		for m, i := sc.mask[n]&unknown, 0; m != 0; m, i = m>>1, i+1 {
			if m&1 != 0 {
				E += math.Min(reach[i], T)
			}
		}
		// Unknown tokens that did not bring this name cannot match it.
		Wn := Wknown
		for m, i := unknown&^sc.mask[n], 0; m != 0; m, i = m>>1, i+1 {
			if m&1 != 0 {
				Wn += q[i].w
			}
		}
		ub := (M + E + T) / (Wn + E + T)
		// Only common tokens can match, and something is bound to be left
		// over: the common-tokens factor applies.
		if m := sc.mask[n]; m&^common == 0 && (substantive&^m != 0 || nm.nonLegal > k) {
			ub *= commonOnlyFactor
		}
		if testNoBound {
			ub = 1
		}
		if ub < minScore-roundSlack {
			continue
		}
		// Second, tighter bound: only the name tokens some query token
		// may match (mayMatch: what similarity does not reject at once)
		// can be matched. For "Muhammad Ali" this drops most of the
		// thousands of "Muhammad X Y" names, whose X and Y no query token
		// can match.
		if T2 := ix.matchableWeight(q, qj, nm, k, memo); T2 < T {
			var E2 float64
			for m, i := sc.mask[n]&unknown, 0; m != 0; m, i = m>>1, i+1 {
				if m&1 != 0 {
					E2 += math.Min(reach[i], T2)
				}
			}
			ub2 := (M + E2 + T2) / (Wn + E2 + T2)
			if m := sc.mask[n]; m&^common == 0 && (substantive&^m != 0 || nm.nonLegal > k) {
				ub2 *= commonOnlyFactor
			}
			if ub2 < ub {
				ub = ub2
			}
			if ub < minScore-roundSlack && !testNoBound {
				continue
			}
		}
		pending = append(pending, pend{n, ub})
	}
	sc.pending = pending
	// Score the candidates by decreasing bound; once Limit records score
	// more than the next bound, no later candidate can enter the answer.
	limit := opts.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	slices.SortFunc(pending, func(a, b pend) int { return cmp.Compare(b.ub, a.ub) })
	var top topK
	top.k = limit
	scored := 0
	if testHookScored != nil {
		defer func() { testHookScored(len(sc.touched), scored) }()
	}
	// Records a filter removed (each counted once, under the first filter
	// it fails), among those scoring at least minScore.
	var removed map[int32]string
	done := false // the answer is complete; only filtered records remain to count
	for c, p := range pending {
		if c%ctxCheckEvery == ctxCheckEvery-1 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if top.full() && p.ub+roundSlack < top.min() {
			done = true
		}
		n := p.name
		nm := &ix.names[n]
		if f := ix.accept(&ix.recs[nm.rec], &opts, dobYear, hasDOB); f != "" {
			if _, seen := removed[nm.rec]; !seen {
				if s, _ := ix.score(q, qj, nm, W, memo, false); s >= minScore {
					if removed == nil {
						removed = map[int32]string{}
					}
					removed[nm.rec] = f
				}
			}
			continue
		}
		if done {
			continue
		}
		if b, ok := best(nm.rec); ok && b.score >= 1 {
			continue
		}
		scored++
		s, _ := ix.score(q, qj, nm, W, memo, false)
		if s < minScore {
			continue
		}
		b, ok := best(nm.rec)
		if ok && b.score >= s {
			continue
		}
		if !ok {
			sc.recGen[nm.rec] = sc.gen
			sc.recs = append(sc.recs, nm.rec)
		}
		sc.recBest[nm.rec] = cand{n, s}
		top.add(nm.rec, s)
	}
	hits := make([]Hit, 0, len(sc.recs))
	for _, rec := range sc.recs {
		c := sc.recBest[rec]
		hits = append(hits, Hit{Record: &ix.recs[rec], RecordIndex: int(rec), Score: c.score, MatchedName: ix.names[c.name].text, MatchedKind: ix.names[c.name].kind})
	}
	sort.Slice(hits, func(a, b int) bool {
		if hits[a].Score != hits[b].Score {
			return hits[a].Score > hits[b].Score
		}
		return hits[a].RecordIndex < hits[b].RecordIndex
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	var rem []Removed
	if len(removed) > 0 {
		count := map[string]int{}
		for _, f := range removed {
			count[f]++
		}
		for _, f := range filterNames {
			if count[f] > 0 {
				rem = append(rem, Removed{Filter: f, Value: opts.filterValue(f), Matches: count[f]})
			}
		}
	}
	for i := range hits {
		c := sc.recBest[hits[i].RecordIndex]
		_, ex := ix.score(q, qj, &ix.names[c.name], W, memo, true)
		hits[i].Explanation = *ex
		hits[i].Explanation.Summary = fmt.Sprintf("%s %q scored %.2f: %s", hits[i].MatchedKind, hits[i].MatchedName, hits[i].Score, ex.Summary)
	}
	return hits, rem, nil
}

func parseYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s[:4])
	return y, err == nil
}

func anyFold(want []string, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(strings.TrimSpace(w), strings.TrimSpace(h)) {
				return true
			}
		}
	}
	return false
}

// filterNames are the filters of Options, in the order accept applies them.
var filterNames = []string{"type", "list", "program", "country", "dob"}

// filterValue renders the value of filter f as given in o.
func (o *Options) filterValue(f string) string {
	switch f {
	case "type":
		return strings.Join(o.Types, ",")
	case "list":
		return strings.Join(o.Lists, ",")
	case "program":
		return strings.Join(o.Programs, ",")
	case "country":
		return strings.Join(o.Countries, ",")
	case "dob":
		return o.DOB
	}
	return ""
}

// accept returns the first filter of o that record r fails, or "".
func (ix *Index) accept(r *Record, o *Options, dobYear int, hasDOB bool) string {
	if len(o.Types) > 0 && !anyFold(o.Types, []string{r.Type}) {
		return "type"
	}
	if len(o.Lists) > 0 && !anyFold(o.Lists, []string{r.List}) {
		return "list"
	}
	if len(o.Programs) > 0 && !anyFold(o.Programs, r.Programs) {
		return "program"
	}
	if len(o.Countries) > 0 && len(r.Countries) > 0 && !anyFold(o.Countries, r.Countries) {
		return "country"
	}
	if hasDOB && len(r.DatesOfBirth) > 0 {
		ok := false
		for _, d := range r.DatesOfBirth {
			if y, yok := parseYear(d); yok && abs(y-dobYear) <= o.DOBYearTolerance {
				ok = true
				break
			}
		}
		if !ok {
			return "dob"
		}
	}
	return ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// match kinds, best first
const (
	howExact    = "exact"
	howTranslit = "transliteration"
	howPhonetic = "phonetic"
	howJW       = "jaro-winkler"
	howJoined   = "joined"
	howTypo     = "one edit"
	howArabic   = "arabic script"
)

// hows indexes the match kinds for the similarity memo.
var hows = []string{"", howExact, howTranslit, howPhonetic, howJW, howJoined, howTypo, howArabic}

func howIndex(h string) uint8 {
	for i, x := range hows {
		if x == h {
			return uint8(i)
		}
	}
	return 0
}

// howUnknown marks a simCache entry not computed yet.
const howUnknown = 0xFF

// simRes is a remembered similarity.
type simRes struct {
	sim float64
	how uint8
}

// oneEdit reports whether a and b are one insertion, deletion, substitution
// or transposition of adjacent characters apart.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true // b is a with one more character at the end (or equal)
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:] // insertion in b
}

// similarity compares two single tokens.
func similarity(a, b *tok, atext, btext string) (float64, string) {
	if atext == btext {
		return 1, howExact
	}
	if a.class == classNumber || b.class == classNumber {
		return 0, ""
	}
	if a.canon == b.canon {
		return 0.95, howTranslit
	}
	if a.variant && b.variant {
		// Both are known names with different canonical forms (Hasan and
		// Husayn): not spellings of one name.
		return 0, ""
	}
	// Arabic script against Latin: the consonants must agree.
	if a.arabic != b.arabic && len(a.cons) >= 3 && a.cons == b.cons {
		return 0.90, howArabic
	}
	la, lb := len(atext), len(btext)
	diff := abs(la - lb)
	if min(la, lb) < 4 {
		return 0, "" // short tokens: exact or known variants only
	}
	// Jaro-Winkler cannot exceed this bound (all of the shorter token
	// matched, four prefix characters); skip it when even that is too low.
	if a.skel != b.skel || diff > 2 {
		jaroMax := (1 + float64(min(la, lb))/float64(max(la, lb)) + 1) / 3
		if (jaroMax+0.4*(1-jaroMax))*(1-0.05*float64(diff)) < 0.88 && !(min(la, lb) >= 5 && diff <= 1) {
			return 0, ""
		}
	}
	// Same skeleton, and sounding alike enough that it is not a coincidence
	// of merged sounds ("qaeda" and "koti" share one).
	if a.skel != "" && a.skel == b.skel && diff <= 2 && jaroWinkler(a.sound, b.sound) >= 0.80 {
		return 0.90, howPhonetic
	}
	if min(la, lb) >= 5 && oneEdit(atext, btext) {
		if atext[0] != btext[0] {
			// Typos rarely hit the first letter: HAMAS is not TAMAS.
			return firstLetterEditSim, howTypo
		}
		return 0.90, howTypo
	}
	// Jaro-Winkler cannot exceed what the characters the two tokens share
	// allow: skip it when even that is too low (most pairs).
	m := min(la-unshared(atext, b.lmask), lb-unshared(btext, a.lmask))
	if m <= 0 {
		return 0, ""
	}
	jaroMax := (float64(m)/float64(la) + float64(m)/float64(lb) + 1) / 3
	if (jaroMax+0.4*(1-jaroMax))*(1-0.05*float64(diff)) < 0.88 {
		return 0, ""
	}
	jw := jaroWinkler(atext, btext)
	// Jaro-Winkler, less a length penalty so that "jong" is not "jongun".
	// The similarity falls twice as fast as Jaro-Winkler: 0.88 gives 0.76.
	if jw := jw * (1 - 0.05*float64(diff)); jw >= 0.88 {
		return math.Min(1-2*(1-jw), 0.97), howJW
	}
	return 0, ""
}

// nonEssential returns the query tokens that need not bring candidates:
// short tokens (under 4 letters, not Arabic script, known to the index),
// which match only the same token or a known variant of it (similarity
// rejects anything else), so that a name only they reach scores at most
// (Σ w + Σ r) / (Wknown + Σ r), r being the heaviest vocabulary token each
// reaches. The lightest such tokens are taken while that bound stays below
// minScore (it grows with every token added, so it holds for any subset).
// "al" in "Abdul Rahman Al" reaches thousands of names none of which can
// match on "al" alone.
func (ix *Index) nonEssential(q []tok, Wknown, minScore float64) uint32 {
	type cand struct {
		i    int
		w, r float64
	}
	var buf [maxQueryTokens]cand
	cs := buf[:0]
	for i := range q {
		t := &q[i]
		if !t.known || t.arabic || len(t.text) >= 4 || t.class == classNumber {
			continue
		}
		r, ok := 0.0, true
		visit := func(id int32) {
			v := &ix.vocab[id]
			ok = ok && !v.joined // a joined token covers two name tokens
			r = math.Max(r, v.w)
		}
		if id, found := ix.vocabID[t.text]; found {
			visit(id)
		}
		if t.variant {
			for _, id := range ix.byCanon[t.canon] {
				visit(id)
			}
		}
		if ok {
			cs = append(cs, cand{i, t.w, r})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(a.w+a.r, b.w+b.r) })
	var ne uint32
	var sw, sr float64
	for _, c := range cs {
		if (sw+c.w+sr+c.r)/(Wknown+sr+c.r) >= minScore {
			break
		}
		sw, sr = sw+c.w, sr+c.r
		ne |= 1 << c.i
	}
	return ne
}

// matchableWeight bounds the name weight a query can match in nm: the
// heaviest k of the name tokens that some query token (or adjacent pair)
// matches, alone or inside a joined pair of name tokens. The similarities
// come from (and go into) the memo, so that scoring the name afterwards
// computes none again.
func (ix *Index) matchableWeight(q, qj []tok, nm *iname, k int, memo *simCache) float64 {
	var ok uint64 // name token positions that some query token matches
	for j, id := range nm.toks {
		for i := range q {
			if s, _ := ix.sim(memo, i, &q[i], id); s > 0 {
				ok |= 1 << j
				break
			}
		}
		if ok&(1<<j) != 0 {
			continue
		}
		for i := range qj {
			if s, how := ix.sim(memo, len(q)+i, &qj[i], id); joinOK(s, how, qj[i].shortPart) {
				ok |= 1 << j
				break
			}
		}
	}
	for j, id := range nm.joins {
		if ok&(3<<j) == 3<<j {
			continue
		}
		for i := range q {
			if s, how := ix.joinSim(memo, i, &q[i], nm, j, id); joinOK(s, how, ix.vocab[id].shortPart) {
				ok |= 3 << j
				break
			}
		}
	}
	var buf [32]float64
	w := buf[:0]
	for j := range nm.toks {
		if ok&(1<<j) != 0 {
			w = append(w, nm.wt[j])
		}
	}
	if k < len(w) {
		slices.SortFunc(w, func(a, b float64) int { return cmp.Compare(b, a) })
		w = w[:k]
	}
	var T float64
	for _, x := range w {
		T += x
	}
	return T
}

// sim compares query token a (slot qi of the memo) with vocabulary token
// vid, remembering the answer for the other candidates.
func (ix *Index) sim(memo *simCache, qi int, a *tok, vid int32) (float64, string) {
	if !memo.keyed(qi, vid) {
		return 0, ""
	}
	r := memo.at(qi, vid)
	if r.how != howUnknown {
		return r.sim, hows[r.how]
	}
	b := &ix.vocab[vid]
	s, how := similarity(a, b, a.text, b.text)
	*r = simRes{s, howIndex(how)}
	return s, how
}

// joinSim compares query token a with the joined name tokens j and j+1
// (vocabulary id id), also in their abbreviated form.
func (ix *Index) joinSim(memo *simCache, qi int, a *tok, nm *iname, j int, id int32) (float64, string) {
	s, how := ix.sim(memo, qi, a, id)
	if len(nm.ajoins) > 0 && nm.ajoins[j] >= 0 && s < 1 {
		if s2, how2 := ix.sim(memo, qi, a, nm.ajoins[j]); s2 > s {
			s, how = s2, how2
		}
	}
	return s, how
}

// byteMask is the set of the bytes of s, each byte b as bit b%64.
func byteMask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

// unshared counts the bytes of s that cannot occur in a string of byte
// mask m.
func unshared(s string, m uint64) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if m&(1<<(s[i]&63)) == 0 {
			n++
		}
	}
	return n
}

// joinMinSim is the least similarity a joined-token match needs;
// joinShortMinSim when a part of the join is one or two letters ("Li Na"
// joined is not the vessel LENA): exact or a known variant.
const (
	joinMinSim      = 0.90
	joinShortMinSim = 0.95
)

// joinOK says whether a joined pair of similarity s (how) counts; short says
// a part of the join has fewer than three letters.
func joinOK(s float64, how string, short bool) bool {
	if how == howArabic {
		return true
	}
	if short {
		return s >= joinShortMinSim
	}
	return s >= joinMinSim
}

type pair struct {
	q0, q1 int8 // query tokens (q1 = -1 unless joined)
	n0, n1 int8 // name tokens (n1 = -1 unless joined)
	sim    float64
	how    string
	wq, wn float64 // weights of the query and name sides
}

// score aligns the query with one name. With explain it also returns an
// Explanation (otherwise nil).
func (ix *Index) score(q, qj []tok, nm *iname, W float64, memo *simCache, explain bool) (float64, *Explanation) {
	var pairsBuf [64]pair
	pairs := pairsBuf[:0]
	// A query token unknown to the index (a typo) takes the weight of the
	// name token it matches.
	qw := func(i int, nw float64) float64 {
		if q[i].known {
			return q[i].w
		}
		return nw
	}
	nw := nm.wt
	var ntBuf [32]*tok
	nt := ntBuf[:0]
	for _, id := range nm.toks {
		nt = append(nt, &ix.vocab[id])
	}
	sim := func(qi int, a *tok, vid int32) (float64, string) { return ix.sim(memo, qi, a, vid) }
	for i := range q {
		for j, id := range nm.toks {
			if s, how := sim(i, &q[i], id); s > 0 {
				pairs = append(pairs, pair{int8(i), -1, int8(j), -1, s, how, qw(i, nw[j]), nw[j]})
			}
		}
	}
	// Joined tokens: two adjacent query tokens against one name token, and
	// one query token against two adjacent name tokens.
	for i := range qj {
		for j, id := range nm.toks {
			if s, how := sim(len(q)+i, &qj[i], id); joinOK(s, how, qj[i].shortPart) {
				pairs = append(pairs, pair{int8(i), int8(i + 1), int8(j), -1, s, howJoined, qw(i, nw[j]/2) + qw(i+1, nw[j]/2), nw[j]})
			}
		}
	}
	for j, id := range nm.joins {
		for i := range q {
			s, how := ix.joinSim(memo, i, &q[i], nm, j, id)
			if joinOK(s, how, ix.vocab[id].shortPart) {
				pairs = append(pairs, pair{int8(i), -1, int8(j), int8(j + 1), s, howJoined, qw(i, nw[j]+nw[j+1]), nw[j] + nw[j+1]})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if a.sim != b.sim {
			return cmp.Compare(b.sim, a.sim)
		}
		return cmp.Compare(b.wq+b.wn, a.wq+a.wn)
	})
	var qused, nused uint64
	var num, matchedQ, matchedN float64
	commonOnly := true
	anchored := false // some pair is exact or a known variant
	var chosen []pair
	for _, p := range pairs {
		qb := uint64(1) << p.q0
		if p.q1 >= 0 {
			qb |= 1 << p.q1
		}
		nb := uint64(1) << p.n0
		if p.n1 >= 0 {
			nb |= 1 << p.n1
		}
		if qused&qb != 0 || nused&nb != 0 {
			continue
		}
		qused |= qb
		nused |= nb
		num += p.sim * (p.wq + p.wn)
		anchored = anchored || p.sim >= 0.95 || p.how == howArabic
		matchedQ += p.wq
		matchedN += p.wn
		if !isCommon(q[p.q0].class) || p.q1 >= 0 && !isCommon(q[p.q1].class) {
			commonOnly = false
		}
		if explain {
			chosen = append(chosen, p)
		}
	}
	unmatchedN := nm.total - matchedN
	var unmatchedQ float64
	leftover := false
	for i := range q {
		if qused&(1<<i) == 0 {
			unmatchedQ += q[i].w
			leftover = leftover || q[i].class != classLegal
		}
	}
	// A one-token name ("PHOENIX", "KAIDA") that explains only part of the
	// query: the rest of the query is not in it.
	single := len(nt) == 1 && qused != 0 && leftover
	for j := range nt {
		if nused&(1<<j) == 0 {
			leftover = leftover || nt[j].class != classLegal
		}
	}
	den := matchedQ + unmatchedQ + matchedN + unmatchedNameMul*unmatchedN
	s := 0.0
	if den > 0 {
		s = num / den
	}
	commonOnly = commonOnly && qused != 0 && leftover
	if commonOnly {
		s *= commonOnlyFactor
	}
	if !anchored && qused != 0 {
		s *= noAnchorFactor
	}
	if nm.kind == Weak {
		s *= weakAliasFactor
	}
	if single {
		s *= singleNameFactor
	}
	s = math.Round(s*1e4) / 1e4
	if !explain {
		return s, nil
	}
	ex := &Explanation{Matches: []TokenMatch{}}
	for _, p := range chosen {
		tm := TokenMatch{Query: q[p.q0].text, Name: nt[p.n0].text, How: p.how, Similarity: round3(p.sim), Weight: round3(p.wq + p.wn)}
		if p.q1 >= 0 {
			tm.Query += "+" + q[p.q1].text
		}
		if p.n1 >= 0 {
			tm.Name += "+" + nt[p.n1].text
		}
		ex.Matches = append(ex.Matches, tm)
	}
	for i := range q {
		if qused&(1<<i) == 0 {
			ex.UnmatchedQuery = append(ex.UnmatchedQuery, Unmatched{q[i].text, round3(q[i].w), classNote(q[i].class)})
		}
	}
	for j := range nt {
		if nused&(1<<j) == 0 {
			ex.UnmatchedName = append(ex.UnmatchedName, Unmatched{nt[j].text, round3(nw[j] * unmatchedNameMul), classNote(nt[j].class)})
		}
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%d of %d query tokens matched", bits(qused), len(q)))
	if len(ex.UnmatchedName) > 0 {
		var un []string
		for _, u := range ex.UnmatchedName {
			if u.Note != "" {
				un = append(un, u.Token+" ("+u.Note+")")
			} else {
				un = append(un, u.Token)
			}
		}
		parts = append(parts, "name tokens not in the query: "+strings.Join(un, ", "))
	}
	if len(ex.UnmatchedQuery) > 0 {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("%d query token(s) unmatched", len(ex.UnmatchedQuery)))
	}
	if len(ex.UnmatchedName) > 0 {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("%d name token(s) unmatched, each at %.1f of its weight", len(ex.UnmatchedName), unmatchedNameMul))
	}
	if nm.kind == Weak {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("weak alias: score x%.2f", weakAliasFactor))
	}
	if commonOnly {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("only common tokens matched: score x%.2f", commonOnlyFactor))
	}
	if single {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("one-token name, query tokens left over: score x%.2f", singleNameFactor))
	}
	if !anchored && qused != 0 {
		ex.Penalties = append(ex.Penalties, fmt.Sprintf("no exact or known-variant token: score x%.2f", noAnchorFactor))
	}
	for _, m := range chosen {
		for _, t := range []*tok{&q[m.q0]} {
			if isCommon(t.class) {
				ex.Penalties = append(ex.Penalties, fmt.Sprintf("%q is a %s: low weight", t.text, classNote(t.class)))
			}
		}
	}
	ex.Summary = strings.Join(parts, "; ")
	return s, ex
}

func isCommon(c uint8) bool {
	return c == classGeneric || c == classLegal || c == classParticle || c == classGeo
}

func classNote(c uint8) string {
	switch c {
	case classLegal:
		return "legal form"
	case classGeneric:
		return "common token"
	case classParticle:
		return "name particle"
	case classGeo:
		return "geographic word"
	}
	return ""
}

func bits(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// topK keeps the best score of up to k records, best first (k <= 0: no limit).
type topK struct {
	k      int
	recs   []int32
	scores []float64
}

func (t *topK) full() bool { return t.k > 0 && len(t.scores) >= t.k }

func (t *topK) min() float64 { return t.scores[len(t.scores)-1] }

func (t *topK) add(rec int32, s float64) {
	if t.k <= 0 {
		return
	}
	i := slices.Index(t.recs, rec)
	switch {
	case i >= 0:
		if s <= t.scores[i] {
			return
		}
		t.scores[i] = s
	case len(t.scores) < t.k:
		t.recs = append(t.recs, rec)
		t.scores = append(t.scores, s)
		i = len(t.scores) - 1
	case s > t.min():
		i = len(t.scores) - 1
		t.recs[i], t.scores[i] = rec, s
	default:
		return
	}
	for ; i > 0 && t.scores[i] > t.scores[i-1]; i-- {
		t.scores[i], t.scores[i-1] = t.scores[i-1], t.scores[i]
		t.recs[i], t.recs[i-1] = t.recs[i-1], t.recs[i]
	}
}
