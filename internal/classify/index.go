package classify

import "github.com/chaintrace/chaintrace/internal/index"

// FromFacts fills tx with an indexed tx's facts, reusing tx's slices (keys
// alias f's).
func FromFacts(f *index.TxFacts, tx *Tx) {
	tx.Version, tx.LockTime, tx.Coinbase = f.Version, f.LockTime, f.Coinbase
	tx.Ins, tx.Outs = tx.Ins[:0], tx.Outs[:0]
	for _, in := range f.Ins {
		tx.Ins = append(tx.Ins, Input{Known: in.Known, Value: in.Value, Type: in.Type, Key: in.Key})
	}
	for _, o := range f.Outs {
		tx.Outs = append(tx.Outs, Output{Value: o.Value, Type: o.Type, Key: o.Key})
	}
}

// IndexHook returns the hook that stores each tx's kinds in the chain index
// at ingest (index.Options.Kinds) and rebuilds them (Index.RebuildKinds).
// The hook is not safe for concurrent use (the index calls it under its
// write lock).
func IndexHook() *index.KindHook {
	var c Classifier
	var tx Tx
	return &index.KindHook{Version: RulesVersion, Classify: func(f *index.TxFacts) uint32 {
		FromFacts(f, &tx)
		return uint32(c.Set(&tx))
	}}
}

// Indexed classifies tx number t of ix with evidence; ok is false when t is
// not in the index.
func Indexed(ix *index.Index, t uint64) ([]Result, bool) {
	var f index.TxFacts
	if !ix.TxFacts(t, &f) {
		return nil, false
	}
	var tx Tx
	FromFacts(&f, &tx)
	return Classify(&tx), true
}
