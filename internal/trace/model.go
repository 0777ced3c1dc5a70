package trace

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// Model is a taint model: how the tainted satoshis entering a transaction are
// assigned to what leaves it (DESIGN.md §5).
type Model string

// The taint models.
const (
	// Poison: a tx with any tainted input taints every output (and the fee)
	// fully. It does not conserve the tainted amount: it grows to the full
	// value of every tx it touches.
	Poison Model = "poison"
	// Haircut: the taint is spread over the outputs and the fee in proportion
	// to their values (largest remainders keep it exact in satoshis).
	Haircut Model = "haircut"
	// FIFO: satoshis flow in input order onto outputs in output order, the
	// fee last (Clayton's case); tainted satoshi ranges are tracked exactly.
	FIFO Model = "fifo"
	// TIHO: taint-in, highest-out: the taint fills the largest output first,
	// then the next largest, the fee last.
	TIHO Model = "tiho"
)

// Models lists the models in the order reports show them.
var Models = []Model{Poison, Haircut, FIFO, TIHO}

// ParseModel parses a model name.
func ParseModel(s string) (Model, error) {
	for _, m := range Models {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown taint model %q (want poison, haircut, fifo or tiho)", s)
}

// span is a half-open satoshi range [lo, hi) inside one coin.
type span struct{ lo, hi int64 }

// taint is the tainted part of one coin: its amount and, under FIFO, which
// satoshis of the coin (sorted, disjoint spans summing to amount).
type taint struct {
	amount int64
	spans  []span
}

// full returns the taint of a whole coin of value v.
func full(m Model, v int64) taint {
	t := taint{amount: v}
	if m == FIFO && v > 0 {
		t.spans = []span{{0, v}}
	}
	return t
}

// mulDiv returns a*b/c rounded down and the remainder; it needs a*b < c·2⁶⁴
// (true when a ≤ c or b ≤ c).
func mulDiv(a, b, c int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	uq, ur := bits.Div64(hi, lo, uint64(c))
	return int64(uq), int64(ur)
}

// apportion splits total over weights in proportion to them, exactly: each
// share is rounded down and the leftover satoshis go to the largest
// remainders (ties to the lower index). It needs total ≤ Σweights.
func apportion(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	rem := make([]int64, len(weights))
	var given int64
	for i, w := range weights {
		out[i], rem[i] = mulDiv(total, w, sum)
		given += out[i]
	}
	left := total - given
	if left > 0 {
		idx := make([]int, len(weights))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
		for _, i := range idx[:left] {
			out[i]++
		}
	}
	return out
}

// fillLargest fills total into the slots with the largest values first (ties
// to the lower index), each up to its value; slots listed in last are filled
// after all others.
func fillLargest(total int64, values []int64, last int) []int64 {
	out := make([]int64, len(values))
	idx := make([]int, 0, len(values))
	for i := range values {
		if i != last {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(values[b], values[a]) })
	if last >= 0 && last < len(values) {
		idx = append(idx, last)
	}
	for _, i := range idx {
		if total <= 0 {
			break
		}
		n := min(total, values[i])
		out[i] = n
		total -= n
	}
	return out
}

// intersect maps spans given in a global satoshi line onto the consecutive
// slots of sizes sizes (slot k covers [Σsizes[:k], Σsizes[:k+1])), returning
// each slot's spans relative to its start.
func intersect(global []span, sizes []int64) [][]span {
	out := make([][]span, len(sizes))
	var start int64
	g := 0
	for k, sz := range sizes {
		end := start + sz
		for g < len(global) && global[g].hi <= start {
			g++
		}
		for j := g; j < len(global) && global[j].lo < end; j++ {
			lo, hi := max(global[j].lo, start), min(global[j].hi, end)
			if lo < hi {
				out[k] = append(out[k], span{lo - start, hi - start})
			}
		}
		start = end
	}
	return out
}

// sumSpans returns the satoshis spans cover.
func sumSpans(ss []span) int64 {
	var n int64
	for _, s := range ss {
		n += s.hi - s.lo
	}
	return n
}

// toGlobal lays coins of sizes one after the other and returns their spans
// on that line.
func toGlobal(ts []taint, sizes []int64) []span {
	var g []span
	var start int64
	for i, t := range ts {
		for _, s := range t.spans {
			lo, hi := start+s.lo, start+min(s.hi, sizes[i])
			if lo >= hi {
				continue
			}
			if n := len(g); n > 0 && g[n-1].hi == lo {
				g[n-1].hi = hi
			} else {
				g = append(g, span{lo, hi})
			}
		}
		start += sizes[i]
	}
	return g
}

// splitForward assigns the taint on a tx's inputs (ins[i] on an input of
// value inVals[i]) to its outputs (values outVals) and its fee. Except under
// Poison, Σouts + fee == Σins exactly.
func splitForward(m Model, ins []taint, inVals, outVals []int64, fee int64) (outs []taint, feeTaint int64) {
	outs = make([]taint, len(outVals))
	var total int64
	for _, t := range ins {
		total += t.amount
	}
	if total <= 0 {
		return outs, 0
	}
	slots := append(append(make([]int64, 0, len(outVals)+1), outVals...), fee)
	switch m {
	case Poison:
		for j, v := range outVals {
			outs[j] = taint{amount: v}
		}
		return outs, fee
	case FIFO:
		g := toGlobal(ins, inVals)
		per := intersect(g, slots)
		for j := range outVals {
			outs[j] = taint{amount: sumSpans(per[j]), spans: per[j]}
		}
		feeTaint = sumSpans(per[len(outVals)])
		// Taint beyond the outputs and fee (inputs worth more than they
		// spend cannot happen in a valid tx; an unindexed input makes the
		// line short) stays with the fee so nothing is lost.
		var got int64
		for _, o := range outs {
			got += o.amount
		}
		feeTaint += total - got - feeTaint
		return outs, feeTaint
	case TIHO:
		sh := fillLargest(total, slots, len(outVals))
		for j := range outVals {
			outs[j] = taint{amount: sh[j]}
		}
		var got int64
		for _, v := range sh {
			got += v
		}
		return outs, sh[len(outVals)] + total - got
	default: // Haircut
		var sum int64
		for _, v := range slots {
			sum += v
		}
		if total > sum { // an unindexed input's value is missing: keep it exact anyway
			slots[len(outVals)] += total - sum
		}
		sh := apportion(total, slots)
		for j := range outVals {
			outs[j] = taint{amount: sh[j]}
		}
		return outs, sh[len(outVals)]
	}
}

// splitBackward assigns the taint on a tx's outputs (outs[j] on an output of
// value outVals[j], the fee untainted) to its inputs (values inVals). Except
// under Poison, Σins == Σouts whenever Σouts ≤ ΣinVals.
func splitBackward(m Model, outs []taint, outVals, inVals []int64) []taint {
	ins := make([]taint, len(inVals))
	var total int64
	for _, t := range outs {
		total += t.amount
	}
	if total <= 0 {
		return ins
	}
	switch m {
	case Poison:
		for i, v := range inVals {
			ins[i] = taint{amount: v}
		}
	case FIFO:
		g := toGlobal(outs, outVals)
		per := intersect(g, inVals)
		for i := range inVals {
			ins[i] = taint{amount: sumSpans(per[i]), spans: per[i]}
		}
	case TIHO:
		sh := fillLargest(total, inVals, -1)
		for i := range inVals {
			ins[i] = taint{amount: sh[i]}
		}
	default:
		sh := apportion(total, inVals)
		for i := range inVals {
			ins[i] = taint{amount: sh[i]}
		}
	}
	return ins
}
