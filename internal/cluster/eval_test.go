package cluster

import (
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/index"
)

// TestEvalAgainstTruth clusters a simulated chain with an oracle
// classifier (the truth's CoinJoins) and checks the pair counts against a
// brute-force enumeration of all address pairs, the precision of
// multi-input clustering against the truth, and that change heuristics add
// recall.
func TestEvalAgainstTruth(t *testing.T) {
	simDir, blocks := simChain(t)
	tmp := t.TempDir()
	ix := openIndex(t, filepath.Join(tmp, "ix"), blocks, len(blocks))
	tr, err := ReadTruth(simDir, ix)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ids) < 1000 {
		t.Fatalf("only %d truth addresses in the index", len(tr.ids))
	}
	mp := truthMultiParty(t, simDir, ix)
	evals := map[ChangeMode]Eval{}
	for _, mode := range ChangeModes {
		s := openStore(t, filepath.Join(tmp, mode.String()), Options{Change: mode, MultiParty: mp})
		syncT(t, s, ix)
		e := s.Evaluate(tr)
		evals[mode] = e
		t.Logf("%s: %+v", mode, e)
		if mode == ChangeOff {
			bruteForcePairs(t, s, tr, e)
		}
	}
	off := evals[ChangeOff]
	if off.Precision < 0.99 {
		t.Errorf("multi-input precision %.4f < 0.99 with CoinJoins excluded", off.Precision)
	}
	if off.WrongMultiInput > off.MultiInput/100 {
		t.Errorf("%d of %d multi-input merges join two owners", off.WrongMultiInput, off.MultiInput)
	}
	if st := evals[ChangeStrict]; st.Recall <= off.Recall || st.ChangeMerges == 0 {
		t.Errorf("strict change: recall %.4f vs %.4f multi-input only, %d change merges", st.Recall, off.Recall, st.ChangeMerges)
	}
	if on := evals[ChangeOn]; on.ChangeMerges < evals[ChangeStrict].ChangeMerges {
		t.Errorf("on merges less change (%d) than strict (%d)", on.ChangeMerges, evals[ChangeStrict].ChangeMerges)
	}
	// The real classifier in place of the oracle: the precision goal holds.
	s := openStore(t, filepath.Join(tmp, "classifier"), Options{Change: ChangeOn, MultiParty: ClassifierMultiParty(ix)})
	syncT(t, s, ix)
	if e := s.Evaluate(tr); e.Precision < 0.995 || e.Recall < off.Recall {
		t.Errorf("with the classifier: %+v", e)
	}
}

// bruteForcePairs enumerates every address pair (small chains only).
func bruteForcePairs(t *testing.T, s *Store, tr *Truth, e Eval) {
	t.Helper()
	roots := make([]uint64, len(tr.ids))
	for i, a := range tr.ids {
		roots[i], _, _ = s.ClusterOf(a)
	}
	var pred, truth, both uint64
	for i := range tr.ids {
		for j := i + 1; j < len(tr.ids); j++ {
			p, q := roots[i] == roots[j], tr.owner[i] == tr.owner[j]
			if p {
				pred++
			}
			if q {
				truth++
			}
			if p && q {
				both++
			}
		}
	}
	if pred != e.PredictedPairs || truth != e.TruePairs || both != e.CorrectPairs {
		t.Fatalf("pairs: enumerated %d/%d/%d, combinatorial %d/%d/%d", pred, truth, both, e.PredictedPairs, e.TruePairs, e.CorrectPairs)
	}
}

// TestGuardsAndExplain: with the investigator's labels, no cluster holds
// two different service labels (refusals are logged), a small size limit
// holds change merges of two large clusters, and explain's path is made of
// merges whose txs spend from the addresses they name.
func TestGuardsAndExplain(t *testing.T) {
	simDir, blocks := simChain(t)
	tmp := t.TempDir()
	ix := openIndex(t, filepath.Join(tmp, "ix"), blocks, len(blocks))
	tr, err := ReadTruth(simDir, ix)
	if err != nil {
		t.Fatal(err)
	}
	// Without the oracle classifier CoinJoins join owners. With every
	// address labelled by its true owner, the guard must refuse each such
	// merge: precision becomes exact and the refusals are logged.
	owners := &TruthLabeler{byKey: map[string]string{}}
	for i, id := range tr.ids {
		k, _ := ix.AddressKey(id)
		owners.byKey[string(k)] = tr.actors[tr.owner[i]]
	}
	s := openStore(t, filepath.Join(tmp, "c"), Options{Change: ChangeOn, Labeler: owners, SizeLimit: 20})
	syncT(t, s, ix)
	e := s.Evaluate(tr)
	if e.RefusedLabels == 0 || e.Precision != 1 || e.WrongMultiInput != 0 || e.WrongChange != 0 {
		t.Fatalf("owner labels as service labels: %+v", e)
	}
	labelOf := map[uint64]string{}
	for i, a := range tr.ids {
		r, _, _ := s.ClusterOf(a)
		l := tr.actors[tr.owner[i]]
		if have, ok := labelOf[r]; ok && have != l {
			t.Fatalf("cluster %d holds %q and %q", r, have, l)
		}
		labelOf[r] = l
	}
	s.EachMerge(func(_ uint64, m Merge) bool {
		if m.Status == HeldSize && (m.Heuristic == MultiInput || m.ChildSize <= 20 || m.RootSize <= 20) {
			t.Fatalf("held merge %+v", m)
		}
		return true
	})

	// Explain: pairs in one cluster have a path whose every step is a tx
	// spending from the step's A; pairs in different clusters have none.
	inputs := func(tx uint64) map[uint64]bool {
		got := map[uint64]bool{}
		ix.View(func(g index.Graph) error {
			r := g.TxRange(tx)
			for i := r.InStart; i < r.InEnd; i++ {
				if o := g.Input(i); o < index.CoinbaseID {
					got[g.Output(o).Addr] = true
				}
			}
			return nil
		})
		return got
	}
	checked := 0
	for i := 0; i < len(tr.ids) && checked < 200; i += 7 {
		a, b := tr.ids[i], tr.ids[(i*31+5)%len(tr.ids)]
		if i%2 == 0 { // a member of a's own cluster
			s.Members(a, 0, func(m uint64) bool { b = m; return m%5 != 0 })
		}
		same, steps := s.Explain(a, b)
		if same != s.SameCluster(a, b) {
			t.Fatalf("explain(%d,%d) same=%v", a, b, same)
		}
		if !same || a == b {
			if len(steps) != 0 {
				t.Fatalf("explain(%d,%d): path across clusters", a, b)
			}
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("explain(%d,%d): empty path in one cluster", a, b)
		}
		// The steps chain: each starts in the cluster the previous one
		// reached, and a's side comes first.
		if !s.SameCluster(steps[0].From, a) || !s.SameCluster(steps[len(steps)-1].To, b) {
			t.Fatalf("explain(%d,%d): path ends %d, %d", a, b, steps[0].From, steps[len(steps)-1].To)
		}
		for _, st := range steps {
			if st.Merge.Status != Applied || !inputs(st.Merge.Tx)[st.Merge.A] {
				t.Fatalf("explain(%d,%d): step %+v", a, b, st.Merge)
			}
			if st.Merge.Heuristic == MultiInput && !inputs(st.Merge.Tx)[st.Merge.B] {
				t.Fatalf("multi-input step whose B is not an input: %+v", st.Merge)
			}
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d same-cluster pairs explained", checked)
	}
}
