package cluster

import (
	"fmt"
	"math"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
)

// ChangeMode selects the change heuristics.
type ChangeMode uint8

const (
	// ChangeStrict merges a change output only when at least two
	// independent heuristics point at it, nothing points at another
	// output, and the evidence reaches StrictThreshold.
	ChangeStrict ChangeMode = 0
	// ChangeOff is multi-input clustering only.
	ChangeOff ChangeMode = 1
	// ChangeOn merges on any evidence reaching OnThreshold.
	ChangeOn ChangeMode = 2
	// ChangeAny opens a store with the mode it was built with (on for a
	// new one).
	ChangeAny ChangeMode = 255
)

// ChangeModes lists the modes in the order eval reports them.
var ChangeModes = []ChangeMode{ChangeOff, ChangeStrict, ChangeOn}

func (m ChangeMode) String() string {
	switch m {
	case ChangeOff:
		return "off"
	case ChangeStrict:
		return "strict"
	case ChangeOn:
		return "on"
	}
	return fmt.Sprintf("change-%d", uint8(m))
}

// ParseChangeMode parses "off", "strict" or "on".
func ParseChangeMode(s string) (ChangeMode, error) {
	for _, m := range ChangeModes {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("change mode %q: want off, strict or on", s)
}

// Evidence weights: the log-odds ln(p/(1−p)) of each heuristic's precision
// as Möser & Narayanan (2022) measured it on 35 M txs (DESIGN §4). Weak
// heuristics (zeroconf, output count) are not evidence.
var (
	wFresh       = logOdds(0.960) // the only fresh output among reused ones
	wLocktime    = logOdds(0.988) // lock-time style differs on the other outputs' owners
	wVersion     = logOdds(0.983) // tx version differs on the other outputs' owners
	wOptimal     = logOdds(0.921) // the only output smaller than every input
	wRound       = logOdds(0.986) // every other output is a round payment
	wAddressType = logOdds(0.886) // the only output of the inputs' script type
)

// Thresholds (log-odds units): strict wants two heuristics and at least
// ≈ 99.8 % combined odds; on takes one strong heuristic (≈ 98 %).
const (
	StrictThreshold = 6.0
	OnThreshold     = 4.0
)

func logOdds(p float64) float64 { return math.Log(p / (1 - p)) }

type inInfo struct {
	addr  uint64
	value int64
	typ   chain.ScriptType
}

type outInfo struct {
	addr  uint64
	value int64
	typ   chain.ScriptType
	fresh bool
}

// walker is per-block scratch.
type walker struct {
	height int64
	ins    []inInfo
	outs   []outInfo
	addrs  []uint64
}

// Wallet fingerprints: tx version class × lock-time style, 1-based (0 =
// unknown).
const (
	ltZero   = 0 // nLockTime 0
	ltHeight = 1 // a height near the block's (anti-fee-sniping)
	ltOther  = 2
)

func txFingerprint(version int32, lockTime uint32, height int64) uint8 {
	v := 2
	switch version {
	case 1:
		v = 0
	case 2:
		v = 1
	}
	lt := ltOther
	switch {
	case lockTime == 0:
		lt = ltZero
	case int64(lockTime) <= height && int64(lockTime) > height-1000:
		lt = ltHeight
	}
	return uint8(1 + v*3 + lt)
}

func fpVersion(fp uint8) int  { return int(fp-1) / 3 }
func fpLockTime(fp uint8) int { return int(fp-1) % 3 }

// applyTx clusters tx t.
func (s *Store) applyTx(g index.Graph, t uint64, w *walker) {
	r := g.TxRange(t)
	freshFrom := s.nodes.n
	w.outs = w.outs[:0]
	for o := r.OutStart; o < r.OutEnd; o++ {
		out := g.Output(o)
		if out.Addr == index.NoID {
			continue
		}
		if out.Type == chain.Multisig {
			w.addrs = g.OutputAddrs(o, w.addrs[:0])
			for _, a := range w.addrs {
				s.grow(a)
			}
			continue // a bare multisig's keys may be several owners': never change
		}
		s.grow(out.Addr)
		w.outs = append(w.outs, outInfo{addr: out.Addr, value: out.Value, typ: out.Type, fresh: out.Addr >= freshFrom})
	}
	if s.opt.Labeler != nil {
		for a := freshFrom; a < s.nodes.n; a++ {
			if e := s.opt.Labeler.Service(g.AddressKey(a)); e != "" {
				n := s.nodes.get(a)
				n.tag = serviceTag(e)
				s.nodes.set(a, n)
			}
		}
	}
	if r.InEnd == r.InStart || g.Input(r.InStart) == index.CoinbaseID {
		return
	}
	w.ins = w.ins[:0]
	allKnown := true
	for i := r.InStart; i < r.InEnd; i++ {
		o := g.Input(i)
		if o == index.NoID || o == index.CoinbaseID {
			allKnown = false
			continue
		}
		out := g.Output(o)
		if out.Addr == index.NoID || out.Type == chain.Multisig {
			allKnown = false
			continue
		}
		w.ins = append(w.ins, inInfo{addr: out.Addr, value: out.Value, typ: out.Type})
	}
	// A multi-party tx has inputs of several owners, so at least two: the
	// classifier is asked only then.
	if len(w.ins) == 0 || (r.InEnd-r.InStart >= 2 && s.opt.MultiParty != nil && s.opt.MultiParty(g, t)) {
		return
	}
	_, _, version, lockTime := g.TxInfo(t)
	fp := txFingerprint(version, lockTime, w.height)
	for _, in := range w.ins {
		if n := s.nodes.get(in.addr); n.fp == 0 {
			n.fp = fp
			s.nodes.set(in.addr, n)
			Merge{Tx: t, A: in.addr, B: in.addr, Heuristic: fingerprint, FP: fp}.encode(s.log.add())
		}
	}
	first := w.ins[0].addr
	for _, in := range w.ins[1:] {
		if in.addr != first {
			s.union(t, first, in.addr, MultiInput, 0)
		}
	}
	if s.cp.Change != ChangeOff && allKnown {
		if o, score, ok := s.changeOutput(w, fp); ok {
			s.union(t, first, w.outs[o].addr, Change, score)
		}
	}
}

// changeOutput scores each output as the tx's change and returns the one
// the evidence singles out, if it clears the mode's threshold.
func (s *Store) changeOutput(w *walker, fp uint8) (int, float64, bool) {
	outs := w.outs
	if len(outs) < 2 {
		return 0, 0, false
	}
	root := s.nodes.find(w.ins[0].addr)
	minIn := int64(math.MaxInt64)
	inType, sameType := w.ins[0].typ, true
	for _, in := range w.ins {
		minIn = min(minIn, in.value)
		sameType = sameType && in.typ == inType
	}
	for _, o := range outs {
		// Change back to an input's cluster (address reuse): the change is
		// known, nothing to merge; and the other outputs are payments.
		if s.nodes.find(o.addr) == root {
			return 0, 0, false
		}
	}
	var score [16]float64
	var votes [16]int
	if len(outs) > len(score) {
		return 0, 0, false
	}
	// only reports the index of the single output satisfying pred.
	only := func(pred func(o outInfo) bool) int {
		k := -1
		for i, o := range outs {
			if pred(o) {
				if k >= 0 {
					return -1
				}
				k = i
			}
		}
		return k
	}
	vote := func(i int, w float64) {
		if i >= 0 {
			score[i] += w
			votes[i]++
		}
	}
	vote(only(func(o outInfo) bool { return o.fresh }), wFresh)
	vote(only(func(o outInfo) bool { return o.value < minIn }), wOptimal)
	if sameType {
		vote(only(func(o outInfo) bool { return o.typ == inType }), wAddressType)
	}
	vote(only(func(o outInfo) bool { return !isRound(o.value) }), wRound)
	// Fingerprints: an output whose address has already spent with another
	// wallet's fingerprint belongs to someone else; when that leaves one
	// output, it is the change.
	for _, part := range []struct {
		get func(uint8) int
		w   float64
	}{{fpLockTime, wLocktime}, {fpVersion, wVersion}} {
		vote(only(func(o outInfo) bool {
			ofp := s.nodes.get(o.addr).fp
			return ofp == 0 || part.get(ofp) == part.get(fp)
		}), part.w)
	}
	best, second := -1, -1
	for i := range outs {
		if best < 0 || score[i] > score[best] {
			best, second = i, best
		} else if second < 0 || score[i] > score[second] {
			second = i
		}
	}
	if best < 0 || (second >= 0 && score[second] > 0) {
		return 0, 0, false
	}
	switch s.cp.Change {
	case ChangeStrict:
		return best, score[best], votes[best] >= 2 && score[best] >= StrictThreshold
	case ChangeOn:
		return best, score[best], score[best] >= OnThreshold
	}
	return 0, 0, false
}

// isRound reports a power-of-ten round amount: at least 10 000 sat with at
// most two significant digits (0.0005, 0.02, 1.5 BTC …).
func isRound(v int64) bool {
	if v < 10000 {
		return false
	}
	p := int64(1)
	for p*100 <= v {
		p *= 10
	}
	return v%p == 0
}
