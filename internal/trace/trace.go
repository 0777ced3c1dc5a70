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
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

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

// seed resolves from and places its taint.
func (w *walk) seed(from string) error {
	from = strings.TrimSpace(from)
	if from == "" {
		return badInput("nothing to trace from: give a txid, txid:vout or address")
	}
	txs, vout, isTx, err := parseTxRef(from)
	if err != nil {
		return err
	}
	g := w.g
	h := hop{parent: -1, conf: 1, peel: -1}
	if isTx {
		t, ok := g.TxNumOf(txs)
		if !ok {
			return fmt.Errorf("%w: transaction %s is not in the index", ErrNotFound, txs)
		}
		r := g.TxRange(t)
		outs := []uint64{}
		if vout >= 0 {
			if uint64(vout) >= r.OutEnd-r.OutStart {
				return badInput("%s has %d outputs: vout %d is out of range", txs, r.OutEnd-r.OutStart, vout)
			}
			outs = append(outs, r.OutStart+uint64(vout))
		} else {
			for o := r.OutStart; o < r.OutEnd; o++ {
				outs = append(outs, o)
			}
		}
		w.nodes = append(w.nodes, node{tx: t, parent: -1})
		h.parent = 0
		w.gnode(w.txid(t), "tx", "source")
		for _, o := range outs {
			w.seedOutput(t, o, h)
		}
		return nil
	}
	addrs, err := w.subjectAddrs(from)
	if err != nil {
		return err
	}
	w.gnode("addr:"+from, "address", "source")
	set := make(map[uint64]bool, len(addrs))
	var paid []uint64
	for _, a := range addrs {
		set[a] = true
		if err := w.g.AddressTxs(a, func(t uint64, recv, _ int64) bool {
			if recv > 0 {
				paid = append(paid, t)
			}
			return len(paid) <= w.req.Limits.Nodes
		}); err != nil {
			return err
		}
	}
	if len(paid) > w.req.Limits.Nodes {
		return badInput("%s received in more than %d paid (the node budget): trace one of its outputs, or raise --nodes", from, w.req.Limits.Nodes)
	}
	sort.Slice(paid, func(i, j int) bool { return paid[i] < paid[j] })
	for k, t := range paid {
		if k > 0 && paid[k-1] == t {
			continue
		}
		r := g.TxRange(t)
		w.nodes = append(w.nodes, node{tx: t, parent: -1})
		h.parent = int32(len(w.nodes) - 1)
		for o := r.OutStart; o < r.OutEnd; o++ {
			if w.paysAny(o, set) {
				w.seedOutput(t, o, h)
			}
		}
	}
	return nil
}

// subjectAddrs resolves an address, or a cluster ("cluster:ID" or a bare
// number, when the tracer has clusters), to address ids.
func (w *walk) subjectAddrs(s string) ([]uint64, error) {
	if id, ok := parseClusterID(s); ok {
		if w.tr.clusters == nil {
			return nil, badInput("%q is a cluster id, but no clustering is available (run chaintrace cluster first)", s)
		}
		var addrs []uint64
		err := w.tr.clusters.Members(id, 0, func(a uint64) bool {
			addrs = append(addrs, a)
			return len(addrs) <= w.req.Limits.Nodes
		})
		if err != nil {
			return nil, fmt.Errorf("%w: cluster %d: %v", ErrNotFound, id, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%w: cluster %d has no members", ErrNotFound, id)
		}
		if len(addrs) > w.req.Limits.Nodes {
			return nil, badInput("cluster %d has more than %d addresses (the node budget)", id, w.req.Limits.Nodes)
		}
		return addrs, nil
	}
	a, err := w.addressID(s)
	if err != nil {
		return nil, err
	}
	return []uint64{a}, nil
}

// parseClusterID parses "cluster:ID" or a bare decimal number.
func parseClusterID(s string) (uint64, bool) {
	s = strings.TrimPrefix(s, "cluster:")
	if s == "" || len(s) > 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// addressID resolves an address string to its id (inside View).
func (w *walk) addressID(s string) (uint64, error) {
	ad, err := chain.ParseAddr(s, w.tr.ix.Network())
	if err != nil {
		return 0, badInput("%q is neither a txid[:vout] nor an address of this network: %v", s, err)
	}
	a, ok := w.g.AddressID(ad.Key())
	if !ok {
		return 0, fmt.Errorf("%w: address %s has no transactions in the index", ErrNotFound, s)
	}
	return a, nil
}

func (w *walk) paysAny(o uint64, set map[uint64]bool) bool {
	w.buf = w.g.OutputAddrs(o, w.buf[:0])
	for _, x := range w.buf {
		if set[x] {
			return true
		}
	}
	return false
}

// seedOutput places a whole output's value as taint.
func (w *walk) seedOutput(t, o uint64, h hop) {
	out := w.g.Output(o)
	tt := full(w.req.Model, out.Value)
	w.res.Total += out.Value
	r := w.g.TxRange(t)
	if w.req.Direction == Backward {
		w.push(t, int(o-r.OutStart), tt, h)
		return
	}
	w.route(t, o, int(o-r.OutStart), tt, h)
}

// parseTxRef parses "txid" or "txid:vout" (vout -1 when absent); isTx is
// false when s looks like neither (an address).
func parseTxRef(s string) (chainhash.Hash, int, bool, error) {
	id, v, hasV := strings.Cut(s, ":")
	if len(id) != 64 || !isHex(id) {
		if hasV {
			return chainhash.Hash{}, 0, false, badInput("%q: want TXID:VOUT with a 64-hex-digit txid", s)
		}
		return chainhash.Hash{}, 0, false, nil
	}
	h, err := chainhash.NewHashFromStr(id)
	if err != nil {
		return chainhash.Hash{}, 0, false, badInput("%q: %v", s, err)
	}
	vout := -1
	if hasV {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return chainhash.Hash{}, 0, false, badInput("%q: bad vout %q", s, v)
		}
		vout = int(n)
	}
	return *h, vout, true, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

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
