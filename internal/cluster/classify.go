package cluster

import (
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
)

// ClassifierMultiParty returns the MultiPartyFunc of the transaction
// classifier (internal/classify): txs whose kinds are multi-party
// (CoinJoins, Stonewall) are not merged on. It classifies each tx from the
// index's graph (the same facts the classifier reads at ingest) and is not
// safe for concurrent use (a Store calls it under its lock).
func ClassifierMultiParty() MultiPartyFunc {
	var (
		c  classify.Classifier
		tx classify.Tx
	)
	return func(g index.Graph, t uint64) bool {
		r := g.TxRange(t)
		_, _, version, lockTime := g.TxInfo(t)
		tx.Version, tx.LockTime = version, lockTime
		tx.Ins, tx.Outs = tx.Ins[:0], tx.Outs[:0]
		tx.Coinbase = r.InEnd > r.InStart && g.Input(r.InStart) == index.CoinbaseID
		for i := r.InStart; i < r.InEnd; i++ {
			o := g.Input(i)
			if o == index.NoID || o == index.CoinbaseID {
				tx.Ins = append(tx.Ins, classify.Input{})
				continue
			}
			out := g.Output(o)
			in := classify.Input{Known: true, Value: out.Value, Type: out.Type}
			if out.Addr != index.NoID {
				in.Key = g.AddressKey(out.Addr)
			}
			tx.Ins = append(tx.Ins, in)
		}
		for o := r.OutStart; o < r.OutEnd; o++ {
			out := g.Output(o)
			ou := classify.Output{Value: out.Value, Type: out.Type}
			if out.Addr != index.NoID && out.Type != chain.OpReturn {
				ou.Key = g.AddressKey(out.Addr)
			}
			tx.Outs = append(tx.Outs, ou)
		}
		return c.Set(&tx).MultiParty()
	}
}
