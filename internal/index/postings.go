package index

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
)

// Address postings as columns (format v6).
//
// addr_link.col has one record per (output, address key) — a bare multisig
// output has one per key, in key order — appended in output order: the
// output id (u40) and the previous link of the same address (u40, noID for
// its first). Each address's links form a list from its newest output back
// to its first. An address's txs are the txs of its outputs (received) and
// of the inputs spending them (out_spent_by; sent), merged into chain order;
// its totals, tx count and first/last seen follow from them.
//
// addr_head.col has one record per address: the head of its list (u40, its
// newest link), rewritten in place when the address is paid again (journaled
// like out_spent_by, see inplace.go). Spending from an address changes
// nothing of it. A read-only view whose writer has since paid the address
// finds a head past its own links and follows the list back to them
// (readonly.go).

const (
	linkRecLen = 2 * idWidth // output id, previous link
	linkName   = "addr_link"
	headName   = "addr_head"
	// errChanged ends the message of a list a view cannot follow: its
	// writer undid blocks since the view's commit (refresh the view).
	errChanged = "changed under the view"
)

// postingState is the Index's part for the posting columns.
type postingState struct {
	addrLink, addrHead *column
	// addrPend holds the new heads of addresses already in addr_head.col
	// (written in place at the next commit); heads of newer addresses are
	// in the column's buffer.
	addrPend map[uint64]uint64
	// linkedTx: txs [0, linkedTx) have their links (Apply links a tx only
	// once it is whole).
	linkedTx uint64
	occ      []keyOcc // the current tx's (output, address key) pairs

	walks walkCache     // busy addresses' txs (walkcache.go)
	undos atomic.Uint64 // rollbacks so far: part of a walk's cache key
}

type keyOcc struct{ out, addr uint64 }

func (ix *Index) resetPostings() { ix.addrPend = make(map[uint64]uint64) }

// addrHeadOf returns address a's current head (pending changes included),
// extending addr_head with empty heads up to a new address.
func (ix *Index) addrHeadOf(a uint64) uint64 {
	c := ix.addrHead
	if a < c.FileN() {
		if h, ok := ix.addrPend[a]; ok {
			return h
		}
		if ix.readOnly {
			return ix.stableHead(a)
		}
		return c.u40(a)
	}
	for c.Len() <= a {
		c.addU40(noID)
	}
	return c.u40(a)
}

// stableHead reads a head a writer may be rewriting in place: it reads
// until two reads agree (a record is not written atomically).
func (ix *Index) stableHead(a uint64) uint64 {
	x := ix.addrHead.u40(a)
	for {
		y := ix.addrHead.u40(a)
		if x == y {
			return x
		}
		x = y
	}
}

func (ix *Index) setAddrHead(a, h uint64) {
	if a < ix.addrHead.FileN() {
		ix.addrPend[a] = h
		return
	}
	ix.addrHead.setBufU40(a, h)
}

// padAddrHeads gives every address a head record (before a commit).
func (ix *Index) padAddrHeads() {
	if n := ix.addrOff.Len(); n > 0 {
		ix.addrHeadOf(n - 1)
	}
}

// linkTx links tx t's output keys (ix.occ, filled by Apply) into their
// addresses' lists.
func (ix *Index) linkTx(t uint64) {
	for _, o := range ix.occ {
		l := ix.addrLink.Len()
		rec := ix.addrLink.Add()
		putU40(rec, o.out)
		putU40(rec[idWidth:], ix.addrHeadOf(o.addr))
		ix.setAddrHead(o.addr, l)
	}
	ix.occ = ix.occ[:0]
	ix.linkedTx = t + 1
}

// firstLinkOf returns the first link of an output ≥ out.
func (ix *Index) firstLinkOf(out uint64) uint64 {
	n := ix.addrLink.Len()
	return uint64(sort.Search(int(n), func(i int) bool { return getU40(ix.addrLink.Rec(uint64(i))) >= out }))
}

// unlinkFrom undoes, in memory, the links of everything past start (see
// rollback): each address older than start gets back the head its first
// removed link pointed to.
func (ix *Index) unlinkFrom(start lens) {
	if ix.addrHead == nil {
		return // a v3 index before its upgrade
	}
	end := max(ix.linkedTx, start.txs)
	outEnd := ix.outValue.Len()
	if end < ix.txHash.Len() {
		outEnd = ix.txOut.u40(end)
	}
	l0 := ix.firstLinkOf(start.outs)
	// The links of outputs [start.outs, outEnd) are in output and key order.
	seen := map[uint64]bool{}
	l := l0
	var ids []uint64
	for o := start.outs; o < outEnd && l < ix.addrLink.Len(); o++ {
		ids = ix.outAddrs(o, ids[:0])
		for _, a := range ids {
			if l >= ix.addrLink.Len() {
				break
			}
			if a < start.addrs && !seen[a] {
				seen[a] = true
				ix.setAddrHead(a, getU40(ix.addrLink.Rec(l)[idWidth:]))
			}
			l++
		}
	}
	for a := range ix.addrPend {
		if a >= start.addrs {
			delete(ix.addrPend, a)
		}
	}
	ix.addrLink.Truncate(l0)
	ix.addrHead.Truncate(min(start.addrs, ix.addrHead.Len()))
	ix.linkedTx = min(ix.linkedTx, start.txs)
	ix.occ = ix.occ[:0]
}

// headOf returns the first link of address a's list as this index sees it:
// a read-only view skips the links its writer appended since the view's
// commit (reading them from the file beyond the view).
func (ix *Index) headOf(a uint64) (uint64, error) {
	if ix.addrHead == nil {
		return noID, ErrUpgradeKinds // a v3 index before its upgrade
	}
	l := ix.addrHeadOf(a)
	if !ix.readOnly {
		return l, nil
	}
	var buf [linkRecLen]byte
	for l != noID && l >= ix.addrLink.Len() {
		if err := ix.addrLink.ReadAt(l, buf[:]); err != nil {
			return noID, fmt.Errorf("address #%d: %w", a, err)
		}
		prev := getU40(buf[idWidth:])
		if prev != noID && prev >= l {
			return noID, fmt.Errorf("address #%d: link %d points forward to %d: %s", a, l, prev, errChanged)
		}
		l = prev
	}
	return l, nil
}

// walkLinks calls fn for each link of address a from the newest: the link,
// its output and that output's value.
func (ix *Index) walkLinks(a uint64, fn func(l, out, val uint64)) error {
	head, err := ix.headOf(a)
	if err != nil {
		return err
	}
	nOut, nLink := ix.outValue.Len(), ix.addrLink.Len()
	for l := head; l != noID; {
		if l >= nLink {
			return fmt.Errorf("address #%d: link %d beyond the %d links: the index is damaged", a, l, nLink)
		}
		rec := ix.addrLink.Rec(l)
		out, prev := getU40(rec), getU40(rec[idWidth:])
		if out >= nOut || (prev != noID && prev >= l) {
			what := "the index is damaged"
			if ix.readOnly {
				what = errChanged
			}
			return fmt.Errorf("address #%d: link %d (output %d, previous %d) is out of order: %s", a, l, out, prev, what)
		}
		fn(l, out, ix.outValue.u64(out))
		l = prev
	}
	return nil
}

// idVal is an output or input id with a value.
type idVal struct{ id, val uint64 }

// addrTx is one tx of an address.
type addrTx struct{ tx, recv, sent uint64 }

// postingScratch holds the buffers of one address walk.
type postingScratch struct {
	recv, spent []idVal
	a, b, out   []addrTx
}

// addrTxs returns the txs of address a in chain order with what a received
// in and sent from each. Cost: O(n log n) for an address with n outputs,
// whatever the page.
//
// The txs of an address with walkCacheMin txs or more are kept (walkcache.go)
// and returned as they are: callers must not modify the slice.
func (ix *Index) addrTxs(a uint64, s *postingScratch) ([]addrTx, error) {
	key := ix.walkKeyOf(a)
	if txs, ok := ix.walks.get(key); ok {
		return txs, nil
	}
	txs, err := ix.walkTxs(a, s)
	if err == nil && len(txs) >= walkCacheMin {
		ix.walks.put(key, txs)
	}
	return txs, err
}

// walkTxs is addrTxs without the cache: it always walks, and leaves the
// address's outputs (ascending) in s.recv.
func (ix *Index) walkTxs(a uint64, s *postingScratch) ([]addrTx, error) {
	s.recv, s.spent = s.recv[:0], s.spent[:0]
	err := ix.walkLinks(a, func(_, out, val uint64) {
		s.recv = append(s.recv, idVal{out, val})
		if sp := ix.spentBy(out); sp != noID {
			s.spent = append(s.spent, idVal{sp, val})
		}
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(s.recv) // the walk goes newest first
	slices.SortFunc(s.spent, func(x, y idVal) int { return cmpU64(x.id, y.id) })
	s.a = ix.txsOf(s.recv, ix.txOut, false, s.a[:0])
	s.b = ix.txsOf(s.spent, ix.txIn, true, s.b[:0])
	s.out = mergeAddrTxs(s.a, s.b, s.out[:0])
	return s.out, nil
}

// txsOf maps ascending output (or input) ids with values to their txs,
// summing by tx: received (or, with sent, sent) amounts.
func (ix *Index) txsOf(ids []idVal, first *column, sent bool, dst []addrTx) []addrTx {
	n := ix.txHash.Len()
	var t uint64
	for i, iv := range ids {
		switch {
		case i > 0 && (t+1 >= n || first.u40(t+1) > iv.id):
			// the same tx as the previous id
		default:
			t = txOfID(first, iv.id, t, n)
		}
		if len(dst) == 0 || dst[len(dst)-1].tx != t {
			dst = append(dst, addrTx{tx: t})
		}
		if sent {
			dst[len(dst)-1].sent += iv.val
		} else {
			dst[len(dst)-1].recv += iv.val
		}
	}
	return dst
}

// txOfID returns the last tx t in [lo, n) whose first id (column first:
// tx_first_out or tx_first_in) is ≤ id, given first[lo] ≤ id. Ids grow
// almost linearly with tx numbers, so it interpolates, then gallops from
// the guess towards the answer and ends with a binary search: a few probes
// near each other instead of ~log2(n) across the column.
func txOfID(first *column, id, lo, n uint64) uint64 {
	hi := n // the answer is in [lo, hi)
	if hi-lo > 16 {
		fl, fh := first.u40(lo), first.u40(hi-1)
		if fh <= id {
			return hi - 1
		}
		g := lo + uint64(float64(id-fl)/float64(fh-fl)*float64(hi-1-lo))
		g = min(max(g, lo), hi-1)
		if first.u40(g) <= id { // gallop up
			step := uint64(1)
			for g+step < hi && first.u40(g+step) <= id {
				g += step
				step <<= 1
			}
			lo, hi = g, min(g+step, hi)
		} else { // gallop down
			step := uint64(1)
			for g >= lo+step && first.u40(g-step) > id {
				g -= step
				step <<= 1
			}
			lo, hi = max(lo, g-min(step, g)), g
		}
	}
	return searchTx(first, id, lo, hi)
}

// searchTx returns the last tx in [lo, hi) whose first id (column first) is
// ≤ id.
func searchTx(first *column, id, lo, hi uint64) uint64 {
	i := sort.Search(int(hi-lo), func(i int) bool { return first.u40(lo+uint64(i)) > id })
	return lo + uint64(i) - 1
}

// mergeAddrTxs merges two tx-ordered lists, summing a tx in both.
func mergeAddrTxs(a, b, dst []addrTx) []addrTx {
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].tx < b[0].tx):
			dst, a = append(dst, a[0]), a[1:]
		case len(a) == 0 || b[0].tx < a[0].tx:
			dst, b = append(dst, b[0]), b[1:]
		default:
			dst = append(dst, addrTx{a[0].tx, a[0].recv + b[0].recv, a[0].sent + b[0].sent})
			a, b = a[1:], b[1:]
		}
	}
	return dst
}

// eachPosting calls fn for each tx of address id in chain order, with what
// the address received in it and sent from it, until fn returns false.
func (ix *Index) eachPosting(id uint64, fn func(tx, recv, sent uint64) bool) error {
	if id >= ix.addrOff.Len() {
		return nil
	}
	sc := scratchPool.Get().(*postingScratch)
	defer scratchPool.Put(sc)
	txs, err := ix.addrTxs(id, sc)
	if err != nil {
		return err
	}
	for _, p := range txs {
		if !fn(p.tx, p.recv, p.sent) {
			return nil
		}
	}
	return nil
}

// scratchPool keeps address walks' buffers between queries.
var scratchPool = sync.Pool{New: func() any { return new(postingScratch) }}

// addrTotals returns address id's tx count and totals as this index sees
// them (a view: as of its commit), from its txs.
func (ix *Index) addrTotals(id uint64) (summary, error) {
	if id >= ix.addrOff.Len() {
		return summary{}, nil
	}
	sc := scratchPool.Get().(*postingScratch)
	defer scratchPool.Put(sc)
	txs, err := ix.addrTxs(id, sc)
	if err != nil {
		return summary{}, err
	}
	var s summary
	for _, p := range txs {
		s = s.add(summary{1, int64(p.recv), int64(p.sent)})
	}
	return s, nil
}

// rebuildPostings writes the posting columns of a v3 index (which kept
// postings in the key-value store) from the chain columns, as Apply would
// have: links and summaries of every committed tx, buffered for the next
// commit.
func (ix *Index) rebuildPostings() error {
	if ix.addrLink.Len() != 0 || ix.addrHead.Len() != 0 {
		return errors.New("rebuild postings: the posting columns are not empty")
	}
	var ids []uint64
	for t := uint64(0); t < ix.txHash.Len(); t++ {
		ix.occ = ix.occ[:0]
		_, _, o0, o1 := ix.txRange(t)
		for out := o0; out < o1; out++ {
			for _, a := range ix.outAddrs(out, ids[:0]) {
				ix.occ = append(ix.occ, keyOcc{out, a})
			}
		}
		ix.linkTx(t)
	}
	ix.padAddrHeads()
	return nil
}

// upgradePostings adds the posting columns to a v3 index (RebuildKinds):
// it writes and syncs them, sets their count in next and adds to b the
// deletion of the key-value postings and summaries they replace.
func (ix *Index) upgradePostings(b *pebble.Batch, next *checkpoint) error {
	for _, s := range []struct {
		c     **column
		name  string
		width int
	}{{&ix.addrLink, linkName, linkRecLen}, {&ix.addrHead, headName, idWidth}} {
		c, err := openColumn(ix.dir, s.name, s.width)
		if err != nil {
			return err
		}
		if err := c.Recover(0); err != nil {
			c.Close()
			return err
		}
		*s.c = c
		ix.cols = append(ix.cols, c)
	}
	if err := ix.rebuildPostings(); err != nil {
		return err
	}
	for _, c := range []*column{ix.addrLink, ix.addrHead} {
		if err := c.WriteTail(); err != nil {
			return err
		}
		if err := c.Sync(); err != nil {
			return err
		}
		if err := c.Settle(); err != nil {
			return err
		}
	}
	next.Links = ix.addrLink.Len()
	for _, p := range []byte{kPosting, kSummary} {
		if err := b.DeleteRange([]byte{p}, []byte{p + 1}, nil); err != nil {
			return fmt.Errorf("upgrade postings: %w", err)
		}
	}
	return nil
}
