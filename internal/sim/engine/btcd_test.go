package engine

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/btcdtest"
)

// TestBtcdAcceptsChain builds a signed chain across ten halvings, past segwit/taproot activation (432),
// BIP66 (1251) and BIP65 (1351), with every key kind spent and received after activation, writes it to rolling blk files, submits every block
// read back from those files to a real btcd, and checks the node's tip is the engine's. A last block with a
// corrupted taproot signature must be rejected, showing the node really verifies the scripts.
func TestBtcdAcceptsChain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and submits ~1,500 blocks to btcd")
	}
	node := btcdtest.Start(t)
	dir := t.TempDir()
	e, err := New(Config{Seed: 42, OutDir: dir, MaxFileSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	st := driveChain(t, e, segwitHeight+50, 42)
	// Then past BIP66 (strict DER, 1251) and BIP65 (block version 4, 1351) on btcd's regtest, with spends of
	// every kind on both sides of 1351.
	for e.Height() < 1230 {
		if _, _, err := e.MineBlock(e.NewKey(P2PKH), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	late := driveChain(t, e, 200, 43)
	st.txs += late.txs
	for _, k := range AllKinds {
		st.spentAfter[k] += late.spentAfter[k]
		st.receivedAft[k] += late.receivedAft[k]
	}
	if e.Height() < 1400 {
		t.Fatalf("chain ends at %d, before BIP65's 1351 plus margin", e.Height())
	}
	for _, k := range AllKinds {
		if st.spentAfter[k] == 0 || st.receivedAft[k] == 0 {
			t.Errorf("%s: spent %d, received %d times after activation", k, st.spentAfter[k], st.receivedAft[k])
		}
	}
	if st.maxInputs < 40 || st.maxOutputs < 100 || st.childInBlock == 0 || st.opReturns == 0 {
		t.Errorf("chain too simple: %+v", st)
	}
	var goodTip chainhash.Hash
	var goodHeight int64

	// The bad block: a P2TR spend whose Schnorr signature has one bit flipped.
	bad := e.NewKey(P2TR)
	_, cb, err := e.MineBlock(bad, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < CoinbaseMaturity; i++ {
		if _, _, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	goodTip, goodHeight = e.TipHash(), e.Height()
	tx, err := e.BuildTx(TxSpec{Inputs: cb, Outputs: []Output{OutputTo(e.NewKey(P2WPKH), cb[0].Value-1000)}})
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness[0][10] ^= 1
	if err := e.AddTx(tx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	raw, files := readBlkFiles(t, filepath.Join(dir, "blocks"), chaincfg.RegressionNetParams.Net)
	if files < 2 {
		t.Errorf("only %d blk file(s) with a 256 KiB limit", files)
	}
	if int64(len(raw)) != e.Height()+1 {
		t.Fatalf("%d blocks in files, engine height %d", len(raw), e.Height())
	}
	for h := 1; h < len(raw)-1; h++ {
		if err := node.SubmitBlock(raw[h]); err != nil {
			t.Fatalf("btcd rejected block %d: %v", h, err)
		}
	}
	err = node.SubmitBlock(raw[len(raw)-1])
	if err == nil {
		t.Fatal("btcd accepted a block with a corrupted taproot signature")
	}
	t.Logf("corrupted taproot spend rejected as expected: %v", err)

	res, err := node.Call("getbestblockhash")
	if err != nil {
		t.Fatal(err)
	}
	var best string
	json.Unmarshal(res, &best)
	if best != goodTip.String() {
		t.Fatalf("node tip %s, engine tip %s (height %d)", best, goodTip, goodHeight)
	}
	res, err = node.Call("getblockchaininfo")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Blocks    int64 `json:"blocks"`
		SoftForks map[string]struct {
			Status string `json:"status"`
		} `json:"bip9_softforks"`
	}
	if err := json.Unmarshal(res, &info); err != nil {
		t.Fatal(err)
	}
	if info.Blocks != goodHeight {
		t.Fatalf("node height %d, engine height %d", info.Blocks, goodHeight)
	}
	for _, fork := range []string{"segwit", "taproot", "csv"} {
		if st := info.SoftForks[fork].Status; st != "active" {
			t.Errorf("btcd reports %s %q, want active", fork, st)
		}
	}
	t.Logf("btcd accepted %d blocks (%d txs driven, %d blk files); segwit, taproot, csv active", goodHeight, st.txs, files)
}

// TestBtcdSegwitActivation pins down when btcd v0.24.2's regtest starts enforcing witness scripts for blocks
// that signal like ours: a P2WPKH spend with a corrupted signature is accepted in block segwitHeight-1 (the
// witness program is not yet checked) and rejected in block segwitHeight.
func TestBtcdSegwitActivation(t *testing.T) {
	if testing.Short() {
		t.Skip("submits ~430 blocks to btcd")
	}
	node := btcdtest.Start(t)
	e, err := New(Config{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var blocks []*wire.MsgBlock
	mine := func() {
		b, _, err := e.MineBlock(e.NewKey(P2PKH), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	var coins []Coin
	for i := 0; i < 2; i++ {
		b, c, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
		coins = append(coins, c...)
	}
	corrupt := func(c Coin) {
		tx, err := e.BuildTx(TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(e.NewKey(P2WPKH), c.Value-1000)}})
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].Witness[0][8] ^= 1
		if err := e.AddTx(tx); err != nil {
			t.Fatal(err)
		}
	}
	for e.Height() < segwitHeight-2 {
		mine()
	}
	corrupt(coins[0])
	mine() // height segwitHeight-1
	for i, b := range blocks {
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		if err := node.SubmitBlock(buf.Bytes()); err != nil {
			t.Fatalf("block %d rejected: %v", i+1, err)
		}
	}
	corrupt(coins[1])
	mine() // height segwitHeight
	var buf bytes.Buffer
	if err := blocks[len(blocks)-1].Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := node.SubmitBlock(buf.Bytes()); err == nil {
		t.Fatalf("btcd accepted a corrupted P2WPKH signature at height %d", segwitHeight)
	}
}
