package monitor

import (
	"context"
	"path/filepath"
	"testing"
)

// The accuracy goal on the test chain (lazarus seed 5, scale 0.05), scored
// against the simulator's books: every cash-out deposit raises an alert, and
// ordinary customers' deposits stay at LOW or below (at most 1%).
func TestEvalSimulated(t *testing.T) {
	c := testChain(t)
	db, _ := openSQLite(t)
	rep, err := Eval(context.Background(), db, c.ix, filepath.Join(c.dir, "sim"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CashOuts != len(c.hdr.CashOuts) || rep.CashOuts == 0 || rep.Ordinary < rep.CashOuts {
		t.Fatalf("deposits: %d cash-outs (books %d), %d ordinary", rep.CashOuts, len(c.hdr.CashOuts), rep.Ordinary)
	}
	if len(rep.Sources) == 0 || rep.Sources[0] == "" {
		t.Fatalf("no loot address found in the theft tx: %+v", rep.Sources)
	}
	t.Logf("recall %.3f (%d/%d), false above LOW %.3f (%d/%d), any alert on ordinary %d",
		rep.Recall, rep.CashOutsAlerted, rep.CashOuts, rep.FalseRate, rep.OrdinaryAboveLow, rep.Ordinary, rep.OrdinaryAlerted)
	if rep.Recall < 0.95 {
		t.Errorf("recall %.3f < 0.95: %+v", rep.Recall, rep.RecallByVia)
	}
	if rep.FalseRate > 0.01 {
		t.Errorf("false alerts above LOW %.3f > 1%%: %+v", rep.FalseRate, rep.FalseByCategory)
	}
	// Stolen coins that went straight down the peel chains are confident taint: HIGH or above.
	if rep.CashOutLevels[High]+rep.CashOutLevels[Severe] == 0 {
		t.Errorf("no cash-out alerted above MEDIUM: %+v", rep.CashOutLevels)
	}
}
