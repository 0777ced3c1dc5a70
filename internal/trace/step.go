package trace

import (
	"slices"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/index"
)

// route sends taint on output o (slot j of tx t) onward (forward).
func (w *walk) route(t, o uint64, j int, tt taint, h hop) {
	if tt.amount <= 0 {
		return
	}
	out := w.g.Output(o)
	from := w.txid(t)
	if tt.amount < w.req.Limits.MinSat {
		w.hit("min-sat", tt.amount, from+":"+strconv.Itoa(j))
		return
	}
	outpoint := ""
	if out.SpentBy == index.NoID || w.attribution(out.Addr).service || h.payee && !w.req.FollowPeels {
		outpoint = from + ":" + strconv.Itoa(j)
	}
	e := w.attribution(out.Addr)
	if e.service {
		if e.a.Category == "mixer" && w.req.ThroughMixers && w.mixerPass(t, o, tt, h, e) {
			return
		}
		id := "addr:" + e.addr
		w.gnode(id, e.a.Category, e.a.Entity)
		w.edge(from, id, out.Value, tt.amount)
		w.endpoint(outpoint, Endpoint{Entity: e.a.Entity, Category: e.a.Category, Address: e.addr, Amount: tt.amount, Outpoint: outpoint}, h)
		return
	}
	if h.payee && !w.req.FollowPeels {
		addr := w.addrOf(out.Addr)
		id := "addr:" + addr
		w.gnode(id, "payee", addr)
		w.edge(from, id, out.Value, tt.amount)
		w.endpoint(outpoint, Endpoint{Category: "payee", Address: addr, Amount: tt.amount, Outpoint: outpoint}, h)
		return
	}
	if out.SpentBy == index.NoID {
		addr := w.addrOf(out.Addr)
		id := "addr:" + addr
		if addr == "" {
			id = "out:" + outpoint
		}
		w.gnode(id, "unspent", addr)
		w.edge(from, id, out.Value, tt.amount)
		w.endpoint(outpoint, Endpoint{Category: "unspent", Address: addr, Amount: tt.amount, Outpoint: outpoint}, h)
		return
	}
	st := w.g.TxOfInput(out.SpentBy)
	w.gnode(w.txid(st), "tx", "")
	w.edge(from, w.txid(st), out.Value, tt.amount)
	r := w.g.TxRange(st)
	w.push(st, int(out.SpentBy-r.InStart), tt, h)
}

// spentByService returns the attributed service signing tx t (an input
// address of a service), if any.
func (w *walk) spentByService(r index.Range) *attrEntry {
	if w.tr.noAttr {
		return nil
	}
	for i := r.InStart; i < r.InEnd; i++ {
		if o := w.g.Input(i); o != index.NoID && o != index.CoinbaseID {
			if e := w.attribution(w.g.Output(o).Addr); e.service {
				return e
			}
		}
	}
	return nil
}

// stepForward spreads a tx's input taint over its outputs.
func (w *walk) stepForward(it *item, h hop) {
	t := it.tx
	g := w.g
	r := g.TxRange(t)
	txid := w.txid(t)
	ph := hop{parent: it.parent, hops: it.hops, lhops: it.lhops, conf: h.conf}
	// A tx a service signs spends from its wallet: the coins entered it.
	if e := w.spentByService(r); e != nil {
		// The address the taint sat on: the largest tainted input's.
		addr, bi := "", int64(-1)
		for k, s := range it.slots {
			if s.amount > bi {
				bi = s.amount
				addr = w.addrOf(g.Output(g.Input(r.InStart + uint64(k))).Addr)
			}
		}
		if e.a.Category == "mixer" && w.req.ThroughMixers && w.mixerPassInputs(it, h, e) {
			return
		}
		id := "entity:" + e.a.Category + ":" + e.a.Entity
		w.gnode(id, e.a.Category, e.a.Entity)
		w.edge(txid, id, it.amount, it.amount)
		ph.parent = h.parent
		ph.hops = h.hops
		w.endpoint("in:"+txid, Endpoint{Entity: e.a.Entity, Category: e.a.Category, Address: addr, Amount: it.amount}, ph)
		return
	}
	ins, outs, fee := w.values(r, t)
	if kind := w.tr.kinds.CoinJoin(g, t); kind != "" {
		w.coinjoin(it, h, kind, r, outs, fee)
		return
	}
	// One owner signs all the inputs of a tx that is not a CoinJoin: it is
	// the traced owner's when any tainted input is, so the input
	// confidences combine as 1 − Π(1 − c).
	miss := 1.0
	for k, s := range it.slots {
		if s.amount > 0 {
			miss *= 1 - it.slotSum[k]/float64(s.amount)
		}
	}
	h.conf = max(h.conf, 1-miss)
	split, feeT := splitForward(w.req.Model, it.slots, ins, outs, fee)
	w.res.Fees += feeT
	// A peel hop: one input, two outputs, the larger at least 80% of it.
	payee := -1
	if len(ins) == 1 && len(outs) == 2 {
		big, small := max(outs[0], outs[1]), min(outs[0], outs[1])
		payee = 0
		if outs[1] < outs[0] {
			payee = 1
		}
		if big*10 >= ins[0]*8 {
			if it.peel >= 0 {
				p := w.peels[it.peel]
				p.hops++
				p.peeled += small
				p.last = t
				if !w.req.CountPeelHops {
					h.lhops = it.lhops // a peel chain is one hop
				}
			} else {
				w.peels = append(w.peels, &peelRun{first: t, last: t, hops: 1, peeled: small})
			}
			h.peel = int32(len(w.peels) - 1)
			if it.peel >= 0 {
				h.peel = it.peel
			}
		}
	}
	for j, tt := range split {
		hh := h
		hh.payee = j == payee && h.peel >= 0
		w.route(t, r.OutStart+uint64(j), j, tt, hh)
	}
}

// coinjoin ends the taint at a CoinJoin, or passes it through.
func (w *walk) coinjoin(it *item, h hop, kind string, r index.Range, outs []int64, fee int64) {
	t := it.tx
	txid := w.txid(t)
	cnt := map[int64]int{}
	top := 0
	for _, v := range outs {
		cnt[v]++
		top = max(top, cnt[v])
	}
	if !w.req.ThroughCoinJoins {
		id := "coinjoin:" + txid
		w.gnode(id, "coinjoin", kind)
		w.edge(txid, id, it.amount, it.amount)
		ph := h
		w.endpoint("cj:"+txid, Endpoint{Entity: kind, Category: "coinjoin", Amount: it.amount}, ph)
		return
	}
	if !w.crossed[t] {
		w.crossed[t] = true
		w.res.CoinJoins = append(w.res.CoinJoins, Crossing{Kind: kind, Txid: txid, Amount: it.amount, AnonSet: top})
	} else {
		for i := range w.res.CoinJoins {
			if w.res.CoinJoins[i].Txid == txid {
				w.res.CoinJoins[i].Amount += it.amount
			}
		}
	}
	// Outputs that lead to deposit addresses the traced coins reach anyway
	// (the same exchange accounts) are the traced owner's: the taint goes
	// to them first, up to their value.
	var linkedVals []int64
	var linkedIdx []int
	for j := range outs {
		if w.linkedAhead(r.OutStart+uint64(j), linkDepth) {
			linkedIdx = append(linkedIdx, j)
			linkedVals = append(linkedVals, outs[j])
		}
	}
	// The change of the tainted inputs: a non-equal output worth what they
	// brought less n equal outputs and a small fee (the taker's change in
	// JoinMarket, the change of a Wasabi 1 registration), when exactly one
	// output fits. Its confidence is kept (an amount match, not a guess).
	change := w.coinjoinChange(it, r, outs, cnt)
	if change >= 0 && !slices.Contains(linkedIdx, change) {
		linkedIdx = append(linkedIdx, change)
		linkedVals = append(linkedVals, outs[change])
	}
	taintLeft := it.amount
	if len(linkedIdx) > 0 {
		var sum int64
		for _, v := range linkedVals {
			sum += v
		}
		sh := linkedVals
		if it.amount < sum {
			sh = apportion(it.amount, linkedVals)
		}
		for k, j := range linkedIdx {
			hh := h
			if j != change {
				hh.conf = h.conf * linkConfidence
			}
			w.route(t, r.OutStart+uint64(j), j, taint{amount: sh[k], spans: fifoSpan(w.req.Model, sh[k])}, hh)
			taintLeft -= sh[k]
			outs[j] = 0 // taken
		}
		if taintLeft <= 0 {
			return
		}
	}
	// The rest spreads over the outputs by value (the fee's share to the
	// miner); an output among c equal ones is the traced owner's with
	// probability 1/c, any other with 1/(number of other outputs).
	it.amount = taintLeft
	weights := append(append([]int64(nil), outs...), fee)
	sh := apportion(it.amount, weights)
	w.res.Fees += sh[len(outs)]
	others := 0
	for _, v := range outs {
		if cnt[v] < 2 {
			others++
		}
	}
	for j, v := range outs {
		if v == 0 {
			continue
		}
		hh := h
		if c := cnt[v]; c >= 2 {
			hh.conf = h.conf / float64(c)
		} else {
			hh.conf = h.conf / float64(max(1, others))
		}
		w.route(t, r.OutStart+uint64(j), j, taint{amount: sh[j], spans: fifoSpan(w.req.Model, sh[j])}, hh)
	}
}

// fifoSpan gives a pass-through share its spans under FIFO (the front of the
// coin).
func fifoSpan(m Model, n int64) []span {
	if m != FIFO || n <= 0 {
		return nil
	}
	return []span{{0, n}}
}

// stepBackward spreads a tx's output taint over its inputs.
func (w *walk) stepBackward(it *item, h hop) {
	t := it.tx
	g := w.g
	r := g.TxRange(t)
	txid := w.txid(t)
	ins, outs, _ := w.values(r, t)
	if kind := w.tr.kinds.CoinJoin(g, t); kind != "" && !w.req.ThroughCoinJoins {
		id := "coinjoin:" + txid
		w.gnode(id, "coinjoin", kind)
		w.edge(txid, id, it.amount, it.amount)
		w.endpoint("cj:"+txid, Endpoint{Entity: kind, Category: "coinjoin", Amount: it.amount}, h)
		return
	}
	// A peel chain walked backward counts as one hop too.
	if len(ins) == 1 && len(outs) == 2 && max(outs[0], outs[1])*10 >= ins[0]*8 {
		if it.peel >= 0 {
			p := w.peels[it.peel]
			p.hops++
			p.peeled += min(outs[0], outs[1])
			p.first = t
			if !w.req.CountPeelHops {
				h.lhops = it.lhops
			}
			h.peel = it.peel
		} else {
			w.peels = append(w.peels, &peelRun{first: t, last: t, hops: 1, peeled: min(outs[0], outs[1])})
			h.peel = int32(len(w.peels) - 1)
		}
	}
	split := splitBackward(w.req.Model, it.slots, outs, ins)
	var got int64
	for _, tt := range split {
		got += tt.amount
	}
	if lost := it.amount - got; lost > 0 && w.req.Model != Poison {
		// Inputs of unknown value (a coinbase's, or outputs not indexed)
		// cannot take taint: say where it came from.
		if r.InEnd-r.InStart == 1 && g.Input(r.InStart) == index.CoinbaseID {
			id := "coinbase:" + txid
			w.gnode(id, "coinbase", "newly mined")
			w.edge(txid, id, lost, lost)
			w.endpoint(txid+":in0", Endpoint{Category: "coinbase", Entity: "newly mined", Amount: lost}, h)
		} else {
			w.hit("unindexed", lost, txid)
		}
	}
	for k, tt := range split {
		if tt.amount <= 0 {
			continue
		}
		in := r.InStart + uint64(k)
		o := g.Input(in)
		key := txid + ":in" + strconv.Itoa(k)
		switch o {
		case index.CoinbaseID:
			id := "coinbase:" + txid
			w.gnode(id, "coinbase", "newly mined")
			w.edge(txid, id, tt.amount, tt.amount)
			w.endpoint(key, Endpoint{Category: "coinbase", Entity: "newly mined", Amount: tt.amount}, h)
			continue
		case index.NoID:
			w.hit("unindexed", tt.amount, key)
			continue
		}
		if tt.amount < w.req.Limits.MinSat {
			w.hit("min-sat", tt.amount, key)
			continue
		}
		out := g.Output(o)
		pt := g.TxOfOutput(o)
		pr := g.TxRange(pt)
		outpoint := w.txid(pt) + ":" + strconv.FormatUint(o-pr.OutStart, 10)
		if e := w.attribution(out.Addr); e.service {
			id := "addr:" + e.addr
			w.gnode(id, e.a.Category, e.a.Entity)
			w.edge(txid, id, out.Value, tt.amount)
			w.endpoint(outpoint, Endpoint{Entity: e.a.Entity, Category: e.a.Category, Address: e.addr, Amount: tt.amount, Outpoint: outpoint}, h)
			continue
		}
		w.gnode(w.txid(pt), "tx", "")
		w.edge(txid, w.txid(pt), out.Value, tt.amount)
		w.push(pt, int(o-pr.OutStart), tt, h)
	}
}
