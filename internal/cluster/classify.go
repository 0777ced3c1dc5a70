package cluster

import (
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
)

// ClassifierMultiParty returns the MultiPartyFunc of the transaction
// classifier (internal/classify) for ix: txs whose kinds are multi-party
// (CoinJoins, Stonewall) are not merged on. It reads the kinds the index
// stored at ingest when they are by this build's rules; otherwise (an index
// ingested without the classifier, or by other rules) it classifies each tx
// from the index's facts, as ingest would. Not safe for concurrent use (a
// Store calls it under its lock).
func ClassifierMultiParty(ix *index.Index) MultiPartyFunc {
	if v, ok := ix.KindsVersion(); ok && v == classify.RulesVersion {
		return func(g index.Graph, t uint64) bool { return classify.Set(g.TxKinds(t)).MultiParty() }
	}
	var (
		c  classify.Classifier
		f  index.TxFacts
		tx classify.Tx
	)
	return func(g index.Graph, t uint64) bool {
		g.TxFacts(t, &f)
		classify.FromFacts(&f, &tx)
		return c.Set(&tx).MultiParty()
	}
}
