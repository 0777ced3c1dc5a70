package namematch_test

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

var (
	realOnce sync.Once
	realIx   *namematch.Index
	realRecs []namematch.Record
)

// realIndex indexes the real 2025-02 OFAC SDN and UN lists.
func realIndex(t *testing.T) (*namematch.Index, []namematch.Record) {
	t.Helper()
	ofacPath := testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv")
	unPath := testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml")
	realOnce.Do(func() {
		ofac, err := sanctions.ParseOFACCSV(ofacPath)
		if err != nil {
			t.Fatal(err)
		}
		un, err := sanctions.ParseUNXML(unPath)
		if err != nil {
			t.Fatal(err)
		}
		realRecs = sanctions.NameRecords(append(ofac.Entities, un.Entities...))
		realIx = namematch.Build(realRecs)
	})
	if realIx == nil {
		t.Fatal("real lists failed to load")
	}
	return realIx, realRecs
}

// randomQuery builds a query from the real names: a listed name's tokens,
// some dropped, reordered, misspelt or mixed with another name's tokens.
func randomQuery(rng *rand.Rand, recs []namematch.Record) string {
	pick := func() []string {
		r := recs[rng.IntN(len(recs))]
		return strings.Fields(r.Names[rng.IntN(len(r.Names))].Text)
	}
	toks := pick()
	if rng.IntN(3) == 0 && len(toks) > 1 {
		toks = append(toks[:0:0], toks...)
		i := rng.IntN(len(toks))
		toks = append(toks[:i], toks[i+1:]...)
	}
	if rng.IntN(3) == 0 {
		o := pick()
		toks = append(append([]string{}, toks...), o[rng.IntN(len(o))])
	}
	if rng.IntN(3) == 0 {
		rng.Shuffle(len(toks), func(i, j int) { toks[i], toks[j] = toks[j], toks[i] })
	}
	if rng.IntN(3) == 0 && len(toks) > 0 {
		i := rng.IntN(len(toks))
		if b := []byte(toks[i]); len(b) > 3 {
			k := rng.IntN(len(b))
			b[k] = byte('a' + rng.IntN(26))
			toks[i] = string(b)
		}
	}
	if len(toks) > 6 {
		toks = toks[:6]
	}
	return strings.Join(toks, " ")
}

// The candidate bounds are admissible: at every threshold t, a search returns
// exactly the records that scoring every name finds at or above t, with the
// same scores, whatever the threshold asked (random queries over the real
// lists). A query token is compared only with the listed tokens its keys
// reach, so every name a key reaches, scored without bound, is every name
// that can score above zero.
func TestSearchEqualsFullScoringReal(t *testing.T) {
	ix, recs := realIndex(t)
	rng := rand.New(rand.NewPCG(13, 5))
	n := 200
	if testing.Short() {
		n = 40
	}
	queries := []string{"Kim Jong Un", "Muhammad Ali", "Al Qaida", "Hamas", "Bank Melli Iran", "MAHROUS, Iytd", "Abdul Rahman Al"}
	for range n {
		queries = append(queries, randomQuery(rng, recs))
	}
	thresholds := []float64{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9}
	for _, q := range queries {
		full := ix.ScoreCandidates(q, thresholds[0])
		for _, th := range thresholds {
			got := map[int]float64{}
			for _, h := range ix.Search(q, namematch.Options{MinScore: th, Limit: -1}) {
				got[h.RecordIndex] = h.Score
			}
			for r, s := range full {
				if s >= th && got[r] != s {
					t.Errorf("%q at min_score %.2f: %s scores %.4f when every candidate is scored, search gave %.4f", q, th, recs[r].ID, s, got[r])
				}
			}
			for r, s := range got {
				if full[r] != s {
					t.Errorf("%q at min_score %.2f: search gave %s %.4f, full scoring %.4f", q, th, recs[r].ID, s, full[r])
				}
			}
		}
	}
}
