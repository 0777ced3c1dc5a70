package trace

import (
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/index"
)

// Linking CoinJoin and mixer outputs to deposit addresses.
const (
	linkDepth      = 3    // txs looked ahead from an output
	linkFanout     = 4    // most outputs of a tx looked through
	linkConfidence = 0.95 // confidence kept by a linked output
)

// maxLinkRounds bounds the pass-through rounds.
const maxLinkRounds = 4

// accountAddrs returns the deposit addresses of service endpoints whose
// combined confidence over all the taint reaching them is at least
// MinConfidence.
func (w *walk) accountAddrs() map[uint64]bool {
	miss := map[string]float64{}
	for _, e := range w.ends {
		if e.Outpoint == "" || e.Category != "exchange" && !IsService(e.Category) || e.Category == "mixer" || e.Category == "coinjoin" {
			continue
		}
		if _, ok := miss[e.Address]; !ok {
			miss[e.Address] = 1
		}
		miss[e.Address] *= 1 - e.Confidence
	}
	m := map[uint64]bool{}
	for _, e := range w.ends {
		if p, ok := miss[e.Address]; ok && 1-p >= w.req.Limits.MinConfidence-1e-9 {
			if a, ok := w.outpointAddr(e.Outpoint); ok {
				m[a] = true
			}
		}
	}
	return m
}

// outpointAddr returns the address id of output "txid:vout".
func (w *walk) outpointAddr(op string) (uint64, bool) {
	id, vout, _ := strings.Cut(op, ":")
	h, err := chainhash.NewHashFromStr(id)
	if err != nil {
		return 0, false
	}
	t, ok := w.g.TxNumOf(*h)
	n, err := strconv.Atoi(vout)
	if !ok || err != nil {
		return 0, false
	}
	r := w.g.TxRange(t)
	if uint64(n) >= r.OutEnd-r.OutStart {
		return 0, false
	}
	a := w.g.Output(r.OutStart + uint64(n)).Addr
	return a, a != index.NoID
}

// depositAddrs returns the addresses of the service endpoints (not mixers
// or CoinJoins) the walk reached, the traced owner's accounts there.
func (w *walk) depositAddrs() map[uint64]bool {
	m := map[uint64]bool{}
	for _, e := range w.ends {
		if e.Outpoint == "" || !IsService(e.Category) || e.Category == "mixer" || e.Category == "coinjoin" {
			continue
		}
		if a, ok := w.outpointAddr(e.Outpoint); ok {
			m[a] = true
		}
	}
	return m
}

// linkedAhead reports whether output o reaches, within depth txs (not
// through another CoinJoin), a deposit address in w.linked.
func (w *walk) linkedAhead(o uint64, depth int) bool {
	if len(w.linked) == 0 {
		return false
	}
	out := w.g.Output(o)
	if w.linked[out.Addr] {
		return true
	}
	if depth <= 1 || out.SpentBy == index.NoID || w.attribution(out.Addr).service {
		return false
	}
	st := w.g.TxOfInput(out.SpentBy)
	r := w.g.TxRange(st)
	if r.OutEnd-r.OutStart > linkFanout || w.tr.kinds.CoinJoin(w.g, st) != "" {
		return false
	}
	for x := r.OutStart; x < r.OutEnd; x++ {
		if w.linkedAhead(x, depth-1) {
			return true
		}
	}
	return false
}

// coinjoinChange returns the output of CoinJoin tx (range r, output values
// outs, equal-value counts cnt) that is the change of its tainted inputs,
// or -1: the single non-equal output c with 0 ≤ Σtainted inputs − n·d − c ≤
// 1% of them + 100 000 sat for some denomination d among the equal outputs
// and n ≥ 1.
func (w *walk) coinjoinChange(it *item, r index.Range, outs []int64, cnt map[int64]int) int {
	var vin int64
	for k, s := range it.slots {
		if s.amount > 0 {
			// Only inputs that are mostly tainted count as the traced
			// owner's (others carry a share spread by an earlier CoinJoin).
			if o := w.g.Input(r.InStart + uint64(k)); o != index.NoID && o != index.CoinbaseID {
				if v := w.g.Output(o).Value; 2*s.amount >= v {
					vin += v
				}
			}
		}
	}
	slack := vin/100 + 100_000
	found := -1
	for j, c := range outs {
		if cnt[c] >= 2 || c == 0 {
			continue
		}
		for d, n := range cnt {
			if n < 2 {
				continue
			}
			fits := false
			for k := int64(1); k <= int64(n) && k*d < vin; k++ {
				if rest := vin - k*d - c; rest >= 0 && rest <= slack {
					fits = true
					break
				}
			}
			if fits {
				if found >= 0 && found != j {
					return -1 // ambiguous
				}
				found = j
			}
		}
	}
	return found
}
