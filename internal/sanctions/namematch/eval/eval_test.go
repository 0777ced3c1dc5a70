package eval

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Floors sit a little below the figures measured when the default threshold
// was chosen (docs/name-matching.md), so that a regression fails.
const (
	recallFloor  = 0.95
	fpRateCeil   = 0.04
	minPositives = 150
	minNegatives = 150
)

func realIndex(t testing.TB) *namematch.Index {
	t.Helper()
	ofac, err := LoadOFACCSV(filepath.Dir(testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv")))
	if err != nil {
		t.Fatal(err)
	}
	un, err := LoadUNXML(testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ofac) != 16989 || len(un) != 730+273 {
		t.Fatalf("loaded %d OFAC and %d UN entries, want 16989 and 1003", len(ofac), len(un))
	}
	return namematch.Build(append(ofac, un...))
}

func loadCases(t testing.TB) []Case {
	t.Helper()
	pos, err := LoadSet("testdata/positives.csv")
	if err != nil {
		t.Fatal(err)
	}
	neg, err := LoadSet("testdata/negatives.csv")
	if err != nil {
		t.Fatal(err)
	}
	return append(pos, neg...)
}

func TestEvaluationFloors(t *testing.T) {
	ix := realIndex(t)
	cases := loadCases(t)
	pts := Run(ix, cases, []float64{namematch.DefaultMinScore})
	p := pts[0]
	if p.Positives < minPositives || p.Negatives < minNegatives {
		t.Fatalf("set has %d positives and %d negatives, want at least %d and %d", p.Positives, p.Negatives, minPositives, minNegatives)
	}
	var buf bytes.Buffer
	Report(&buf, pts, namematch.DefaultMinScore, testing.Verbose())
	t.Log("\n" + buf.String())
	if r := p.Recall(); r < recallFloor {
		t.Errorf("recall %.3f at %.2f, floor %.2f", r, p.Threshold, recallFloor)
	}
	if f := p.FPRate(); f > fpRateCeil {
		t.Errorf("false-positive rate %.3f at %.2f, ceiling %.2f", f, p.Threshold, fpRateCeil)
	}
}

// Every expected entity must exist in the lists (the set is not stale).
func TestSetEntitiesExist(t *testing.T) {
	ix := realIndex(t)
	ids := map[string]bool{}
	n, _ := ix.Len()
	for i := 0; i < n; i++ {
		ids[ix.Record(i).ID] = true
	}
	for _, c := range loadCases(t) {
		if c.Expect != "" && !ids[c.Expect] {
			t.Errorf("case %q expects %s, which is not listed", c.Query, c.Expect)
		}
	}
}
