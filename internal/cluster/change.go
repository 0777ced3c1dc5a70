package cluster

import (
	"encoding/binary"
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
	// ChangeAny opens a store with the mode it was built with (strict for
	// a new one).
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
	out   uint64 // the spent output
	newFP bool   // this spend gave the address its fingerprint
}

type outInfo struct {
	addr  uint64
	value int64
	typ   chain.ScriptType
	fresh bool
	fp    uint8 // wallet fingerprint of the output's owner, when known (0: unknown)
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
	rec := s.txrec.Add()
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
	allKnown := s.inputs(g, r, w)
	// A multi-party tx spends from several owners' addresses, so from two
	// or more: the classifier is asked only then.
	if len(w.ins) == 0 || (s.opt.MultiParty != nil && (!allKnown || distinctInputs(w.ins)) && s.opt.MultiParty(g, t)) {
		return
	}
	_, _, version, lockTime := g.TxInfo(t)
	fp := txFingerprint(version, lockTime, w.height)
	for i, in := range w.ins {
		if n := s.nodes.get(in.addr); n.fp == 0 {
			n.fp = fp
			s.nodes.set(in.addr, n)
			putU40(s.spends.Add(), in.addr)
			w.ins[i].newFP = true
		}
	}
	first := w.ins[0].addr
	for _, in := range w.ins[1:] {
		if in.addr != first {
			s.union(t, first, in.addr, MultiInput, 0)
		}
	}
	if s.cp.Change == ChangeOff {
		return
	}
	if allKnown && len(w.outs) >= 2 && len(w.outs) <= maxChangeOuts {
		// Remember the tx's fresh outputs and fingerprint: spends of its
		// outputs bring more evidence later.
		var mask uint16
		for i := range w.outs {
			w.outs[i].fp = s.nodes.get(w.outs[i].addr).fp
			if w.outs[i].fresh {
				mask |= 1 << i
			}
		}
		binary.LittleEndian.PutUint16(rec, mask)
		rec[2], rec[3] = txEligible, fp
		if o, score, ok := s.changeOutput(w, fp); ok {
			s.union(t, first, w.outs[o].addr, Change, score)
		}
	}
	// The txs that paid the addresses whose wallets this tx just revealed
	// (their first spend): their change may now be told apart.
	last := uint64(index.NoID)
	for _, in := range w.ins {
		if !in.newFP {
			continue
		}
		pt := g.TxOfOutput(in.out)
		if pt == last {
			continue
		}
		last = pt
		// A payee showing the payer's own fingerprint adds no evidence
		// (unknown and equal count alike): only a different one can.
		if rec := s.txrec.Rec(pt); rec[2]&txEligible != 0 &&
			(fpVersion(rec[3]) != fpVersion(fp) || fpLockTime(rec[3]) != fpLockTime(fp)) {
			s.changeLater(g, pt)
		}
	}
}

// distinctInputs reports whether ins spend from two or more addresses.
func distinctInputs(ins []inInfo) bool {
	for _, in := range ins[1:] {
		if in.addr != ins[0].addr {
			return true
		}
	}
	return false
}

// inputs fills w.ins with the inputs' addresses, values and types and
// reports whether every spent output is known (and pays one address).
func (s *Store) inputs(g index.Graph, r index.Range, w *walker) bool {
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
		w.ins = append(w.ins, inInfo{addr: out.Addr, value: out.Value, typ: out.Type, out: o})
	}
	return allKnown
}

// Per-tx records (txs.col): fresh-output mask (u16), flags, the tx's
// fingerprint. A tx is eligible for change when its spent outputs are all
// known, it is not multi-party, and it has 2…maxChangeOuts outputs with
// addresses (bare multisig excluded).
const (
	txRecLen      = 4
	txEligible    = 1
	maxChangeOuts = 16
)

// changeLater re-scores eligible tx t when one of its payees has revealed
// its wallet by spending for the first time: outputs take their addresses'
// fingerprints as they stand now (so a rebuild and block-by-block
// clustering decide alike).
func (s *Store) changeLater(g index.Graph, t uint64) {
	rec := s.txrec.Rec(t)
	if rec[2]&txEligible == 0 {
		return
	}
	mask, fp := binary.LittleEndian.Uint16(rec), rec[3]
	lw := &s.later
	lw.outs = lw.outs[:0]
	r := g.TxRange(t)
	s.inputs(g, r, lw)
	for o := r.OutStart; o < r.OutEnd; o++ {
		out := g.Output(o)
		if out.Addr == index.NoID || out.Type == chain.Multisig {
			continue
		}
		lw.outs = append(lw.outs, outInfo{addr: out.Addr, value: out.Value, typ: out.Type,
			fresh: mask&(1<<len(lw.outs)) != 0, fp: s.nodes.get(out.Addr).fp})
	}
	if len(lw.ins) == 0 || len(lw.outs) < 2 {
		return
	}
	if k, score, ok := s.changeOutput(lw, fp); ok {
		s.union(t, lw.ins[0].addr, lw.outs[k].addr, Change, score)
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
			return o.fp == 0 || part.get(o.fp) == part.get(fp)
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
