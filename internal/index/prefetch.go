package index

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/cockroachdb/pebble"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// prefetch is per-block scratch: before a block is applied, every look-up
// it needs is resolved at once — the tx number of each input's spent tx and
// the id of each output address already known — from the in-memory maps,
// the Bloom filter (certainly absent: no look-up) and, for the rest, Pebble
// look-ups done in parallel. The serial pass that assigns ids and links
// spends then touches only these slices and the columns.
type prefetch struct {
	txids   []chainhash.Hash
	inBlock map[chainhash.Hash]int // txid → index in the block (earlier txs only while scanning)
	firstTx uint64

	// Per input of the block, in order: the spent tx's number (noID when
	// not indexed or for a coinbase input) and its look-up queue slot.
	inTx []uint64
	inQ  []int32
	// The coinbase's txid if it repeats an indexed one (BIP30), else noID.
	cbDup  uint64
	cbDupQ int32

	// Parsed outputs, in block order: script type and address keys.
	outs    []parsedOut
	keys    []byte // address keys, back to back
	keyEnds []int  // end offset of each key in keys
	keyHash []uint64
	keyID   []uint64 // the key's address id when already known, else noID
	keyQ    []int32  // look-up queue slot or -1
	addrs   []chain.Addr

	txQ     []chainhash.Hash
	txQIdx  map[chainhash.Hash]int32
	txRes   []uint64
	addrQ   []int // indexes into keyEnds
	addrRes []uint64
	active  bool // Apply is running: new addresses need no look-up
}

type parsedOut struct {
	typ        chain.ScriptType
	key0, keyN int // keys key0…key0+keyN-1
}

func (p *prefetch) key(i int) []byte {
	start := 0
	if i > 0 {
		start = p.keyEnds[i-1]
	}
	return p.keys[start:p.keyEnds[i]]
}

func (ix *Index) prefetchBlock(blk *wire.MsgBlock, txids []chainhash.Hash) error {
	p := &ix.pf
	if p.inBlock == nil {
		p.inBlock = make(map[chainhash.Hash]int)
		p.txQIdx = make(map[chainhash.Hash]int32)
	}
	clear(p.inBlock)
	clear(p.txQIdx)
	p.firstTx = ix.txHash.len()
	p.txids, p.outs, p.keys, p.keyEnds, p.keyHash = p.txids[:0], p.outs[:0], p.keys[:0], p.keyEnds[:0], p.keyHash[:0]
	p.keyID, p.keyQ, p.inTx, p.inQ = p.keyID[:0], p.keyQ[:0], p.inTx[:0], p.inQ[:0]
	p.txQ, p.addrQ = p.txQ[:0], p.addrQ[:0]
	for i, tx := range blk.Transactions {
		if txids != nil {
			p.txids = append(p.txids, txids[i])
		} else {
			p.txids = append(p.txids, ix.txid(tx))
		}
	}
	// resolveTx returns the tx number of h, or noID with a queue slot (-1:
	// certainly not indexed). The Bloom filter holds every txid of the
	// buffers and caches too, so it is asked first: one memory access
	// instead of up to three misses in large maps for a prevout outside
	// the index.
	resolveTx := func(h chainhash.Hash, inBlock bool) (uint64, int32) {
		if inBlock {
			if i, ok := p.inBlock[h]; ok {
				return p.firstTx + uint64(i), -1
			}
		}
		if ix.filter != nil && !ix.filter.mayHave(txHash64(h[:])) {
			return noID, -1
		}
		if t, ok := ix.pendTx[h]; ok {
			return t, -1
		}
		if t, ok := ix.recentTx.get(h); ok {
			return t, -1
		}
		if q, ok := p.txQIdx[h]; ok {
			return noID, q
		}
		q := int32(len(p.txQ))
		p.txQ = append(p.txQ, h)
		p.txQIdx[h] = q
		return noID, q
	}
	p.cbDup, p.cbDupQ = noID, -1
	for i, tx := range blk.Transactions {
		if i == 0 && isCoinbase(tx) {
			p.cbDup, p.cbDupQ = resolveTx(p.txids[0], false)
			p.inTx = append(p.inTx, noID)
			p.inQ = append(p.inQ, -1)
		} else {
			for _, in := range tx.TxIn {
				t, q := resolveTx(in.PreviousOutPoint.Hash, true)
				p.inTx = append(p.inTx, t)
				p.inQ = append(p.inQ, q)
			}
		}
		p.inBlock[p.txids[i]] = i
		for _, o := range tx.TxOut {
			typ, addrs := chain.ParseScript(o.PkScript, p.addrs[:0])
			p.addrs = addrs[:0]
			po := parsedOut{typ: typ, key0: len(p.keyEnds), keyN: len(addrs)}
			for _, a := range addrs {
				p.keys = a.AppendKey(p.keys)
				p.keyEnds = append(p.keyEnds, len(p.keys))
				k := p.keys[len(p.keys)-1-len(a.Payload):]
				h := addrHash(k)
				p.keyHash = append(p.keyHash, h)
				id, q := uint64(noID), int32(-1)
				// Not in the filter (which also holds the buffered and
				// cached addresses): certainly new.
				if ix.filter == nil || ix.filter.mayHave(h) {
					if v, ok := ix.amGet(&ix.pendAddr, h, k); ok {
						id = v
					} else if v, ok := ix.acGet(&ix.recentAddr, h, k); ok {
						id = v
					} else {
						q = int32(len(p.addrQ))
						p.addrQ = append(p.addrQ, len(p.keyEnds)-1)
					}
				}
				p.keyID = append(p.keyID, id)
				p.keyQ = append(p.keyQ, q)
			}
			p.outs = append(p.outs, po)
		}
	}
	if err := ix.lookupParallel(); err != nil {
		return err
	}
	for i, q := range p.inQ {
		if q >= 0 {
			p.inTx[i] = p.txRes[q]
		}
	}
	if p.cbDupQ >= 0 {
		p.cbDup = p.txRes[p.cbDupQ]
	}
	for i, q := range p.keyQ {
		if q >= 0 {
			p.keyID[i] = p.addrRes[q]
		}
	}
	// Warm the caches with what Pebble found.
	for i, t := range p.txRes {
		if t != noID {
			ix.recentTx.put(p.txQ[i], t)
		}
	}
	for i, a := range p.addrRes {
		if a != noID {
			k, h := p.key(p.addrQ[i]), p.keyHash[p.addrQ[i]]
			ix.acPut(&ix.recentAddr, h, k, a)
		}
	}
	p.active = true
	return nil
}

// lookupParallel resolves txQ and addrQ in Pebble with up to GOMAXPROCS
// goroutines.
func (ix *Index) lookupParallel() error {
	p := &ix.pf
	nTx, n := len(p.txQ), len(p.txQ)+len(p.addrQ)
	p.txRes = grow(p.txRes, nTx)
	p.addrRes = grow(p.addrRes, len(p.addrQ))
	if n == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), 8, 1+n/64)
	errs := make([]error, workers)
	work := func(w int) {
		var kb []byte
		for j := w; j < n; j += workers {
			kb = kb[:0]
			if j < nTx {
				kb = append(append(kb, kTx), p.txQ[j][:]...)
			} else {
				kb = append(append(kb, kAddr), p.key(p.addrQ[j-nTx])...)
			}
			v, closer, err := ix.db.Get(kb)
			id := uint64(noID)
			switch {
			case err == nil:
				if len(v) == 5 {
					id = getU40(v)
				} else {
					errs[w] = fmt.Errorf("key %x: bad record of %d bytes", kb, len(v))
				}
				closer.Close()
			case !errors.Is(err, pebble.ErrNotFound):
				errs[w] = fmt.Errorf("look up key %x: %w", kb, err)
				return
			}
			if j < nTx {
				p.txRes[j] = id
			} else {
				p.addrRes[j-nTx] = id
			}
		}
	}
	if workers == 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(w)
			}()
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}
