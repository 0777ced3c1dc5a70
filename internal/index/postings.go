package index

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble"
)

// Address postings as columns (format v6).
//
// addr_link.col has one record per (output, address key) — a bare multisig
// output has one per key, in key order — appended in output order: the
// output id (u40) and the previous link of the same address (u40, noID for
// its first). Each address's links form a list from its newest output back
// to its first. An address's txs are the txs of its outputs (received) and
// of the inputs spending them (out_spent_by; sent), merged into chain order.
//
// addr_sum.col has one record per address, rewritten in place when the
// address is paid or spends (journaled like out_spent_by, see inplace.go):
// the head of its list (u40), the epoch of the commit that last wrote the
// record (u40), its tx count (u40), total received and total sent (u64).
// A read-only view trusts a record only if that epoch is at most its own:
// a newer record was rewritten by a later commit of the writer, and the view
// recomputes from the links (readonly.go).

const (
	linkRecLen = 2 * idWidth              // output id, previous link
	sumRecLen  = 3*idWidth + 2*8          // head link, epoch, tx count, received, sent
	linkName   = "addr_link"              // column names
	sumName    = "addr_sum"               //
	gallopMin  = 8                        // below this many ids, plain binary searches
	sumHead    = 0                        // record offsets
	sumEpoch   = idWidth                  //
	sumCount   = 2 * idWidth              //
	sumRecv    = 3 * idWidth              //
	sumSent    = 3*idWidth + 8            //
	errChanged = "changed under the view" // a view whose writer undid blocks
)

// addrRec is an addr_sum record.
type addrRec struct {
	head, epoch, count uint64
	recv, sent         uint64
}

func decodeAddrRec(b []byte) addrRec {
	return addrRec{
		head:  getU40(b[sumHead:]),
		epoch: getU40(b[sumEpoch:]),
		count: getU40(b[sumCount:]),
		recv:  le64(b[sumRecv:]),
		sent:  le64(b[sumSent:]),
	}
}

func (r addrRec) put(b []byte) {
	putU40(b[sumHead:], r.head)
	putU40(b[sumEpoch:], r.epoch)
	putU40(b[sumCount:], r.count)
	putLE64(b[sumRecv:], r.recv)
	putLE64(b[sumSent:], r.sent)
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func putLE64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
}

// postingState is the Index's part for the posting columns.
type postingState struct {
	addrLink, addrSum *column
	// addrPend holds the new records of addresses already in addr_sum.col
	// (written in place at the next commit); records of newer addresses
	// are in the column's buffer.
	addrPend map[uint64]addrRec
	// linkedTx: txs [0, linkedTx) have their links and summaries applied
	// (Apply links a tx only once it is whole).
	linkedTx uint64
	occ      []keyOcc  // the current tx's (output, address key) pairs
	recs     []addrRec // scratch, parallel to txAddrs
}

type keyOcc struct{ out, addr uint64 }

func (ix *Index) resetPostings() { ix.addrPend = make(map[uint64]addrRec) }

// addrRecOf returns address a's current record (pending changes included),
// extending addr_sum with empty records up to a new address.
func (ix *Index) addrRecOf(a uint64) addrRec {
	c := ix.addrSum
	if a < c.FileN() {
		if r, ok := ix.addrPend[a]; ok {
			return r
		}
		if ix.readOnly {
			return ix.stableRec(a)
		}
		return decodeAddrRec(c.rec(a))
	}
	for c.len() <= a {
		addrRec{head: noID}.put(c.add())
	}
	return decodeAddrRec(c.rec(a))
}

// stableRec reads a record a writer may be rewriting in place: it reads
// until two reads agree (a record is not written atomically).
func (ix *Index) stableRec(a uint64) addrRec {
	var x, y [sumRecLen]byte
	copy(x[:], ix.addrSum.rec(a))
	for {
		copy(y[:], ix.addrSum.rec(a))
		if x == y {
			return decodeAddrRec(x[:])
		}
		x = y
	}
}

func (ix *Index) setAddrRec(a uint64, r addrRec) {
	if a < ix.addrSum.FileN() {
		ix.addrPend[a] = r
		return
	}
	r.put(ix.addrSum.rec(a))
}

// padAddrSums gives every address a record (before a commit).
func (ix *Index) padAddrSums() {
	if n := ix.addrOff.len(); n > 0 {
		ix.addrRecOf(n - 1)
	}
}

// txAddrIndex returns the position of address a in txAddrs (see addTxAddr).
func (ix *Index) txAddrIndex(a uint64) int {
	if len(ix.txAddrs) <= 32 {
		for i := range ix.txAddrs {
			if ix.txAddrs[i].addr == a {
				return i
			}
		}
		return -1
	}
	if i, ok := ix.txAddrIdx[a]; ok {
		return i
	}
	return -1
}

// linkTx applies tx t's postings (ix.txAddrs, ix.occ, filled by Apply):
// one link per output key and one summary update per address.
func (ix *Index) linkTx(t uint64) {
	next := ix.cp.Epoch + 1
	ix.recs = ix.recs[:0]
	for _, ta := range ix.txAddrs {
		r := ix.addrRecOf(ta.addr)
		r.count++
		r.recv += ta.recv
		r.sent += ta.sent
		r.epoch = next
		ix.recs = append(ix.recs, r)
	}
	for _, o := range ix.occ {
		r := &ix.recs[ix.txAddrIndex(o.addr)]
		l := ix.addrLink.len()
		rec := ix.addrLink.add()
		putU40(rec, o.out)
		putU40(rec[idWidth:], r.head)
		r.head = l
	}
	for i, ta := range ix.txAddrs {
		ix.setAddrRec(ta.addr, ix.recs[i])
	}
	ix.occ = ix.occ[:0]
	ix.linkedTx = t + 1
}

// txAddrsOf fills ix.txAddrs with what each address received in and sent
// from tx t, from the columns (as Apply computed it).
func (ix *Index) txAddrsOf(t uint64) {
	ix.txAddrs = ix.txAddrs[:0]
	var ids [16]uint64
	i0, i1, o0, o1 := ix.txRange(t)
	for in := i0; in < i1; in++ {
		if out := ix.inPrev.u40(in); out < coinbaseID {
			val := ix.outValue.u64(out)
			for _, a := range ix.outAddrs(out, ids[:0]) {
				ix.addTxAddr(a, 0, val)
			}
		}
	}
	for out := o0; out < o1; out++ {
		val := ix.outValue.u64(out)
		for _, a := range ix.outAddrs(out, ids[:0]) {
			ix.addTxAddr(a, val, 0)
		}
	}
}

// firstLinkOf returns the first link of an output ≥ out.
func (ix *Index) firstLinkOf(out uint64) uint64 {
	n := ix.addrLink.len()
	return uint64(sort.Search(int(n), func(i int) bool { return getU40(ix.addrLink.rec(uint64(i))) >= out }))
}

// unlinkFrom undoes, in memory, the postings of everything past start (see
// rollback): addresses older than start get back the head they had before
// their first removed link and their summaries lose the removed txs.
func (ix *Index) unlinkFrom(start lens) {
	if ix.addrSum == nil {
		return // a v3 index before its upgrade
	}
	end := max(ix.linkedTx, start.txs)
	outEnd := ix.outValue.len()
	if end < ix.txHash.len() {
		outEnd = ix.txOut.u40(end)
	}
	l0 := ix.firstLinkOf(start.outs)
	changed := map[uint64]addrRec{}
	get := func(a uint64) addrRec {
		if r, ok := changed[a]; ok {
			return r
		}
		return ix.addrRecOf(a)
	}
	// Heads: the links of outputs [start.outs, outEnd) are in output and key order.
	l := l0
	var ids []uint64
	for o := start.outs; o < outEnd && l < ix.addrLink.len(); o++ {
		ids = ix.outAddrs(o, ids[:0])
		for _, a := range ids {
			if l >= ix.addrLink.len() {
				break
			}
			if a < start.addrs {
				if _, seen := changed[a]; !seen {
					r := get(a)
					r.head = getU40(ix.addrLink.rec(l)[idWidth:])
					changed[a] = r
				}
			}
			l++
		}
	}
	// Summaries.
	for t := start.txs; t < end; t++ {
		ix.txAddrsOf(t)
		for _, ta := range ix.txAddrs {
			if ta.addr >= start.addrs {
				continue // leaves the index
			}
			r := get(ta.addr)
			r.count--
			r.recv -= ta.recv
			r.sent -= ta.sent
			changed[ta.addr] = r
		}
	}
	next := ix.cp.Epoch + 1
	for a, r := range changed {
		r.epoch = next
		ix.setAddrRec(a, r)
	}
	for a := range ix.addrPend {
		if a >= start.addrs {
			delete(ix.addrPend, a)
		}
	}
	ix.addrLink.truncate(l0)
	ix.addrSum.truncate(min(start.addrs, ix.addrSum.len()))
	ix.linkedTx = min(ix.linkedTx, start.txs)
	ix.occ = ix.occ[:0]
}

// headOf returns the first link of address a's list as this index sees it:
// for a read-only view whose record of a was rewritten by a later commit,
// the links past the view are skipped (read from the file beyond the view).
// fresh is false then: the record's totals are not the view's.
func (ix *Index) headOf(a uint64) (head uint64, r addrRec, fresh bool, err error) {
	if ix.addrSum == nil {
		return noID, r, false, ErrUpgradeKinds // a v3 index before its upgrade
	}
	r = ix.addrRecOf(a)
	if !ix.readOnly || r.epoch <= ix.cp.Epoch {
		return r.head, r, true, nil
	}
	var buf [linkRecLen]byte
	l := r.head
	for l != noID && l >= ix.addrLink.len() {
		if err := ix.addrLink.ReadAt(l, buf[:]); err != nil {
			return noID, r, false, fmt.Errorf("address #%d: %w", a, err)
		}
		prev := getU40(buf[idWidth:])
		if prev != noID && prev >= l {
			return noID, r, false, fmt.Errorf("address #%d: link %d points forward to %d: %s", a, l, prev, errChanged)
		}
		l = prev
	}
	return l, r, false, nil
}

// walkLinks calls fn for each link of address a from the newest: the link,
// its output and that output's value.
func (ix *Index) walkLinks(a uint64, fn func(l, out, val uint64)) (addrRec, bool, error) {
	head, r, fresh, err := ix.headOf(a)
	if err != nil {
		return r, fresh, err
	}
	nOut, nLink := ix.outValue.len(), ix.addrLink.len()
	for l := head; l != noID; {
		if l >= nLink {
			return r, fresh, fmt.Errorf("address #%d: link %d beyond the %d links: the index is damaged", a, l, nLink)
		}
		rec := ix.addrLink.rec(l)
		out, prev := getU40(rec), getU40(rec[idWidth:])
		if out >= nOut || (prev != noID && prev >= l) {
			what := "the index is damaged"
			if ix.readOnly {
				what = errChanged
			}
			return r, fresh, fmt.Errorf("address #%d: link %d (output %d, previous %d) is out of order: %s", a, l, out, prev, what)
		}
		fn(l, out, ix.outValue.u64(out))
		l = prev
	}
	return r, fresh, nil
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
// in and sent from each, and a's record (fresh: its totals are this view's).
// Cost: O(n log n) for an address with n outputs, whatever the page.
func (ix *Index) addrTxs(a uint64, s *postingScratch) ([]addrTx, addrRec, bool, error) {
	if s == nil {
		s = &postingScratch{}
	}
	s.recv, s.spent = s.recv[:0], s.spent[:0]
	r, fresh, err := ix.walkLinks(a, func(_, out, val uint64) {
		s.recv = append(s.recv, idVal{out, val})
		if sp := ix.spentBy(out); sp != noID {
			s.spent = append(s.spent, idVal{sp, val})
		}
	})
	if err != nil {
		return nil, r, fresh, err
	}
	slices.Reverse(s.recv) // the walk goes newest first
	slices.SortFunc(s.spent, func(x, y idVal) int { return cmpU64(x.id, y.id) })
	s.a = ix.txsOf(s.recv, ix.txOut, false, s.a[:0])
	s.b = ix.txsOf(s.spent, ix.txIn, true, s.b[:0])
	s.out = mergeAddrTxs(s.a, s.b, s.out[:0])
	return s.out, r, fresh, nil
}

// txsOf maps ascending output (or input) ids with values to their txs,
// summing by tx: received (or, with sent, sent) amounts.
func (ix *Index) txsOf(ids []idVal, first *column, sent bool, dst []addrTx) []addrTx {
	n := ix.txHash.len()
	var t uint64
	for i, iv := range ids {
		switch {
		case i > 0 && (t+1 >= n || first.u40(t+1) > iv.id):
			// the same tx as the previous id
		default:
			t = findTx(first, iv.id, t, n)
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

// findTx returns the last tx t in [lo, n) whose first id (column first:
// tx_first_out or tx_first_in) is ≤ id, given first[lo] ≤ id. Ids grow
// almost linearly with tx numbers, so it interpolates, then gallops from
// the guess towards the answer and ends with a binary search: a few probes
// near each other instead of ~log2(n) across the column.
func findTx(first *column, id, lo, n uint64) uint64 {
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
	if id >= ix.addrOff.len() {
		return nil
	}
	sc := scratchPool.Get().(*postingScratch)
	defer scratchPool.Put(sc)
	txs, _, _, err := ix.addrTxs(id, sc)
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

// committedSummary returns address id's committed totals: its record as
// the last commit wrote it (a view recomputes a record a later commit of
// the writer rewrote).
func (ix *Index) committedSummary(id uint64) (summary, error) {
	if ix.addrSum == nil || id >= ix.addrSum.FileN() {
		return summary{}, nil
	}
	var r addrRec
	if ix.readOnly {
		r = ix.stableRec(id)
	} else {
		r = decodeAddrRec(ix.addrSum.rec(id))
	}
	if !ix.readOnly || r.epoch <= ix.cp.Epoch {
		return summary{int64(r.count), int64(r.recv), int64(r.sent)}, nil
	}
	sc := scratchPool.Get().(*postingScratch)
	defer scratchPool.Put(sc)
	txs, _, _, err := ix.addrTxs(id, sc)
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
	if ix.addrLink.len() != 0 || ix.addrSum.len() != 0 {
		return errors.New("rebuild postings: the posting columns are not empty")
	}
	var ids []uint64
	for t := uint64(0); t < ix.txHash.len(); t++ {
		ix.txAddrsOf(t)
		ix.occ = ix.occ[:0]
		_, _, o0, o1 := ix.txRange(t)
		for out := o0; out < o1; out++ {
			for _, a := range ix.outAddrs(out, ids[:0]) {
				ix.occ = append(ix.occ, keyOcc{out, a})
			}
		}
		ix.linkTx(t)
	}
	ix.padAddrSums()
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
	}{{&ix.addrLink, linkName, linkRecLen}, {&ix.addrSum, sumName, sumRecLen}} {
		c, err := openColumn(ix.dir, s.name, s.width)
		if err != nil {
			return err
		}
		if err := c.recover(0); err != nil {
			c.close()
			return err
		}
		*s.c = c
		ix.cols = append(ix.cols, c)
	}
	if err := ix.rebuildPostings(); err != nil {
		return err
	}
	for _, c := range []*column{ix.addrLink, ix.addrSum} {
		if err := c.writeTail(); err != nil {
			return err
		}
		if err := c.sync(); err != nil {
			return err
		}
		if err := c.settle(); err != nil {
			return err
		}
	}
	next.Links = ix.addrLink.len()
	for _, p := range []byte{kPosting, kSummary} {
		if err := b.DeleteRange([]byte{p}, []byte{p + 1}, nil); err != nil {
			return fmt.Errorf("upgrade postings: %w", err)
		}
	}
	return nil
}
