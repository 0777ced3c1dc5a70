package engine

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func newTarget(bits uint32) *big.Int { return blockchain.CompactToBig(bits) }

// minTarget is the hardest target MineBlock accepts: 2^240, about 65,536 hashes per block.
var minTarget = new(big.Int).Lsh(big.NewInt(1), 240)

// witnessMagic prefixes the BIP141 witness commitment output script: OP_RETURN, push 36, 0xaa21a9ed.
var witnessMagic = []byte{txscript.OP_RETURN, 0x24, 0xaa, 0x21, 0xa9, 0xed}

// MineBlock assembles the next block: a coinbase paying payTo the subsidy plus the queued transactions' fees
// (BIP34 height in its script, a BIP141 witness commitment when any transaction carries witness data), then
// the queued transactions in the order they were added. The timestamp is the latest of when (the tip's time
// plus ten minutes when zero), the median time past plus one second, and Config.StartTime. It solves the proof
// of work, appends the framed block to the current blk file and returns the block and its coinbase coins.
func (e *Engine) MineBlock(payTo *Key, when time.Time) (*wire.MsgBlock, []Coin, error) {
	if e.closed {
		return nil, nil, errors.New("engine: MineBlock after Close")
	}
	if e.failed != nil {
		return nil, nil, fmt.Errorf("engine: MineBlock after a failed block write: %w", e.failed)
	}
	if payTo == nil || payTo.eng != e {
		return nil, nil, fmt.Errorf("engine: MineBlock: %w: coinbase key is nil or from another engine", ErrInvalidTx)
	}
	if e.target.Cmp(minTarget) < 0 {
		return nil, nil, fmt.Errorf("engine: MineBlock: network %s's proof-of-work limit (bits %#x) is too hard to mine "+
			"in a simulation: use regtest or simnet", e.cfg.Params.Name, e.cfg.Params.PowLimitBits)
	}
	height := e.height + 1
	if when.IsZero() {
		when = e.Time().Add(10 * time.Minute)
	}
	ts := when.Unix()
	if m := e.mtp() + 1; ts < m {
		ts = m
	}
	if s := e.cfg.StartTime.Unix(); ts < s {
		ts = s
	}

	subsidy := blockchain.CalcBlockSubsidy(int32(height), e.cfg.Params)
	cb := wire.NewMsgTx(2)
	sig, err := txscript.NewScriptBuilder().AddInt64(height).AddData(e.extraData).Script()
	if err != nil {
		return nil, nil, fmt.Errorf("engine: coinbase script: %w", err)
	}
	cb.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	cb.AddTxOut(&wire.TxOut{Value: subsidy + e.qFees, PkScript: payTo.PkScript})

	n := len(e.queue) + 1
	hashes := e.hashBuf[:0]
	if e.qWitness {
		// Witness merkle root over wtxids, the coinbase's counted as zero; nonce = 32 zero bytes.
		hashes = append(hashes, chainhash.Hash{})
		for i := range e.queue {
			hashes = append(hashes, e.queue[i].wtxid)
		}
		root := merkleRoot(hashes)
		var pre [64]byte
		copy(pre[:32], root[:])
		commit := chainhash.DoubleHashB(pre[:])
		cb.AddTxOut(&wire.TxOut{Value: 0, PkScript: append(append([]byte{}, witnessMagic...), commit...)})
		cb.TxIn[0].Witness = wire.TxWitness{make([]byte, 32)}
	}
	cbHash := cb.TxHash()
	hashes = append(hashes[:0], cbHash)
	for i := range e.queue {
		hashes = append(hashes, e.queue[i].txid)
	}
	txs := make([]*wire.MsgTx, 0, n)
	txs = append(txs, cb)
	for i := range e.queue {
		txs = append(txs, e.queue[i].tx)
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    BlockVersion,
			PrevBlock:  e.tip,
			MerkleRoot: merkleRoot(hashes),
			Timestamp:  time.Unix(ts, 0),
			Bits:       e.cfg.Params.PowLimitBits,
		},
		Transactions: txs,
	}
	e.hashBuf = hashes[:0]
	hash, err := e.solve(&block.Header)
	if err != nil {
		return nil, nil, err
	}
	if e.out != nil {
		var head bytes.Buffer
		head.Grow(80 + 9 + cb.SerializeSize())
		if err := block.Header.Serialize(&head); err != nil {
			return nil, nil, fmt.Errorf("engine: serialize header: %w", err)
		}
		if err := wire.WriteVarInt(&head, 0, uint64(n)); err != nil {
			return nil, nil, err
		}
		if err := cb.Serialize(&head); err != nil {
			return nil, nil, fmt.Errorf("engine: serialize coinbase: %w", err)
		}
		if err := e.out.writeBlock(head.Bytes(), e.arena); err != nil {
			e.failed = err // the file may hold part of the block: refuse to append after it
			return nil, nil, err
		}
	}

	// Commit: the block is written; advance the tip.
	e.height = height
	e.tip = hash
	e.times = append(e.times, ts)
	if len(e.times) > 11 {
		e.times = append(e.times[:0], e.times[1:]...)
	}
	for i := range e.queue {
		e.queue[i] = queued{}
	}
	e.queue = e.queue[:0]
	e.arena = e.arena[:0]
	e.lastTx = nil
	e.qWeight, e.qSigOps, e.qFees, e.qWitness = 0, 0, 0, false
	op := wire.OutPoint{Hash: cbHash, Index: 0}
	e.utxos[op] = newUTXO(cb.TxOut[0].Value, int32(height), payTo.PkScript, true)
	return block, []Coin{{OutPoint: op, Value: cb.TxOut[0].Value, Key: payTo, Height: height, Coinbase: true}}, nil
}

// solve grinds the header nonce (from 0, so it is deterministic) until the hash meets the target.
func (e *Engine) solve(h *wire.BlockHeader) (chainhash.Hash, error) {
	for nonce := uint64(0); nonce <= 0xffffffff; nonce++ {
		h.Nonce = uint32(nonce)
		hash := h.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(e.target) <= 0 {
			return hash, nil
		}
	}
	return chainhash.Hash{}, fmt.Errorf("engine: no nonce solves block %d at bits %#x (network %s is not a test network?)",
		e.height+1, h.Bits, e.cfg.Params.Name)
}

// merkleRoot computes the Bitcoin merkle root of hashes, overwriting the slice.
func merkleRoot(hashes []chainhash.Hash) chainhash.Hash {
	if len(hashes) == 0 {
		return chainhash.Hash{}
	}
	var buf [64]byte
	for len(hashes) > 1 {
		if len(hashes)%2 == 1 {
			hashes = append(hashes, hashes[len(hashes)-1])
		}
		for i := 0; i < len(hashes)/2; i++ {
			copy(buf[:32], hashes[2*i][:])
			copy(buf[32:], hashes[2*i+1][:])
			first := sha256.Sum256(buf[:])
			hashes[i] = sha256.Sum256(first[:])
		}
		hashes = hashes[:len(hashes)/2]
	}
	return hashes[0]
}

func countSigOps(pk []byte) int { return txscript.GetSigOpCount(pk) }
