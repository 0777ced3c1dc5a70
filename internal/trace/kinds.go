package trace

import (
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
)

// Kinds tells a trace which txs are CoinJoins.
type Kinds interface {
	// CoinJoin returns the CoinJoin kind of tx t ("wasabi2", "whirlpool",
	// …) or "" when t is not a CoinJoin.
	CoinJoin(g index.Graph, t uint64) string
}

// KindsFunc adapts a function to Kinds.
type KindsFunc func(g index.Graph, t uint64) string

// CoinJoin calls f.
func (f KindsFunc) CoinJoin(g index.Graph, t uint64) string { return f(g, t) }

// StoredKinds reads the classifier's kinds stored per tx in the index at
// ingest (internal/classify): the first CoinJoin kind of tx t, or "".
func StoredKinds(g index.Graph, t uint64) string {
	s := classify.Set(g.TxKinds(t))
	if !s.IsCoinJoin() {
		return ""
	}
	for _, k := range s.Kinds() {
		if k.Bit().IsCoinJoin() {
			return string(k)
		}
	}
	return ""
}
