package namematch

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"sync"
)

// NameKind says how strongly a name identifies its record.
type NameKind uint8

const (
	// Primary is the record's main name.
	Primary NameKind = iota
	// Alias is a good-quality alias (OFAC "a.k.a.", UN "Good" quality).
	Alias
	// Weak is a low-quality alias (OFAC weak a.k.a., UN "Low" quality); its
	// matches are scored down.
	Weak
)

func (k NameKind) String() string {
	switch k {
	case Primary:
		return "primary"
	case Alias:
		return "alias"
	case Weak:
		return "weak alias"
	}
	return "unknown"
}

// Name is one name of a record.
type Name struct {
	Text string
	Kind NameKind
}

// Record is one listed party to match against.
type Record struct {
	ID    string
	List  string // e.g. "ofac-sdn", "un"
	Type  string // individual, entity, vessel, aircraft
	Names []Name
	// Filter attributes.
	Programs  []string
	Countries []string // nationalities, citizenships, address countries
	// DatesOfBirth are "YYYY", "YYYY-MM" or "YYYY-MM-DD" (anything that
	// starts with a four-digit year).
	DatesOfBirth []string
}

// token classes
const (
	classPlain uint8 = iota
	classLegal
	classGeneric
	classParticle
	classNumber
	classGeo // geographic qualifier of an organisation name
)

// Weights of token classes relative to their IDF (legal forms get a fixed
// small weight).
const (
	legalWeight      = 0.3
	genericFactor    = 0.5
	particleFactor   = 0.35
	weakAliasFactor  = 0.90
	commonOnlyFactor = 0.80 // only common tokens matched and something is left over
	noAnchorFactor   = 0.90 // every token matched only fuzzily
	unmatchedNameMul = 0.7  // an unmatched token of the listed name costs 0.7 of its weight
	singleNameFactor = 0.90 // a one-token name leaves a substantive query token unexplained
	// firstLetterEditSim is the similarity of a one-edit typo in the first
	// letter (0.90 elsewhere).
	firstLetterEditSim = 0.85
)

// tok is a token of the vocabulary or of a query, with its keys.
type tok struct {
	text, canon, skel string
	sound             string // text with sound-alike spellings merged
	cons              string // consonant key (Arabic-script matching)
	arabic            bool   // transliterated from Arabic script
	class             uint8
	joined            bool   // the concatenation of two adjacent tokens
	shortPart         bool   // (joined) a part has fewer than three letters
	known             bool   // (query tokens) the token occurs in the indexed names
	variant           bool   // the token is in the variants table
	lmask             uint64 // byteMask of text
	w                 float64
}

type iname struct {
	rec   int32
	kind  NameKind
	text  string
	toks  []int32 // vocabulary ids, in name order
	joins []int32 // vocabulary ids of toks[i]+toks[i+1]
	// ajoins are the same joins with abbreviated organisation words
	// ("projects"+"ltd" for PROJECTS LIMITED), -1 where there is none.
	ajoins []int32
	wt     []float64 // token weights, by position (see posWeight)
	total  float64   // sum of token weights
	top    []float32 // token weights, largest first (for the search bound)
	// nonLegal counts the tokens that are not legal forms.
	nonLegal int
}

// Index is an immutable searchable index of records. It is safe for
// concurrent use.
type Index struct {
	recs    []Record
	names   []iname
	vocab   []tok
	vocabID map[string]int32
	post    [][]int32 // vocabulary id -> name ids (sorted, unique)
	byCanon map[string][]int32
	bySkel  map[string][]int32
	byDel   map[string][]int32
	byCons  map[string][]int32 // consonant key -> Latin vocabulary ids
	n       float64            // number of names, for IDF
	scratch sync.Pool
}

func classify(tok string) uint8 {
	switch {
	case legalForms[tok]:
		return classLegal
	case genericWords[tok]:
		return classGeneric
	case particles[tok], isSingleLetter(tok):
		return classParticle
	case geoWords[tok]:
		return classGeo
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return classPlain
		}
	}
	return classNumber
}

// nameTokens tokenises a listed name. "SURNAME, Given Names" of individuals
// (the OFAC convention) is read as "Given Names SURNAME" so that given names
// stay adjacent for joined-token matching.
func nameTokens(text, typ string) ([]string, uint64) {
	if strings.EqualFold(typ, "individual") && strings.Count(text, ",") == 1 {
		i := strings.IndexByte(text, ',')
		return tokenize(text[i+1:] + " " + text[:i])
	}
	return tokenize(text)
}

// Build indexes records. Names without any token are skipped.
func Build(records []Record) *Index {
	ix, _ := BuildContext(context.Background(), records)
	return ix
}

// BuildContext is Build, stopping with the context's error once ctx is
// done (a SIGTERM during a long build). Its time is linear in the size of
// the names: tokens are cut at 64 bytes and names at 32 tokens.
func BuildContext(ctx context.Context, records []Record) (*Index, error) {
	ix := &Index{
		recs:    records,
		vocabID: make(map[string]int32),
		byCanon: make(map[string][]int32),
		bySkel:  make(map[string][]int32),
		byDel:   make(map[string][]int32),
		byCons:  make(map[string][]int32),
	}
	intern := func(t string, joined, arabic bool) int32 {
		if id, ok := ix.vocabID[t]; ok {
			return id
		}
		id := int32(len(ix.vocab))
		v := tok{known: true, text: t, canon: canonical(t), class: classify(t), joined: joined}
		_, v.variant = variants[t]
		v.lmask = byteMask(t)
		v.sound, v.skel = sounds(t)
		v.cons, v.arabic = consonants(t), arabic
		if !joined && !arabic && len(v.cons) >= 3 {
			ix.byCons[v.cons] = append(ix.byCons[v.cons], id)
		}
		ix.vocab = append(ix.vocab, v)
		ix.post = append(ix.post, nil)
		ix.vocabID[t] = id
		if v.canon != t {
			ix.byCanon[v.canon] = append(ix.byCanon[v.canon], id)
		} else if _, ok := variants[t]; ok {
			ix.byCanon[t] = append(ix.byCanon[t], id)
		}
		if len(v.skel) >= 3 {
			ix.bySkel[v.skel] = append(ix.bySkel[v.skel], id)
		}
		if v.class != classNumber && !joined {
			for _, d := range deletions(t) {
				ix.byDel[d] = append(ix.byDel[d], id)
			}
		}
		return id
	}
	for ri := range records {
		if ri%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := &records[ri]
		for _, nm := range r.Names {
			toks, arab := nameTokens(nm.Text, r.Type)
			if len(toks) == 0 || len(toks) > 32 {
				if len(toks) > 32 {
					toks = toks[:32]
				} else {
					continue
				}
			}
			n := iname{rec: int32(ri), kind: nm.Kind, text: nm.Text, toks: make([]int32, len(toks))}
			nid := int32(len(ix.names))
			for i, t := range toks {
				n.toks[i] = intern(t, false, arab&(1<<i) != 0)
				ix.addPosting(n.toks[i], nid)
			}
			if len(toks) > 1 {
				n.joins = make([]int32, len(toks)-1)
				for i := 0; i+1 < len(toks); i++ {
					n.joins[i] = intern(toks[i]+toks[i+1], true, false)
					if len(toks[i]) < 3 || len(toks[i+1]) < 3 {
						ix.vocab[n.joins[i]].shortPart = true
					}
					ix.addPosting(n.joins[i], nid)
					if a := shortForm(toks[i]) + shortForm(toks[i+1]); a != toks[i]+toks[i+1] {
						if n.ajoins == nil {
							n.ajoins = make([]int32, len(toks)-1)
							for k := range n.ajoins {
								n.ajoins[k] = -1
							}
						}
						n.ajoins[i] = intern(a, true, false)
						ix.addPosting(n.ajoins[i], nid)
					}
				}
			}
			ix.names = append(ix.names, n)
		}
	}
	ix.n = float64(len(ix.names))
	for id := range ix.vocab {
		ix.vocab[id].w = ix.weight(ix.vocab[id].class, len(ix.post[id]))
	}
	for i := range ix.names {
		var tot float64
		wt := make([]float64, len(ix.names[i].toks))
		for j, t := range ix.names[i].toks {
			wt[j] = posWeight(&ix.vocab[t], j)
			tot += wt[j]
		}
		ix.names[i].total = tot
		ix.names[i].wt = wt
		top := make([]float32, len(ix.names[i].toks))
		for j, t := range ix.names[i].toks {
			top[j] = float32(wt[j])
			if ix.vocab[t].class != classLegal {
				ix.names[i].nonLegal++
			}
		}
		slices.SortFunc(top, func(a, b float32) int { return cmp.Compare(b, a) })
		ix.names[i].top = top
	}
	ix.scratch.New = func() any { return newScratch(len(ix.names), len(ix.recs), len(ix.vocab)) }
	return ix, ctx.Err()
}

func (ix *Index) addPosting(v, name int32) {
	p := ix.post[v]
	if len(p) > 0 && p[len(p)-1] == name {
		return
	}
	ix.post[v] = append(p, name)
}

// weight is a token's weight: its IDF over the indexed names, scaled by its
// class. df is the number of names holding the token (0 when unknown).
func (ix *Index) weight(class uint8, df int) float64 {
	if class == classLegal {
		return legalWeight
	}
	idf := math.Log(1 + (ix.n+1)/float64(max(df, 1)))
	switch class {
	case classGeneric:
		return idf * genericFactor
	case classParticle:
		return idf * particleFactor
	}
	return idf
}

// posWeight is the weight of token t at position pos of a name or query: a
// geographic word after the first token qualifies the name ("GARANTEX
// EUROPE OU") and weighs half its IDF; as the first token it is part of the
// name itself ("PACIFIC OCEAN SHIPPING") and weighs its full IDF.
func posWeight(t *tok, pos int) float64 {
	if t.class == classGeo && pos > 0 {
		return t.w * genericFactor
	}
	return t.w
}

// Len returns the number of records and of indexed names.
func (ix *Index) Len() (records, names int) { return len(ix.recs), len(ix.names) }

// Record returns the record with index i (Hit.Record).
func (ix *Index) Record(i int) *Record { return &ix.recs[i] }
