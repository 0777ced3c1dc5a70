package index

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// The low-level graph API, for analysis packages (clustering, tracing).
// Every entity has a dense id in chain order: tx numbers, input ids, output
// ids and address ids start at 0 with the base block. Look-ups are array
// reads in the column files (a few nanoseconds once the pages are cached).

// NoID is the id of "nothing": an unspent output's spender, an output
// without an address (OP_RETURN), an input whose spent output is not indexed.
const NoID uint64 = noID

// CoinbaseID is the spent-output id of a coinbase input.
const CoinbaseID uint64 = coinbaseID

func unixTime(s uint32) time.Time { return time.Unix(int64(s), 0) }

// TxCount returns the number of indexed txs (tx numbers are 0…TxCount-1).
func (ix *Index) TxCount() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.txHash.Len()
}

// OutputCount returns the number of indexed outputs.
func (ix *Index) OutputCount() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.outValue.Len()
}

// InputCount returns the number of indexed inputs.
func (ix *Index) InputCount() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.inPrev.Len()
}

// AddressCount returns the number of indexed addresses.
func (ix *Index) AddressCount() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.addrOff.Len()
}

// Range is a tx's input ids [InStart, InEnd) and output ids [OutStart, OutEnd).
type Range struct {
	InStart, InEnd, OutStart, OutEnd uint64
}

// TxRange returns the input and output ids of tx number t.
func (ix *Index) TxRange(t uint64) (Range, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t >= ix.txHash.Len() {
		return Range{}, false
	}
	i0, i1, o0, o1 := ix.txRange(t)
	return Range{i0, i1, o0, o1}, true
}

// Output is one output in the graph API.
type Output struct {
	Value   int64
	Type    chain.ScriptType
	Addr    uint64 // first (usually only) address id, NoID for none
	SpentBy uint64 // spending input id, NoID when unspent
}

// Output returns output id out.
func (ix *Index) Output(out uint64) (Output, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if out >= ix.outValue.Len() {
		return Output{}, false
	}
	return Output{
		Value:   int64(ix.outValue.u64(out)),
		Type:    chain.ScriptType(ix.outType.u8(out)),
		Addr:    ix.outAddr.u40(out),
		SpentBy: ix.spentBy(out),
	}, true
}

// OutputAddrs appends to dst every address id output out pays (several for
// a bare multisig output).
func (ix *Index) OutputAddrs(out uint64, dst []uint64) []uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if out >= ix.outValue.Len() {
		return dst
	}
	return ix.outAddrs(out, dst)
}

// Input returns the output id input in spends: NoID when that output is
// not indexed, CoinbaseID for a coinbase input.
func (ix *Index) Input(in uint64) (spent uint64, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if in >= ix.inPrev.Len() {
		return NoID, false
	}
	return ix.inPrev.u40(in), true
}

// TxNumOf returns the tx number of txid.
func (ix *Index) TxNumOf(txid chainhash.Hash) (uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t, ok, err := ix.lookupTx(txid)
	return t, ok && err == nil
}

// TxHash returns the txid of tx number t.
func (ix *Index) TxHash(t uint64) (chainhash.Hash, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t >= ix.txHash.Len() {
		return chainhash.Hash{}, false
	}
	return chainhash.Hash(ix.txHash.Rec(t)), true
}

// TxHeight returns the height of the block holding tx number t.
func (ix *Index) TxHeight(t uint64) (int64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t >= ix.txHash.Len() {
		return 0, false
	}
	return ix.heightOfNum(ix.txBlock(t)), true
}

// TxFee returns the fee of tx number t; ok is false when it is unknown.
func (ix *Index) TxFee(t uint64) (fee int64, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t >= ix.txHash.Len() {
		return 0, false
	}
	f := ix.txFee.u64(t)
	return int64(f), f != noFee
}

// TxOfInput returns the tx number holding input id in.
func (ix *Index) TxOfInput(in uint64) (uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if in >= ix.inPrev.Len() {
		return 0, false
	}
	return ix.txOfInput(in), true
}

// TxOfOutput returns the tx number holding output id out.
func (ix *Index) TxOfOutput(out uint64) (uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if out >= ix.outValue.Len() {
		return 0, false
	}
	return ix.txOfOutput(out), true
}

// AddressKey returns the chain.Addr key of address id a (a copy).
func (ix *Index) AddressKey(a uint64) ([]byte, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if a >= ix.addrOff.Len() {
		return nil, false
	}
	return append([]byte(nil), ix.addrKey(a)...), true
}

// AddressID returns the id of the address with chain.Addr key key.
func (ix *Index) AddressID(key []byte) (uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok, err := ix.addressID(key)
	return id, ok && err == nil
}

// AddressTxs calls fn for each tx number of address id a in chain order,
// with what a received in it and sent from it (sent counts only indexed
// spent outputs), until fn returns false.
func (ix *Index) AddressTxs(a uint64, fn func(tx uint64, received, sent int64) bool) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.eachPosting(a, func(tx, r, s uint64) bool { return fn(tx, int64(r), int64(s)) })
}

// Graph is an unlocked read view of the index for bulk walks (clustering,
// tracing): View holds the read lock once for the whole callback instead of
// once per call. A Graph is valid only inside its View callback; its methods
// expect ids in range (check against the counts) and panic otherwise.
type Graph struct{ ix *Index }

// View calls fn with a read view of the index. Apply, Undo and Flush wait
// until fn returns; keep long walks in chunks.
func (ix *Index) View(fn func(g Graph) error) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return errors.New("index is closed")
	}
	return fn(Graph{ix})
}

// TxCount returns the number of txs.
func (g Graph) TxCount() uint64 { return g.ix.txHash.Len() }

// InputCount returns the number of inputs.
func (g Graph) InputCount() uint64 { return g.ix.inPrev.Len() }

// OutputCount returns the number of outputs.
func (g Graph) OutputCount() uint64 { return g.ix.outValue.Len() }

// AddressCount returns the number of addresses.
func (g Graph) AddressCount() uint64 { return g.ix.addrOff.Len() }

// TxRange returns tx t's input and output ids.
func (g Graph) TxRange(t uint64) Range {
	i0, i1, o0, o1 := g.ix.txRange(t)
	return Range{i0, i1, o0, o1}
}

// Output returns output o.
func (g Graph) Output(o uint64) Output {
	ix := g.ix
	return Output{
		Value:   int64(ix.outValue.u64(o)),
		Type:    chain.ScriptType(ix.outType.u8(o)),
		Addr:    ix.outAddr.u40(o),
		SpentBy: ix.spentBy(o),
	}
}

// OutputAddrs appends every address id output o pays to dst.
func (g Graph) OutputAddrs(o uint64, dst []uint64) []uint64 { return g.ix.outAddrs(o, dst) }

// Input returns the output id input i spends (NoID, CoinbaseID).
func (g Graph) Input(i uint64) uint64 { return g.ix.inPrev.u40(i) }

// TxHash returns tx t's txid.
func (g Graph) TxHash(t uint64) chainhash.Hash { return chainhash.Hash(g.ix.txHash.Rec(t)) }

// TxHeight returns the height of tx t's block.
func (g Graph) TxHeight(t uint64) int64 { return g.ix.heightOfNum(g.ix.txBlock(t)) }

// TxFee returns tx t's fee; ok is false when unknown.
func (g Graph) TxFee(t uint64) (int64, bool) {
	f := g.ix.txFee.u64(t)
	return int64(f), f != noFee
}

// TxInfo returns tx t's size, weight, version and lock time.
func (g Graph) TxInfo(t uint64) (size, weight int, version int32, lockTime uint32) {
	r := g.ix.txInfo.Rec(t)
	return int(binary.LittleEndian.Uint32(r)), int(binary.LittleEndian.Uint32(r[4:])),
		int32(binary.LittleEndian.Uint32(r[8:])), binary.LittleEndian.Uint32(r[12:])
}

// TxOfInput returns the tx holding input i.
func (g Graph) TxOfInput(i uint64) uint64 { return g.ix.txOfInput(i) }

// TxOfOutput returns the tx holding output o.
func (g Graph) TxOfOutput(o uint64) uint64 { return g.ix.txOfOutput(o) }

// TxNumOf returns the tx number of txid.
func (g Graph) TxNumOf(txid chainhash.Hash) (uint64, bool) {
	t, ok, err := g.ix.lookupTx(txid)
	return t, ok && err == nil
}

// AddressKey returns the chain.Addr key of address a (valid inside the
// callback only; copy it to keep it).
func (g Graph) AddressKey(a uint64) []byte { return g.ix.addrKey(a) }

// AddressID returns the id of the address with chain.Addr key key.
func (g Graph) AddressID(key []byte) (uint64, bool) {
	id, ok, err := g.ix.addressID(key)
	return id, ok && err == nil
}

// AddressTxs calls fn for each tx of address a in chain order (see
// Index.AddressTxs).
func (g Graph) AddressTxs(a uint64, fn func(tx uint64, received, sent int64) bool) error {
	return g.ix.eachPosting(a, func(tx, r, s uint64) bool { return fn(tx, int64(r), int64(s)) })
}

// BlockTime returns the header time (unix seconds) of the block at height.
func (g Graph) BlockTime(height int64) (int64, bool) {
	b, ok := g.ix.blockNum(height)
	if !ok {
		return 0, false
	}
	return g.ix.blockHeader(b).Timestamp.Unix(), true
}

// BlockInfo is what bulk readers (export) need of a block.
type BlockInfo struct {
	Hash               chainhash.Hash
	Time               int64  // header time, Unix seconds
	FirstTx, EndTx     uint64 // its txs are [FirstTx, EndTx)
	FirstAddr, EndAddr uint64 // addresses first seen in it are [FirstAddr, EndAddr)
}

// Block returns the active-chain block at height.
func (g Graph) Block(height int64) (BlockInfo, bool) {
	ix := g.ix
	b, ok := ix.blockNum(height)
	if !ok {
		return BlockInfo{}, false
	}
	r := ix.blocks.Rec(b)
	bi := BlockInfo{Hash: chainhash.Hash(r[:32]), Time: int64(binary.LittleEndian.Uint32(r[100:]))}
	bi.FirstTx, bi.EndTx = ix.blockTxs(b)
	bi.FirstAddr = binary.LittleEndian.Uint64(r[120:])
	bi.EndAddr = ix.addrOff.Len()
	if b+1 < ix.blocks.Len() {
		bi.EndAddr = binary.LittleEndian.Uint64(ix.blocks.Rec(b + 1)[120:])
	}
	return bi, true
}

// InputOutpoint returns the outpoint input i spends (the zero hash and
// 0xffffffff for a coinbase input).
func (g Graph) InputOutpoint(i uint64) (wire.OutPoint, error) {
	ix := g.ix
	switch out := ix.inPrev.u40(i); out {
	case coinbaseID:
		return wire.OutPoint{Index: wire.MaxPrevOutIndex}, nil
	case noID:
		return ix.unknownOutpoint(i)
	default:
		t := ix.txOfOutput(out)
		_, _, o0, _ := ix.txRange(t)
		return wire.OutPoint{Hash: chainhash.Hash(ix.txHash.Rec(t)), Index: uint32(out - o0)}, nil
	}
}

// AddressString renders address id a for the index's network.
func (g Graph) AddressString(a uint64) (string, error) { return g.ix.addrString(a) }

// AddressTotals returns address a's tx count, received and sent (sent
// counts only indexed spent outputs), from its txs: O(n log n) for n
// outputs of the address.
func (g Graph) AddressTotals(a uint64) (txs, received, sent int64, err error) {
	s, err := g.ix.addrTotals(a)
	return s.count, s.recv, s.sent, err
}
