package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/cockroachdb/pebble"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// noFee marks a fee that is unknown because a spent output is not indexed.
const noFee = ^uint64(0)

// lens is a position in every append-only structure.
type lens struct {
	blocks, txs, ins, outs, addrs, blob uint64
}

func (ix *Index) lens() lens {
	return lens{ix.blocks.Len(), ix.txHash.Len(), ix.inPrev.Len(), ix.outValue.Len(), ix.addrOff.Len(), ix.addrBlob.Len()}
}

func (ix *Index) usable() error {
	if ix.closed {
		return errors.New("index is closed")
	}
	if ix.readOnly {
		return errReadOnly
	}
	return ix.applyErr
}

// Apply appends blk at height. It must extend the tip (its parent is the tip
// and height is the tip's plus one) or, on an empty index, it becomes the
// base block. On error the index is unchanged.
func (ix *Index) Apply(blk *wire.MsgBlock, height int64) error {
	return ix.ApplyTxids(blk, height, nil)
}

// ApplyTxids is Apply with the block's txids already computed (in block
// order, as source.Block.DecodeChecked returns them), saving a hash per tx.
// A nil txids means "compute them".
func (ix *Index) ApplyTxids(blk *wire.MsgBlock, height int64, txids []chainhash.Hash) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.usable(); err != nil {
		return err
	}
	if err := ix.kindsWritable(); err != nil {
		return err
	}
	hash := blk.BlockHash()
	if n := ix.blocks.Len(); n > 0 {
		tipHeight := ix.heightOfNum(n - 1)
		var tipHash chainhash.Hash
		copy(tipHash[:], ix.blocks.Rec(n - 1)[:32])
		if blk.Header.PrevBlock != tipHash || height != tipHeight+1 {
			return fmt.Errorf("block %s (height %d, parent %s) does not extend the index tip %s at height %d",
				hash, height, blk.Header.PrevBlock, tipHash, tipHeight)
		}
	} else if height < 0 {
		return fmt.Errorf("block %s: negative height %d", hash, height)
	}
	if len(blk.Transactions) == 0 {
		return fmt.Errorf("block %s at height %d has no transactions", hash, height)
	}
	if txids != nil && len(txids) != len(blk.Transactions) {
		return fmt.Errorf("block %s: %d txids for %d transactions", hash, len(txids), len(blk.Transactions))
	}
	start := ix.lens()
	oldBase := ix.base
	if start.blocks == 0 {
		ix.base = height
	}
	if err := ix.applyBlock(blk, hash, height, txids); err != nil {
		ix.rollback(start)
		ix.base = oldBase
		return fmt.Errorf("apply block %s at height %d: %w", hash, height, err)
	}
	if ix.pendingBytes() > ix.pendBudget {
		return ix.commit(nil)
	}
	return nil
}

func (ix *Index) pendingBytes() int {
	n := 0
	for _, c := range ix.cols {
		n += c.PendingBytes()
	}
	n += len(ix.addrPend)*64 + len(ix.spentPend)*40 +
		len(ix.multiIDs)*8 + len(ix.multis)*32
	return n
}

func isCoinbase(tx *wire.MsgTx) bool {
	if len(tx.TxIn) != 1 {
		return false
	}
	op := tx.TxIn[0].PreviousOutPoint
	return op.Index == wire.MaxPrevOutIndex && op.Hash == chainhash.Hash{}
}

// txid hashes tx without witness into a reused buffer.
func (ix *Index) txid(tx *wire.MsgTx) chainhash.Hash {
	ix.hashBuf.Reset()
	_ = tx.SerializeNoWitness(&ix.hashBuf)
	return chainhash.DoubleHashH(ix.hashBuf.Bytes())
}

func (ix *Index) applyBlock(blk *wire.MsgBlock, hash chainhash.Hash, height int64, txids []chainhash.Hash) error {
	if err := ix.prefetchBlock(blk, txids); err != nil {
		return err
	}
	pf := &ix.pf
	outN, inN := 0, 0 // indexes into pf.outs and pf.inTx
	firstTx, firstAddr := ix.txHash.Len(), ix.addrOff.Len()
	blockSize := 80 + wire.VarIntSerializeSize(uint64(len(blk.Transactions)))
	blockWeight := 4 * blockSize
	for i, tx := range blk.Transactions {
		t := ix.txHash.Len()
		if t >= maxID || ix.inPrev.Len()+uint64(len(tx.TxIn)) >= maxID || ix.outValue.Len()+uint64(len(tx.TxOut)) >= maxID {
			return errors.New("index id space exhausted (2^40 ids)")
		}
		txid := pf.txids[i]
		copy(ix.txHash.Add(), txid[:])
		if err := ix.txMap.insert(txHash64(txid[:]), t); err != nil {
			return err
		}
		ix.txIn.addU40(ix.inPrev.Len())
		ix.txOut.addU40(ix.outValue.Len())
		size := tx.SerializeSize()
		weight := tx.SerializeSizeStripped()*3 + size
		blockSize += size
		blockWeight += weight
		info := ix.txInfo.Add()
		binary.LittleEndian.PutUint32(info[0:], uint32(size))
		binary.LittleEndian.PutUint32(info[4:], uint32(weight))
		binary.LittleEndian.PutUint32(info[8:], uint32(tx.Version))
		binary.LittleEndian.PutUint32(info[12:], tx.LockTime)

		ix.occ = ix.occ[:0]
		coinbase := i == 0 && isCoinbase(tx)
		known := !coinbase
		var inSum, outSum uint64
		for vin, in := range tx.TxIn {
			inID := ix.inPrev.Len()
			spentTx := pf.inTx[inN]
			inN++
			if coinbase {
				ix.inPrev.addU40(coinbaseID)
				continue
			}
			out, ok, err := ix.outOf(spentTx, in.PreviousOutPoint)
			if err != nil {
				return fmt.Errorf("tx %s input %d: %w", txid, vin, err)
			}
			if !ok {
				ix.inPrev.addU40(noID)
				r := ix.inOutpoint.Add()
				putU40(r, inID)
				copy(r[idWidth:], in.PreviousOutPoint.Hash[:])
				binary.LittleEndian.PutUint32(r[idWidth+32:], in.PreviousOutPoint.Index)
				known = false
				continue
			}
			if sp := ix.spentBy(out); sp != noID {
				return fmt.Errorf("tx %s input %d spends %s, already spent by input #%d", txid, vin, in.PreviousOutPoint, sp)
			}
			ix.setSpent(out, inID)
			ix.inPrev.addU40(out)
			inSum += ix.outValue.u64(out)
		}
		for vout, o := range tx.TxOut {
			if o.Value < 0 {
				return fmt.Errorf("tx %s output %d: negative value %d", txid, vout, o.Value)
			}
			val := uint64(o.Value)
			po := pf.outs[outN]
			outN++
			typ := po.typ
			outID := ix.outValue.Len()
			ix.outValue.addU64(val)
			ix.outType.addU8(uint8(typ))
			ix.outSpent.addU40(noID)
			first := uint64(noID)
			if po.keyN > 0 {
				mstart := len(ix.multiIDs)
				for j := 0; j < po.keyN; j++ {
					a, err := ix.addrID(pf.key(po.key0+j), pf.keyHash[po.key0+j])
					if err != nil {
						return fmt.Errorf("tx %s output %d: %w", txid, vout, err)
					}
					if j == 0 {
						first = a
					}
					ix.occ = append(ix.occ, keyOcc{outID, a})
					if po.keyN > 1 || typ == chain.Multisig {
						ix.multiIDs = append(ix.multiIDs, a)
					}
				}
				if len(ix.multiIDs) > mstart {
					ix.multis = append(ix.multis, multiOut{outID, mstart, len(ix.multiIDs)})
				}
			}
			ix.outAddr.addU40(first)
			outSum += val
		}
		fee := noFee
		switch {
		case coinbase:
			fee = 0
		case known && inSum < outSum:
			return fmt.Errorf("tx %s spends %d sat but creates %d", txid, inSum, outSum)
		case known:
			fee = inSum - outSum
		}
		ix.txFee.addU64(fee)
		ix.addKinds(t)
		ix.linkTx(t)
	}
	// Block record.
	n := ix.blocks.Len()
	work := blockchain.CalcWork(blk.Header.Bits)
	if n > 0 {
		work.Add(work, ix.tipWork)
	}
	r := ix.blocks.Add()
	copy(r[0:32], hash[:])
	h := &blk.Header
	binary.LittleEndian.PutUint32(r[32:], uint32(h.Version))
	copy(r[36:68], h.PrevBlock[:])
	copy(r[68:100], h.MerkleRoot[:])
	binary.LittleEndian.PutUint32(r[100:], uint32(h.Timestamp.Unix()))
	binary.LittleEndian.PutUint32(r[104:], h.Bits)
	binary.LittleEndian.PutUint32(r[108:], h.Nonce)
	binary.LittleEndian.PutUint64(r[112:], firstTx)
	binary.LittleEndian.PutUint64(r[120:], firstAddr)
	binary.LittleEndian.PutUint32(r[128:], uint32(blockSize))
	binary.LittleEndian.PutUint32(r[132:], uint32(blockWeight))
	work.FillBytes(r[136:168])
	ix.pendBlk[hash] = height
	ix.tipWork = work
	return nil
}

// outOf maps outpoint op, whose tx is number t (noID: not indexed), to its
// output id.
func (ix *Index) outOf(t uint64, op wire.OutPoint) (uint64, bool, error) {
	if t == noID {
		return noID, false, nil
	}
	_, _, o0, o1 := ix.txRange(t)
	if uint64(op.Index) >= o1-o0 {
		return noID, false, fmt.Errorf("spends output %d of tx %s, which has %d outputs", op.Index, op.Hash, o1-o0)
	}
	return o0 + uint64(op.Index), true, nil
}

// lookupTx maps a txid to its tx number (the largest with that txid: BIP30
// duplicates).
func (ix *Index) lookupTx(h chainhash.Hash) (uint64, bool, error) {
	t, ok := ix.findTx(&h)
	return t, ok, nil
}

// txRange returns tx t's input ids [i0, i1) and output ids [o0, o1).
func (ix *Index) txRange(t uint64) (i0, i1, o0, o1 uint64) {
	i0, o0 = ix.txIn.u40(t), ix.txOut.u40(t)
	if t+1 < ix.txHash.Len() {
		i1, o1 = ix.txIn.u40(t+1), ix.txOut.u40(t+1)
	} else {
		i1, o1 = ix.inPrev.Len(), ix.outValue.Len()
	}
	return
}

func (ix *Index) spentBy(out uint64) uint64 {
	if ix.outSpent.inFile(out) {
		if v, ok := ix.spentPend[out]; ok {
			return v
		}
	}
	v := ix.outSpent.u40(out)
	if ix.readOnly && v != noID && v >= ix.inPrev.Len() {
		return noID // spent by an input the writer committed after this view
	}
	return v
}

func (ix *Index) setSpent(out, in uint64) {
	if ix.outSpent.inFile(out) {
		ix.spentPend[out] = in
		return
	}
	ix.outSpent.setBufU40(out, in)
}

// addrID returns the id of the address with key key, assigning the next id
// to a new one.
func (ix *Index) addrID(key []byte, h uint64) (uint64, error) {
	if id, ok := ix.findAddr(key, h); ok {
		return id, nil
	}
	id := ix.addrOff.Len()
	if id >= maxID {
		return 0, errors.New("address id space exhausted")
	}
	ix.addrBlob.appendBytes(key)
	ix.addrOff.addU64(ix.addrBlob.Len())
	if err := ix.addrMap.insert(h, id); err != nil {
		return 0, err
	}
	return id, nil
}

// multiAddrs appends the address ids of a multi-address output to dst.
func (ix *Index) multiAddrs(out uint64, dst []uint64) []uint64 {
	if i := sort.Search(len(ix.multis), func(i int) bool { return ix.multis[i].out >= out }); i < len(ix.multis) && ix.multis[i].out == out {
		return append(dst, ix.multiIDs[ix.multis[i].start:ix.multis[i].end]...)
	}
	var k [6]byte
	k[0] = kMulti
	putU40BE(k[1:], out)
	v, closer, err := ix.db.Get(k[:])
	if err != nil {
		if a := ix.outAddr.u40(out); a != noID {
			dst = append(dst, a)
		}
		return dst
	}
	defer closer.Close()
	for i := 0; i+5 <= len(v); i += 5 {
		dst = append(dst, getU40(v[i:]))
	}
	return dst
}

// outAddrs appends every address id output out pays.
func (ix *Index) outAddrs(out uint64, dst []uint64) []uint64 {
	a := ix.outAddr.u40(out)
	if a == noID {
		return dst
	}
	if chain.ScriptType(ix.outType.u8(out)) == chain.Multisig {
		return ix.multiAddrs(out, dst)
	}
	return append(dst, a)
}

// Undo disconnects the tip block: its inputs' spent outputs become unspent
// again and its txs, outputs and new addresses leave the index. Undoing a
// block that was already committed commits at once (durably), so a crash
// can never leave half of it.
func (ix *Index) Undo() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.usable(); err != nil {
		return err
	}
	if ix.legacy {
		return ErrUpgradeKinds
	}
	n := ix.blocks.Len()
	if n == 0 {
		return errors.New("undo: the index is empty")
	}
	b := n - 1
	r := ix.blocks.Rec(b)
	firstTx := binary.LittleEndian.Uint64(r[112:])
	firstAddr := binary.LittleEndian.Uint64(r[120:])
	start := lens{blocks: b, txs: firstTx, ins: ix.txIn.u40(firstTx), outs: ix.txOut.u40(firstTx), addrs: firstAddr}
	if firstAddr > 0 {
		start.blob = ix.addrOff.u64(firstAddr - 1)
	}
	if b >= ix.cp.Blocks {
		ix.rollback(start)
		return nil
	}
	batch := ix.db.NewBatch()
	if err := ix.undoKV(start, batch); err != nil {
		batch.Close()
		return fmt.Errorf("undo block at height %d: %w", ix.heightOfNum(b), err)
	}
	ix.rollback(start)
	if err := ix.commit(batch); err != nil {
		return fmt.Errorf("undo block at height %d: %w", ix.heightOfNum(b), err)
	}
	return nil
}

// undoKV adds to batch the deletions of every committed key-value entry of
// the data past start.
func (ix *Index) undoKV(start lens, batch *pebble.Batch) error {
	var k [1 + 32]byte
	for _, p := range []struct {
		prefix byte
		from   uint64
	}{{kMulti, start.outs}} {
		var lo [6]byte
		lo[0] = p.prefix
		putU40BE(lo[1:], p.from)
		if err := batch.DeleteRange(lo[:], []byte{p.prefix + 1}, nil); err != nil {
			return err
		}
	}
	for a := start.addrs; a < ix.addrOff.Len(); a++ {
		ak := ix.addrKey(a)
		if len(ak) > 0 && chain.ScriptType(ak[0]) == chain.P2PK {
			if err := batch.Delete(append([]byte{kP2PKH}, btcutil.Hash160(ak[1:])...), nil); err != nil {
				return err
			}
		}
	}
	for b := start.blocks; b < ix.blocks.Len(); b++ {
		k[0] = kBlock
		copy(k[1:], ix.blocks.Rec(b)[:32])
		if err := batch.Delete(k[:33], nil); err != nil {
			return err
		}
	}
	return nil
}

// rollback removes, in memory, everything past start: spend links, buffered
// key-value entries and column tails. Blocks
// may be partly applied (an Apply that failed half-way).
func (ix *Index) rollback(start lens) {
	ix.undos.Add(1)
	ix.unlinkFrom(start)
	for in := start.ins; in < ix.inPrev.Len(); in++ {
		if out := ix.inPrev.u40(in); out < coinbaseID {
			ix.setSpent(out, noID)
		}
	}
	// The txid and address map entries past start stay, stale (maps.go).
	var h chainhash.Hash
	for b := start.blocks; b < ix.blocks.Len(); b++ {
		copy(h[:], ix.blocks.Rec(b)[:32])
		delete(ix.pendBlk, h)
	}
	// Buffered key-value entries past start (each slice is in id order).
	ix.inOutpoint.Truncate(ix.outpointsBefore(start.ins))
	if i := sort.Search(len(ix.multis), func(i int) bool { return ix.multis[i].out >= start.outs }); i < len(ix.multis) {
		ix.multiIDs = ix.multiIDs[:ix.multis[i].start]
		ix.multis = ix.multis[:i]
	}
	ix.blocks.Truncate(start.blocks)
	ix.txHash.Truncate(start.txs)
	ix.txIn.Truncate(start.txs)
	ix.txOut.Truncate(start.txs)
	ix.txInfo.Truncate(start.txs)
	ix.txFee.Truncate(start.txs)
	ix.txKind.Truncate(start.txs)
	ix.inPrev.Truncate(start.ins)
	for _, c := range []*column{ix.outValue, ix.outAddr, ix.outType, ix.outSpent} {
		c.Truncate(start.outs)
	}
	// Spend links of removed outputs that sit in the file are moot.
	for out := range ix.spentPend {
		if out >= start.outs {
			delete(ix.spentPend, out)
		}
	}
	ix.addrOff.Truncate(start.addrs)
	ix.addrBlob.Truncate(start.blob)
	ix.tipWork = new(big.Int)
	if n := ix.blocks.Len(); n > 0 {
		ix.tipWork = ix.workOf(n - 1)
	}
}

// outpointsBefore returns how many in_outpoint records belong to inputs
// before input id in (records are in input order).
func (ix *Index) outpointsBefore(in uint64) uint64 {
	n := ix.inOutpoint.Len()
	return uint64(sort.Search(int(n), func(i int) bool { return getU40(ix.inOutpoint.Rec(uint64(i))) >= in }))
}
