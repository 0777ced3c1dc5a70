package classify

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// AnyCoinJoin is the evaluation label meaning "any CoinJoin kind is right",
// and None "no CoinJoin kind and no Whirlpool Tx0".
const (
	AnyCoinJoin = "coinjoin"
	None        = "none"
)

// Score is one kind's figures in an evaluation.
type Score struct {
	Kind      string  `json:"kind"`
	Expected  int     `json:"expected"`
	Predicted int     `json:"predicted"`
	TruePos   int     `json:"true_positives"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// NoneScore is the false-positive rate on txs that are no CoinJoin and no
// Tx0: a CoinJoin kind or whirlpool-tx0 found in one is a false positive.
type NoneScore struct {
	Rows           int     `json:"rows"`
	FalsePositives int     `json:"false_positives"`
	FPRate         float64 `json:"fp_rate"`
}

// Miss is a tx whose kinds disagree with its label.
type Miss struct {
	Txid  string `json:"txid"`
	Label string `json:"label"`
	Got   string `json:"got"`
}

// Report is an evaluation's result.
type Report struct {
	Rows   int       `json:"rows"`
	Kinds  []Score   `json:"kinds"`
	None   NoneScore `json:"none"`
	Misses []Miss    `json:"misses"`
}

// Tally accumulates an evaluation. Each tx comes with what is expected of
// it: a set of kinds (want), "any CoinJoin kind" (anyCJ), and which kinds
// the expectation speaks for (scope: kinds outside it are not scored for
// this tx, e.g. a dev-set label says nothing about peel).
type Tally struct {
	order  []Kind
	scores map[Kind]*Score
	any    Score
	anyOn  bool
	none   NoneScore
	rows   int
	misses []Miss
}

// NewTally scores kinds (in that order); withAny adds the "coinjoin (any)"
// row for txs labelled AnyCoinJoin.
func NewTally(kinds []Kind, withAny bool) *Tally {
	t := &Tally{order: kinds, scores: map[Kind]*Score{}, anyOn: withAny}
	for _, k := range kinds {
		t.scores[k] = &Score{Kind: string(k)}
	}
	t.any.Kind = AnyCoinJoin + " (any kind)"
	return t
}

// cjOrTx0 are the kinds a "none" tx must not carry.
var cjOrTx0 = coinJoinKinds | WhirlpoolTx0.Bit()

// Add scores one tx: want and scope as described on Tally; anyCJ for an
// AnyCoinJoin label; got is what the classifier found.
func (t *Tally) Add(txid, label string, want, scope Set, anyCJ bool, got Set) {
	t.rows++
	miss := false
	if anyCJ {
		t.any.Expected++
		if got.IsCoinJoin() {
			t.any.TruePos++
		} else {
			miss = true
		}
	} else {
		for _, k := range t.order {
			if !scope.Has(k) {
				continue
			}
			s := t.scores[k]
			w, g := want.Has(k), got.Has(k)
			if w {
				s.Expected++
			}
			if g {
				s.Predicted++
			}
			if w && g {
				s.TruePos++
			}
			if w != g {
				miss = true
			}
		}
		if want&cjOrTx0 == 0 && scope&cjOrTx0 == cjOrTx0 {
			t.none.Rows++
			if got&cjOrTx0 != 0 {
				t.none.FalsePositives++
				miss = true
			}
		}
	}
	// The AnyCoinJoin row: recall over txs labelled AnyCoinJoin; precision
	// over the txs whose label names no specific kind (AnyCoinJoin, None).
	if t.anyOn && (anyCJ || want&cjOrTx0 == 0) && got.IsCoinJoin() {
		t.any.Predicted++
	}
	if miss {
		t.misses = append(t.misses, Miss{txid, label, got.String()})
	}
}

// Report returns the figures so far.
func (t *Tally) Report() Report {
	r := Report{Rows: t.rows, None: t.none, Misses: t.misses}
	if r.Misses == nil {
		r.Misses = []Miss{}
	}
	fill := func(s Score) Score {
		s.Precision, s.Recall = ratio(s.TruePos, s.Predicted), ratio(s.TruePos, s.Expected)
		return s
	}
	for _, k := range t.order {
		r.Kinds = append(r.Kinds, fill(*t.scores[k]))
	}
	if t.anyOn {
		r.Kinds = append(r.Kinds, fill(t.any))
	}
	r.None.FPRate = ratio(r.None.FalsePositives, r.None.Rows)
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteTable prints r as a table, with up to maxMisses disagreeing txs.
func (r Report) WriteTable(w io.Writer, maxMisses int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kind\texpected\tpredicted\ttrue pos.\tprecision\trecall\t\n")
	for _, s := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", s.Kind, s.Expected, s.Predicted, s.TruePos, pct(s.TruePos, s.Predicted), pct(s.TruePos, s.Expected))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "none: %d txs, %d false positives (a CoinJoin kind or whirlpool-tx0): FP rate %.2f%%\n",
		r.None.Rows, r.None.FalsePositives, 100*r.None.FPRate)
	fmt.Fprintf(w, "%d txs scored, %d disagree with their label\n", r.Rows, len(r.Misses))
	for i, m := range r.Misses {
		if i == maxMisses {
			fmt.Fprintf(w, "  … %d more (--json lists all)\n", len(r.Misses)-maxMisses)
			break
		}
		fmt.Fprintf(w, "  %s  label %s, found %s\n", m.Txid, m.Label, m.Got)
	}
	return nil
}

func pct(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4f", float64(a)/float64(b))
}

// DevLabel maps an evaluation label (a CoinJoin kind, whirlpool-tx0,
// AnyCoinJoin or None) to what Tally.Add takes.
func DevLabel(label string) (want, scope Set, anyCJ bool, err error) {
	scope = cjOrTx0
	switch label {
	case AnyCoinJoin:
		return 0, scope, true, nil
	case None:
		return 0, scope, false, nil
	}
	k := Kind(label)
	if !k.Valid() || !cjOrTx0.Has(k) || k == CoinJoin {
		return 0, 0, false, fmt.Errorf("label %q is not one of wasabi1, wasabi2, whirlpool, whirlpool-tx0, joinmarket, coinjoin, none", label)
	}
	return k.Bit(), scope, false, nil
}

// DevKinds are the kinds an Esplora evaluation scores one by one.
var DevKinds = []Kind{Whirlpool, WhirlpoolTx0, Wasabi1, Wasabi2, JoinMarket}
