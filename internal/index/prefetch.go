package index

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// prefetch is per-block scratch: before a block is applied, the tx number of
// each input's spent tx is resolved (an earlier tx of the block, or the txid
// map) and each output's script is parsed into its address keys and their
// hashes. The serial pass that assigns ids and links spends then touches
// only these slices, the maps and the columns.
type prefetch struct {
	txids   []chainhash.Hash
	inBlock map[chainhash.Hash]int // txid → index in the block (earlier txs only while scanning)
	firstTx uint64

	// Per input of the block, in order: the spent tx's number (noID when
	// not indexed or for a coinbase input).
	inTx []uint64

	// Parsed outputs, in block order: script type and address keys.
	outs    []parsedOut
	keys    []byte // address keys, back to back
	keyEnds []int  // end offset of each key in keys
	keyHash []uint64
	addrs   []chain.Addr
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
	}
	clear(p.inBlock)
	p.firstTx = ix.txHash.Len()
	p.txids, p.outs, p.keys, p.keyEnds, p.keyHash = p.txids[:0], p.outs[:0], p.keys[:0], p.keyEnds[:0], p.keyHash[:0]
	p.inTx = p.inTx[:0]
	for i, tx := range blk.Transactions {
		if txids != nil {
			p.txids = append(p.txids, txids[i])
		} else {
			p.txids = append(p.txids, ix.txid(tx))
		}
	}
	for i, tx := range blk.Transactions {
		if i == 0 && isCoinbase(tx) {
			p.inTx = append(p.inTx, noID)
		} else {
			for _, in := range tx.TxIn {
				h := &in.PreviousOutPoint.Hash
				t := uint64(noID)
				if j, ok := p.inBlock[*h]; ok {
					t = p.firstTx + uint64(j)
				} else if v, ok := ix.findTx(h); ok {
					t = v
				}
				p.inTx = append(p.inTx, t)
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
				p.keyHash = append(p.keyHash, addrHash(p.keys[len(p.keys)-1-len(a.Payload):]))
			}
			p.outs = append(p.outs, po)
		}
	}
	return nil
}
