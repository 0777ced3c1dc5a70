package trace

import (
	"fmt"
	"sort"
	"strconv"
)

// MixerTerms are what an investigator assumes about a custodial mixer's
// service when matching its payouts to a deposit (Blender.io-style terms by
// default): the fee range, how long it may hold coins, and how it splits a
// payout.
type MixerTerms struct {
	FeeMin   float64 `json:"fee_min"`   // fraction of the deposit, default 0.005
	FeeMax   float64 `json:"fee_max"`   // default 0.05
	FixedFee int64   `json:"fixed_fee"` // satoshis on top of FeeMax, default 200 000
	// MaxDelay is the most blocks between the deposit and the first payout
	// (default 432, three days).
	MaxDelay int64 `json:"max_delay"`
	// MaxParts is the most payouts one order is split into (default 3), and
	// PartGap the most blocks between two of them (default 24).
	MaxParts int   `json:"max_parts"`
	PartGap  int64 `json:"part_gap"`
	// MaxScan bounds the txs scanned for payouts per trace (default 1 000 000).
	MaxScan int `json:"max_scan"`
}

func (m *MixerTerms) normalize() {
	if m.FeeMin == 0 {
		m.FeeMin = 0.005
	}
	if m.FeeMax == 0 {
		m.FeeMax = 0.05
	}
	if m.FixedFee == 0 {
		m.FixedFee = 200_000
	}
	if m.MaxDelay == 0 {
		m.MaxDelay = 432
	}
	if m.MaxParts == 0 {
		m.MaxParts = 3
	}
	if m.PartGap == 0 {
		m.PartGap = 24
	}
	if m.MaxScan == 0 {
		m.MaxScan = 1_000_000
	}
}

// maxCandidateSets is the most candidate payout sets of a deposit followed
// below the confidence cut.
const maxCandidateSets = 20

// MixerMatch is a deposit into a custodial mixer and the payouts matched to it.
type MixerMatch struct {
	Mixer   string `json:"mixer"`
	Deposit string `json:"deposit"` // txid:vout
	Value   int64  `json:"value"`
	Taint   int64  `json:"taint"`
	// Sets are the candidate payout sets (txid:vout each) whose sum and
	// timing fit the terms, with their score (1/number of sets).
	Sets []PayoutSet `json:"sets"`
	// Followed is true when the best set's score reached MinConfidence.
	Followed bool `json:"followed"`
}

// PayoutSet is one candidate group of payouts for a deposit.
type PayoutSet struct {
	Payouts []string `json:"payouts"`
	Sum     int64    `json:"sum"`
	Score   float64  `json:"score"`
}

type payout struct {
	out, tx uint64
	height  int64
	value   int64
	vout    int
}

// mixerIndex is the payouts of the mixers seen so far, scanned lazily in
// chain order.
type mixerIndex struct {
	scannedTo uint64 // next tx to scan
	scanned   int
	byEntity  map[string][]payout
	used      map[uint64]bool
}

// scanTo extends the payout scan to every tx up to height maxH.
func (w *walk) scanPayouts(from uint64, maxH int64) *mixerIndex {
	mi := w.mixer
	if mi == nil {
		mi = &mixerIndex{scannedTo: from, byEntity: map[string][]payout{}, used: map[uint64]bool{}}
		w.mixer = mi
	}
	g := w.g
	n := g.TxCount()
	for ; mi.scannedTo < n && mi.scanned < w.req.Mixer.MaxScan; mi.scannedTo++ {
		t := mi.scannedTo
		if g.TxHeight(t) > maxH || mi.scanned%4096 == 0 && w.ctx.Err() != nil {
			break
		}
		mi.scanned++
		r := g.TxRange(t)
		e := w.spentByService(r)
		if e == nil || e.a.Category != "mixer" {
			continue
		}
		for o := r.OutStart; o < r.OutEnd; o++ {
			out := g.Output(o)
			if a := w.attribution(out.Addr); a.ok && a.a.Entity == e.a.Entity {
				continue // change back to the mixer
			}
			mi.byEntity[e.a.Entity] = append(mi.byEntity[e.a.Entity], payout{out: o, tx: t, height: g.TxHeight(t), value: out.Value, vout: int(o - r.OutStart)})
		}
	}
	return mi
}

// matchDeposit finds the payout sets of mixer entity that fit a deposit of
// value made in tx t.
func (w *walk) matchDeposit(entity string, t uint64, value int64) (sets [][]payout, linked bool) {
	terms := w.req.Mixer
	h := w.g.TxHeight(t)
	maxH := h + terms.MaxDelay + int64(terms.MaxParts-1)*terms.PartGap
	mi := w.scanPayouts(t+1, maxH)
	lo := int64(float64(value)*(1-terms.FeeMax)) - terms.FixedFee
	hi := int64(float64(value) * (1 - terms.FeeMin))
	var cands []payout
	for _, p := range mi.byEntity[entity] {
		if p.tx > t && p.height <= maxH && p.value <= hi && !mi.used[p.out] {
			cands = append(cands, p)
		}
	}
	// Payouts leading to deposit addresses the traced coins reach anyway
	// are tried first: when they fit, the others are not candidates.
	var ahead []payout
	for _, p := range cands {
		if w.linkedAhead(p.out, linkDepth) {
			ahead = append(ahead, p)
		}
	}
	// Linked payouts all lead to the traced owner's accounts, whichever
	// of its orders they settle: take them in chain order up to the
	// deposit's value less the smallest fee.
	var set []payout
	var sum int64
	for _, p := range ahead {
		if len(set) == 0 && p.height > h+terms.MaxDelay {
			break
		}
		if sum+p.value <= hi {
			set = append(set, p)
			sum += p.value
		}
	}
	if len(set) > 0 {
		return [][]payout{set}, true
	}
	return w.payoutSets(cands, h, lo, hi), false
}

// payoutSets returns the sets of up to MaxParts payouts (in chain order,
// the first within MaxDelay of the deposit at height h, each within PartGap
// of the previous) whose sum is in [lo, hi].
func (w *walk) payoutSets(cands []payout, h, lo, hi int64) [][]payout {
	terms := w.req.Mixer
	var sets [][]payout
	var rec func(set []payout, sum int64, next int)
	rec = func(set []payout, sum int64, next int) {
		if len(set) > 0 && sum >= lo && sum <= hi {
			sets = append(sets, append([]payout(nil), set...))
		}
		if len(set) == terms.MaxParts || len(sets) > 1000 {
			return
		}
		for k := next; k < len(cands); k++ {
			p := cands[k]
			if len(set) == 0 && p.height > h+terms.MaxDelay {
				break
			}
			if len(set) > 0 && (p.height > set[len(set)-1].height+terms.PartGap || p.tx == set[len(set)-1].tx) {
				if p.height > set[len(set)-1].height+terms.PartGap {
					break
				}
				continue
			}
			if sum+p.value > hi {
				continue
			}
			rec(append(set, p), sum+p.value, k+1)
		}
	}
	rec(nil, 0, 0)
	return sets
}

// mixerPass handles taint tt entering mixer e at output o of tx t. It
// returns false when nothing matched (the caller ends the taint at the
// mixer).
func (w *walk) mixerPass(t, o uint64, tt taint, h hop, e *attrEntry) bool {
	r := w.g.TxRange(t)
	return w.followDeposit(t, o, int(o-r.OutStart), tt.amount, h, e)
}

// mixerPassInputs handles taint entering a tx the mixer signs through its
// inputs (deposit addresses the attributor did not know, swept with known
// ones): each tainted input is a deposit; unmatched ones end at the mixer.
// It always handles the taint (returns true).
func (w *walk) mixerPassInputs(it *item, h hop, e *attrEntry) bool {
	g := w.g
	r := g.TxRange(it.tx)
	for k, s := range it.slots {
		if s.amount <= 0 {
			continue
		}
		o := g.Input(r.InStart + uint64(k))
		dt := g.TxOfOutput(o)
		dr := g.TxRange(dt)
		ph := hop{parent: it.parent, hops: it.hops, lhops: it.lhops, conf: h.conf, peel: -1}
		if w.followDeposit(dt, o, int(o-dr.OutStart), s.amount, ph, e) {
			continue
		}
		// Unmatched: the taint ends at the mixer.
		outpoint := w.txid(dt) + ":" + strconv.Itoa(int(o-dr.OutStart))
		w.endpoint(outpoint, Endpoint{Entity: e.a.Entity, Category: e.a.Category, Address: w.addrOf(g.Output(o).Addr),
			Amount: s.amount, Outpoint: outpoint}, ph)
	}
	return true
}

// followDeposit matches a deposit (output o, slot vout of tx t) with payouts
// and follows the sets scoring at least MinConfidence.
func (w *walk) followDeposit(t, o uint64, vout int, amount int64, h hop, e *attrEntry) bool {
	value := w.g.Output(o).Value
	sets, linked := w.matchDeposit(e.a.Entity, t, value)
	dep := w.txid(t) + ":" + strconv.Itoa(vout)
	m := MixerMatch{Mixer: e.a.Entity, Deposit: dep, Value: value, Taint: amount, Sets: []PayoutSet{}}
	score := 0.0
	if len(sets) > 0 {
		score = 1 / float64(len(sets))
		if linked {
			score *= linkConfidence
		}
	}
	for _, s := range sets {
		ps := PayoutSet{Score: score}
		for _, p := range s {
			ps.Payouts = append(ps.Payouts, fmt.Sprintf("%s:%d", w.txid(p.tx), p.vout))
			ps.Sum += p.value
		}
		m.Sets = append(m.Sets, ps)
	}
	sort.Slice(m.Sets, func(i, j int) bool { return m.Sets[i].Sum > m.Sets[j].Sum })
	m.Followed = len(sets) > 0 && score*h.conf >= w.req.Limits.MinConfidence
	w.res.Mixers = append(w.res.Mixers, m)
	// A few candidate sets below the cut are followed as candidates (their
	// taint scaled by the score): where they end can still add up to an
	// account (see accountAddrs). Many are only listed.
	if !m.Followed && (len(sets) == 0 || len(sets) > maxCandidateSets) {
		for _, s := range m.Sets {
			for _, p := range s.Payouts {
				w.res.Candidates = append(w.res.Candidates, Endpoint{Entity: e.a.Entity, Category: "mixer-payout",
					Amount: 0, Confidence: s.Score * h.conf, Outpoint: p, Path: []string{}})
			}
		}
		return false
	}
	mid := "entity:mixer:" + e.a.Entity
	w.gnode(mid, "mixer", e.a.Entity)
	w.edge(w.txid(t), mid, value, amount)
	var followed int64
	for _, s := range sets {
		var sum int64
		for _, p := range s {
			sum += p.value
		}
		// The set carries the deposit's taint minus the fee, scaled by the
		// set's score.
		carried, _ := mulDiv(amount, min(sum, value), value)
		carried = int64(float64(carried) * score)
		vals := make([]int64, len(s))
		for i, p := range s {
			vals[i] = p.value
		}
		sh := apportion(carried, vals)
		for i, p := range s {
			w.mixer.used[p.out] = true
			w.nodes = append(w.nodes, node{tx: p.tx, parent: h.parent})
			ph := hop{parent: int32(len(w.nodes) - 1), hops: h.hops + 1, lhops: h.lhops + 1, conf: h.conf * score, peel: -1}
			w.gnode(w.txid(p.tx), "tx", "mixer payout")
			w.edge(mid, w.txid(p.tx), p.value, sh[i])
			w.route(p.tx, p.out, p.vout, taint{amount: sh[i], spans: fifoSpan(w.req.Model, sh[i])}, ph)
			followed += sh[i]
		}
	}
	// What the mixer kept (its fee) ends there.
	if kept := amount - followed; kept > 0 {
		w.endpoint(dep, Endpoint{Entity: e.a.Entity, Category: "mixer", Address: e.addr, Amount: kept, Outpoint: dep}, h)
	}
	return true
}
