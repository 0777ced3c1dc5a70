package trace

import (
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
)

// Kinds tells a trace which txs are CoinJoins. The classifier's per-tx kinds
// stored in the index are the real source; ShapeKinds is the fallback for an
// index without them.
type Kinds interface {
	// CoinJoin returns the CoinJoin kind of tx t ("wasabi2", "whirlpool",
	// …) or "" when t is not a CoinJoin.
	CoinJoin(g index.Graph, t uint64) string
}

// KindsFunc adapts a function to Kinds.
type KindsFunc func(g index.Graph, t uint64) string

// CoinJoin calls f.
func (f KindsFunc) CoinJoin(g index.Graph, t uint64) string { return f(g, t) }

// Whirlpool pool denominations (satoshis).
var whirlpoolPools = map[int64]bool{100_000: true, 1_000_000: true, 5_000_000: true, 50_000_000: true}

// ShapeKinds recognises CoinJoins by their published shapes (DESIGN.md §3):
// Whirlpool's equal pool-sized 5-in-5-out rounds, Wasabi 1's ~0.1 BTC
// denomination, Wasabi 2's many segwit inputs and outputs sorted by value,
// and JoinMarket's equal outputs, one per distinct input owner at most.
func ShapeKinds(g index.Graph, t uint64) string {
	r := g.TxRange(t)
	nIn, nOut := int(r.InEnd-r.InStart), int(r.OutEnd-r.OutStart)
	if nIn < 2 || nOut < 2 {
		return ""
	}
	top, n := topEqual(g, r)
	segwit := true
	prev := int64(-1)
	sorted := true
	for o := r.OutStart; o < r.OutEnd; o++ {
		out := g.Output(o)
		switch out.Type {
		case chain.P2WPKH, chain.P2TR, chain.OpReturn:
		default:
			segwit = false
		}
		if prev >= 0 && out.Value > prev {
			sorted = false
		}
		prev = out.Value
	}
	inAddrs := map[uint64]bool{}
	for i := r.InStart; i < r.InEnd; i++ {
		if o := g.Input(i); o != index.NoID && o != index.CoinbaseID {
			inAddrs[g.Output(o).Addr] = true
		}
	}
	switch {
	case nIn >= 5 && nIn <= 8 && nOut == nIn && n == nOut && whirlpoolPools[top]:
		return "whirlpool"
	case segwit && n >= 10 && top >= 8_000_000 && top <= 12_000_000 && nIn >= n:
		return "wasabi1"
	case segwit && nIn >= 20 && nOut >= 10 && sorted:
		return "wasabi2"
	case n >= 3 && n <= len(inAddrs) && 2*n >= nOut && n < nOut:
		return "joinmarket"
	}
	return ""
}

// topEqual returns the most repeated output value of a tx and its count
// (ties to the larger value).
func topEqual(g index.Graph, r index.Range) (top int64, n int) {
	cnt := map[int64]int{}
	for o := r.OutStart; o < r.OutEnd; o++ {
		cnt[g.Output(o).Value]++
	}
	for v, c := range cnt {
		if c > n || c == n && v > top {
			top, n = v, c
		}
	}
	return top, n
}
