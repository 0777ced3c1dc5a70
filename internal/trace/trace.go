// Package trace follows coins through the chain index: forward (where did
// they go) and backward (where did they come from) under four taint models,
// stopping at attributed services, reporting CoinJoins and custodial mixers
// (optionally passing through them), and computing KYT-style exposure. See
// docs/tracing.md.
package trace

import (
	"container/heap"
	"context"
	"errors"
	"sort"
	"time"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
)

// Tracer runs traces over one index.
type Tracer struct {
	noAttr   bool // no attributor: skip address look-ups
	ix       *index.Index
	attr     Attributor
	kinds    Kinds
	clusters Clusters
}

// Clusters resolves address clusters (cluster.Store satisfies it).
type Clusters interface {
	ClusterOf(a uint64) (id, size uint64, ok bool)
	Members(id uint64, offset uint64, fn func(a uint64) bool) error
}

// WithClusters lets the tracer trace from clusters ("cluster:ID").
func (tr *Tracer) WithClusters(c Clusters) *Tracer {
	tr.clusters = c
	return tr
}

// New returns a tracer over ix. attr attributes addresses (nil: none);
// kinds names CoinJoins (nil: the classifier's kinds stored in the index).
func New(ix *index.Index, attr Attributor, kinds Kinds) *Tracer {
	noAttr := attr == nil
	if attr == nil {
		attr = MapAttributor{}
	}
	if kinds == nil {
		kinds = KindsFunc(StoredKinds)
	}
	return &Tracer{ix: ix, attr: attr, kinds: kinds, noAttr: noAttr}
}

// Trace runs req.
func (tr *Tracer) Trace(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if req.Model == "" {
		req.Model = Haircut
	}
	if _, err := ParseModel(string(req.Model)); err != nil {
		return nil, badInput("%v", err)
	}
	switch req.Direction {
	case "":
		req.Direction = Forward
	case Forward, Backward:
	default:
		return nil, badInput("direction %q: want forward or backward", req.Direction)
	}
	notes, err := req.Limits.normalize()
	if err != nil {
		return nil, err
	}
	if _, ok := tr.ix.KindsVersion(); !ok {
		notes = append(notes, "the index has no tx kinds (an older format): CoinJoins are not recognised; re-ingest to store them")
	}
	if req.ThroughMixers && req.Direction == Backward {
		notes = append(notes, "--through-mixers applies to forward traces only")
		req.ThroughMixers = false
	}
	req.Mixer.normalize()
	res := &Result{Source: req.From, Model: req.Model, Direction: req.Direction, Limits: req.Limits, Notes: notes,
		HitLimits: []HitLimit{}, Endpoints: []Endpoint{}, Candidates: []Endpoint{}, PeelChains: []PeelChain{},
		CoinJoins: []Crossing{}, Mixers: []MixerMatch{}, Graph: Graph{Nodes: []Node{}, Edges: []Edge{}}}
	ctx, cancel := context.WithTimeout(ctx, req.Limits.Timeout)
	defer cancel()
	err = tr.ix.View(func(g index.Graph) error {
		var linked map[uint64]bool
		if req.Direction == Forward && (req.ThroughCoinJoins || req.ThroughMixers) {
			// First pass without pass-through: the service deposit
			// addresses the traced coins reach for sure link what comes
			// out of CoinJoins and mixers (see linkedAhead).
			plain := req
			plain.ThroughCoinJoins, plain.ThroughMixers = false, false
			pres := &Result{}
			pw := newWalk(tr, g, plain, pres, ctx)
			if err := pw.seed(req.From); err != nil {
				return err
			}
			pw.run()
			linked = pw.depositAddrs()
		}
		// Pass-through runs again while it finds new accounts: a deposit
		// address the findings reach, or one that several candidates reach
		// (their combined confidence 1−Π(1−c) reaching MinConfidence).
		for round := 0; ; round++ {
			*res = Result{Source: req.From, Model: req.Model, Direction: req.Direction, Limits: req.Limits, Notes: notes,
				HitLimits: []HitLimit{}, Endpoints: []Endpoint{}, Candidates: []Endpoint{}, PeelChains: []PeelChain{},
				CoinJoins: []Crossing{}, Mixers: []MixerMatch{}, Graph: Graph{Nodes: []Node{}, Edges: []Edge{}}}
			w := newWalk(tr, g, req, res, ctx)
			w.linked = linked
			if err := w.seed(req.From); err != nil {
				return err
			}
			w.run()
			if linked == nil || round == maxLinkRounds-1 || ctx.Err() != nil {
				w.finish()
				return nil
			}
			more := w.accountAddrs()
			grew := false
			for a := range more {
				if !linked[a] {
					linked[a], grew = true, true
				}
			}
			if !grew {
				w.finish()
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	res.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// item is a tx waiting in the walk with the taint on its inputs (forward)
// or outputs (backward).
type item struct {
	tx      uint64
	slots   []taint
	slotSum []float64 // per slot Σ amount × confidence
	hops    int       // txs from the source
	lhops   int       // hops with a peel chain counted once
	confSum float64   // Σ amount × confidence
	amount  int64
	parent  int32 // node of the largest contributor, -1 for a source
	best    int64 // that contribution
	peel    int32 // peel chain this tx continues, -1 for none
}

type itemHeap struct {
	items []*item
	back  bool
}

func (h *itemHeap) Len() int { return len(h.items) }
func (h *itemHeap) Less(i, j int) bool {
	if h.back {
		return h.items[i].tx > h.items[j].tx
	}
	return h.items[i].tx < h.items[j].tx
}
func (h *itemHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *itemHeap) Push(x any)    { h.items = append(h.items, x.(*item)) }
func (h *itemHeap) Pop() any {
	n := len(h.items)
	x := h.items[n-1]
	h.items = h.items[:n-1]
	return x
}

// node is a tx the walk processed.
type node struct {
	tx     uint64
	parent int32
}

// hop is what a taint carries to the next tx.
type hop struct {
	parent int32
	hops   int
	lhops  int
	conf   float64
	peel   int32
	payee  bool // the taint is a peel chain's payment (the small output)
}

type attrEntry struct {
	a       Attribution
	ok      bool
	service bool
	addr    string
}

type walk struct {
	tr      *Tracer
	g       index.Graph
	req     Request
	res     *Result
	ctx     context.Context
	pending map[uint64]*item
	heap    itemHeap
	nodes   []node
	attrs   map[uint64]*attrEntry
	hits    map[string]*HitLimit
	ends    map[string]*Endpoint // by key (outpoint, or category+txid)
	gnodes  map[string]bool
	peels   []*peelRun
	crossed map[uint64]bool
	mixer   *mixerIndex
	stopped string          // the limit that ended the walk early (deadline)
	linked  map[uint64]bool // deposit addresses (ids) the traced coins reach without pass-through
	txids   map[uint64]string
	addrs   map[uint64]string
	buf     []uint64
}

type peelRun struct {
	first, last uint64
	hops        int
	peeled      int64
}

func newWalk(tr *Tracer, g index.Graph, req Request, res *Result, ctx context.Context) *walk {
	return &walk{tr: tr, g: g, req: req, res: res, ctx: ctx, pending: map[uint64]*item{},
		heap: itemHeap{back: req.Direction == Backward}, attrs: map[uint64]*attrEntry{},
		hits: map[string]*HitLimit{}, ends: map[string]*Endpoint{}, gnodes: map[string]bool{}, crossed: map[uint64]bool{},
		txids: map[uint64]string{}, addrs: map[uint64]string{}}
}

// txid returns tx t's id as text (cached: paths repeat them).
func (w *walk) txid(t uint64) string {
	if s, ok := w.txids[t]; ok {
		return s
	}
	s := w.g.TxHash(t).String()
	w.txids[t] = s
	return s
}

// addrOf returns address id a as text ("" for none), cached.
func (w *walk) addrOf(a uint64) string {
	if a == index.NoID {
		return ""
	}
	if s, ok := w.addrs[a]; ok {
		return s
	}
	s := ""
	if ad, err := chain.AddrFromKey(w.g.AddressKey(a)); err == nil {
		s = ad.String(w.tr.ix.Network())
	}
	w.addrs[a] = s
	return s
}

var noAttribution = &attrEntry{}

// attribution returns what the attributor knows about address id a.
func (w *walk) attribution(a uint64) *attrEntry {
	if a == index.NoID || w.tr.noAttr {
		return noAttribution
	}
	if e := w.attrs[a]; e != nil {
		return e
	}
	e := &attrEntry{}
	if s := w.addrOf(a); s != "" {
		e.addr = s
		e.a, e.ok = w.tr.attr.Attribute(s)
		e.service = e.ok && IsService(e.a.Category)
	}
	w.attrs[a] = e
	return e
}

// hit records taint stopped by a limit.
func (w *walk) hit(limit string, amount int64, at string) {
	h := w.hits[limit]
	if h == nil {
		h = &HitLimit{Limit: limit, At: at}
		w.hits[limit] = h
	}
	h.Count++
	h.Amount += amount
}

// path returns the txids from the source to node n.
func (w *walk) path(n int32) []string {
	var p []string
	for ; n >= 0; n = w.nodes[n].parent {
		p = append(p, w.txid(w.nodes[n].tx))
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// endpoint adds taint to the endpoint under key.
func (w *walk) endpoint(key string, e Endpoint, h hop) {
	if cur := w.ends[key]; cur != nil {
		cur.Confidence = (cur.Confidence*float64(cur.Amount) + h.conf*float64(e.Amount)) / float64(cur.Amount+e.Amount)
		cur.Amount += e.Amount
		cur.Hops = min(cur.Hops, h.hops)
		return
	}
	e.Hops = h.hops
	e.Confidence = h.conf
	e.Path = w.path(h.parent)
	if e.Path == nil {
		e.Path = []string{}
	}
	w.ends[key] = &e
}

func (w *walk) gnode(id, kind, label string) {
	if !w.gnodes[id] {
		w.gnodes[id] = true
		w.res.Graph.Nodes = append(w.res.Graph.Nodes, Node{ID: id, Kind: kind, Label: label})
	}
}

func (w *walk) edge(from, to string, amount, taint int64) {
	if w.req.Direction == Backward {
		from, to = to, from
	}
	w.res.Graph.Edges = append(w.res.Graph.Edges, Edge{From: from, To: to, Amount: amount, Taint: taint})
}

// push queues taint on slot of tx t.
func (w *walk) push(t uint64, slot int, tt taint, h hop) {
	it := w.pending[t]
	if it == nil {
		r := w.g.TxRange(t)
		n := r.InEnd - r.InStart
		if w.req.Direction == Backward {
			n = r.OutEnd - r.OutStart
		}
		it = &item{tx: t, slots: make([]taint, n), slotSum: make([]float64, n), hops: h.hops, lhops: h.lhops, parent: h.parent, peel: -1}
		w.pending[t] = it
		heap.Push(&w.heap, it)
	}
	s := &it.slots[slot]
	s.amount += tt.amount
	s.spans = append(s.spans, tt.spans...)
	it.slotSum[slot] += float64(tt.amount) * h.conf
	it.amount += tt.amount
	it.confSum += float64(tt.amount) * h.conf
	it.hops = min(it.hops, h.hops)
	it.lhops = min(it.lhops, h.lhops)
	if tt.amount > it.best {
		it.best, it.parent, it.peel = tt.amount, h.parent, h.peel
	}
}

// run processes the queue in chain order (reverse chain order backward).
func (w *walk) run() {
	for w.heap.Len() > 0 {
		it := heap.Pop(&w.heap).(*item)
		delete(w.pending, it.tx)
		if w.stopped == "" && w.res.Txs%64 == 0 && w.ctx.Err() != nil {
			w.stopped = "deadline"
			if errors.Is(w.ctx.Err(), context.Canceled) {
				w.stopped = "canceled"
			}
		}
		at := w.txid(it.tx)
		switch {
		case w.stopped != "":
			w.hit(w.stopped, it.amount, at)
			continue
		case w.res.Txs >= w.req.Limits.Nodes:
			w.hit("nodes", it.amount, at)
			continue
		case it.lhops >= w.req.Limits.Hops:
			w.hit("hops", it.amount, at)
			continue
		}
		if lim := w.outOfWindow(it.tx); lim != "" {
			w.hit(lim, it.amount, at)
			continue
		}
		w.res.Txs++
		w.nodes = append(w.nodes, node{tx: it.tx, parent: it.parent})
		n := int32(len(w.nodes) - 1)
		conf := 1.0
		if it.amount > 0 {
			conf = it.confSum / float64(it.amount)
		}
		h := hop{parent: n, hops: it.hops + 1, lhops: it.lhops + 1, conf: conf, peel: -1}
		if w.req.Direction == Backward {
			w.stepBackward(it, h)
		} else {
			w.stepForward(it, h)
		}
	}
}

// outOfWindow names the window limit tx t is outside of, or "".
func (w *walk) outOfWindow(t uint64) string {
	l := w.req.Limits
	if l.FromHeight == 0 && l.ToHeight == 0 && l.After == 0 && l.Before == 0 {
		return ""
	}
	ht := w.g.TxHeight(t)
	if l.FromHeight != 0 && ht < l.FromHeight || l.ToHeight != 0 && ht > l.ToHeight {
		return "height"
	}
	if l.After != 0 || l.Before != 0 {
		tm := w.blockTime(ht)
		if l.After != 0 && tm < l.After || l.Before != 0 && tm > l.Before {
			return "time"
		}
	}
	return ""
}

func (w *walk) blockTime(height int64) int64 {
	tm, _ := w.g.BlockTime(height)
	return tm
}

// values returns tx t's input values (0 for unknown) and output values, and
// its fee (computed when the index does not know it).
func (w *walk) values(r index.Range, t uint64) (ins, outs []int64, fee int64) {
	var sin, sout int64
	for i := r.InStart; i < r.InEnd; i++ {
		var v int64
		if o := w.g.Input(i); o != index.NoID && o != index.CoinbaseID {
			v = w.g.Output(o).Value
		}
		ins = append(ins, v)
		sin += v
	}
	for o := r.OutStart; o < r.OutEnd; o++ {
		v := w.g.Output(o).Value
		outs = append(outs, v)
		sout += v
	}
	if f, ok := w.g.TxFee(t); ok {
		fee = f
	} else {
		fee = max(0, sin-sout)
	}
	return ins, outs, fee
}

// finish turns the walk's maps into the result's sorted lists.
func (w *walk) finish() {
	res := w.res
	for _, e := range w.ends {
		if res.Total > 0 {
			e.Share = float64(e.Amount) / float64(res.Total)
		}
		if e.Confidence >= w.req.Limits.MinConfidence-1e-9 {
			res.Endpoints = append(res.Endpoints, *e)
		} else {
			res.Candidates = append(res.Candidates, *e)
		}
	}
	for _, l := range [][]Endpoint{res.Endpoints, res.Candidates} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Amount != l[j].Amount {
				return l[i].Amount > l[j].Amount
			}
			return l[i].Outpoint+l[i].Address < l[j].Outpoint+l[j].Address
		})
	}
	for _, h := range w.hits {
		res.HitLimits = append(res.HitLimits, *h)
	}
	sort.Slice(res.HitLimits, func(i, j int) bool { return res.HitLimits[i].Limit < res.HitLimits[j].Limit })
	for _, p := range w.peels {
		if p.hops < 2 {
			continue
		}
		res.PeelChains = append(res.PeelChains, PeelChain{First: w.txid(p.first), Last: w.txid(p.last), Hops: p.hops,
			Peeled: p.peeled, PerHop: p.peeled / int64(p.hops)})
	}
	sort.Slice(res.PeelChains, func(i, j int) bool { return res.PeelChains[i].Hops > res.PeelChains[j].Hops })
}
