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

// prefetch is per-block scratch: before a block is applied, every key-value
// look-up it will need (spent txids and output addresses that are not in
// the in-memory maps) is done at once, in parallel, so the serial pass that
// assigns ids and links spends only touches memory and the column maps.
type prefetch struct {
	txids   []chainhash.Hash
	inBlock map[chainhash.Hash]struct{}

	// Parsed outputs, in block order: script type and address keys.
	outs    []parsedOut
	keys    []byte // address keys, back to back
	keyEnds []int  // end offset of each key in keys
	keyHash []uint64
	addrs   []chain.Addr

	txQ     []chainhash.Hash
	txRes   []uint64
	addrQ   []int // indexes into keyEnds
	addrRes []uint64

	txFound   map[chainhash.Hash]uint64
	addrFound addrMap
	active    bool // the maps are authoritative: skip Pebble
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
		p.inBlock = make(map[chainhash.Hash]struct{})
		p.txFound = make(map[chainhash.Hash]uint64)
		p.addrFound = newAddrMap()
	}
	clear(p.inBlock)
	clear(p.txFound)
	clear(p.addrFound.m)
	p.addrFound.coll = nil
	p.txids, p.outs, p.keys, p.keyEnds, p.keyHash = p.txids[:0], p.outs[:0], p.keys[:0], p.keyEnds[:0], p.keyHash[:0]
	p.txQ, p.addrQ = p.txQ[:0], p.addrQ[:0]
	for i, tx := range blk.Transactions {
		if txids != nil {
			p.txids = append(p.txids, txids[i])
		} else {
			p.txids = append(p.txids, ix.txid(tx))
		}
	}
	cached := func(h chainhash.Hash) bool {
		if _, ok := p.inBlock[h]; ok {
			return true
		}
		if _, ok := ix.pendTx[h]; ok {
			return true
		}
		if t, ok := ix.recentTx.get(h); ok {
			// Keep it here too: a cache rotation below must not lose it.
			p.txFound[h] = t
			return true
		}
		// Certainly not indexed: no look-up needed.
		return ix.filter != nil && !ix.filter.mayHave(txHash64(h[:]))
	}
	for i, tx := range blk.Transactions {
		if i == 0 && isCoinbase(tx) {
			if !cached(p.txids[0]) { // BIP30 duplicate check
				p.txQ = append(p.txQ, p.txids[0])
			}
		} else {
			for _, in := range tx.TxIn {
				if h := in.PreviousOutPoint.Hash; !cached(h) {
					p.txQ = append(p.txQ, h)
				}
			}
		}
		p.inBlock[p.txids[i]] = struct{}{}
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
				if _, ok := ix.amGet(&ix.pendAddr, h, k); ok {
					continue
				}
				if id, ok := ix.acGet(&ix.recentAddr, h, k); ok {
					ix.amPut(&p.addrFound, h, k, id) // survives a cache rotation
					continue
				}
				if ix.filter != nil && !ix.filter.mayHave(h) {
					continue // a new address
				}
				p.addrQ = append(p.addrQ, len(p.keyEnds)-1)
			}
			p.outs = append(p.outs, po)
		}
	}
	if err := ix.lookupParallel(); err != nil {
		return err
	}
	for i, t := range p.txRes {
		if t != noID {
			p.txFound[p.txQ[i]] = t
			ix.recentTx.put(p.txQ[i], t)
		}
	}
	for i, a := range p.addrRes {
		if a != noID {
			k, h := p.key(p.addrQ[i]), p.keyHash[p.addrQ[i]]
			ix.amPut(&p.addrFound, h, k, a)
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
