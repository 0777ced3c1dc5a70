package btcdtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
)

var extraNonce atomic.Uint64

// BlockOn builds (but does not submit) a solved regtest block on parent
// whose only transaction is a coinbase paying MiningAddr, made unique by an
// extra nonce so that two branches never share a block. It fails the test on
// error.
func (n *Node) BlockOn(parent chainhash.Hash) *wire.MsgBlock {
	n.t.Helper()
	// getblockheader's verbose form fails for side-chain blocks in btcd
	// (it looks the height up in the main chain), so the parent is read
	// whole and its height taken from its coinbase (BIP34).
	raw, err := n.Call("getblock", parent.String(), 0)
	if err != nil {
		n.t.Fatalf("btcdtest: block on %s: %v", parent, err)
	}
	var hexBlock string
	if err := json.Unmarshal(raw, &hexBlock); err != nil {
		n.t.Fatalf("btcdtest: block on %s: %v", parent, err)
	}
	rawBlock, err := hex.DecodeString(hexBlock)
	if err != nil {
		n.t.Fatalf("btcdtest: block on %s: %v", parent, err)
	}
	var pb wire.MsgBlock
	if err := pb.Deserialize(bytes.NewReader(rawBlock)); err != nil {
		n.t.Fatalf("btcdtest: block on %s: %v", parent, err)
	}
	var hdr struct {
		Height int64
		Time   int64
		Bits   uint32
	}
	hdr.Time, hdr.Bits = pb.Header.Timestamp.Unix(), pb.Header.Bits
	if parent != *chaincfg.RegressionNetParams.GenesisHash {
		h, ok := chain.BlockHeight(&pb)
		if !ok {
			n.t.Fatalf("btcdtest: block on %s: no BIP34 height in its coinbase", parent)
		}
		hdr.Height = h
	}
	params := &chaincfg.RegressionNetParams
	height := hdr.Height + 1
	addr, err := btcutil.DecodeAddress(n.MiningAddr, params)
	if err != nil {
		n.t.Fatal(err)
	}
	pkScript, err := txscript.PayToAddrScript(addr)
	if err != nil {
		n.t.Fatal(err)
	}
	sig, err := txscript.NewScriptBuilder().AddInt64(height).AddInt64(int64(extraNonce.Add(1))).AddData([]byte("chaintrace")).Script()
	if err != nil {
		n.t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: sig, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(&wire.TxOut{Value: blockchain.CalcBlockSubsidy(int32(height), params), PkScript: pkScript})
	bits := hdr.Bits
	blk := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    4,
			PrevBlock:  parent,
			MerkleRoot: cb.TxHash(),
			Timestamp:  time.Unix(hdr.Time+1, 0),
			Bits:       bits,
		},
		Transactions: []*wire.MsgTx{cb},
	}
	Solve(&blk.Header)
	return blk
}

// MineOn builds and submits k blocks on parent (see BlockOn), returning
// their hashes. A branch longer than the node's best chain makes it reorg.
func (n *Node) MineOn(parent chainhash.Hash, k int) []chainhash.Hash {
	n.t.Helper()
	var out []chainhash.Hash
	for i := 0; i < k; i++ {
		b := n.BlockOn(parent)
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			n.t.Fatal(err)
		}
		if err := n.SubmitBlock(buf.Bytes()); err != nil {
			n.t.Fatalf("btcdtest: mine on %s: %v", parent, err)
		}
		parent = b.BlockHash()
		out = append(out, parent)
	}
	return out
}

// BestBlock returns the node's best block hash and height, failing the
// test on error.
func (n *Node) BestBlock() (chainhash.Hash, int64) {
	n.t.Helper()
	raw, err := n.Call("getbestblock")
	if err != nil {
		n.t.Fatalf("btcdtest: getbestblock: %v", err)
	}
	var r struct {
		Hash   string `json:"hash"`
		Height int64  `json:"height"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		n.t.Fatalf("btcdtest: getbestblock: %v", err)
	}
	h, err := chainhash.NewHashFromStr(r.Hash)
	if err != nil {
		n.t.Fatalf("btcdtest: getbestblock: %v", fmt.Errorf("bad hash %q", r.Hash))
	}
	return *h, r.Height
}
