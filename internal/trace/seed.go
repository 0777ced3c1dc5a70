package trace

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/chain"
)

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
	if _, ok := parseClusterID(s); ok {
		return chainhash.Hash{}, 0, false, nil // a cluster: resolved by subjectAddrs
	}
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
