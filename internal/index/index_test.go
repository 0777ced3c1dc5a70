package index

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/cockroachdb/pebble"
)

// TestManifestCounts applies every shared block file and compares the
// counts with MANIFEST.md (independent facts counted with btcd's decoder).
func TestManifestCounts(t *testing.T) {
	type want struct{ blocks, txs, ins, outs uint64 }
	tests := []struct {
		name   string
		files  []string
		framed bool
		net    *chaincfg.Params
		start  int64
		want   want
		tip    string
	}{
		{"blk_0_to_14131", []string{"blkfiles/blk_0_to_14131.dat"}, true, &chaincfg.MainNetParams, 0, want{14132, 14247, 14997, 14282},
			"00000000b3e750f37fdb42e1018799a9f44b546d393b130b369590a072430a1c"},
		{"blocks1-256", []string{"blkfiles/blocks1-256.dat"}, true, &chaincfg.MainNetParams, 1, want{255, 262, 262, 267}, ""},
		{"blk_0_to_4", []string{"blkfiles/blk_0_to_4.dat"}, true, &chaincfg.MainNetParams, 0, want{5, 9, 9, 10},
			"000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"},
		{"blk00000+blk00001", []string{"blkfiles/blk00000.dat", "blkfiles/blk00001.dat"}, true, &chaincfg.MainNetParams, 0, want{600, 307 + 309, 307 + 318, 312 + 315}, ""},
		{"blk_277647", []string{"blkfiles/blk_277647.dat"}, true, &chaincfg.MainNetParams, 277647, want{1, 213, 733, 769},
			"0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8"},
		{"169482", []string{"mainnet/169482.block"}, false, &chaincfg.MainNetParams, 169482, want{1, 14, 60, 231},
			"0000000000000756935f1ee9d5987857b604046f846d3df56d024cdb5f368665"},
		{"227835+227836", []string{"mainnet/227835.block", "mainnet/227836.block"}, false, &chaincfg.MainNetParams, 227835, want{2, 222, 454, 417},
			"00000000000000d0dfd4c9d588d325dce4f32c1b31b7c0064cba7025a9b9adcc"},
		{"252860", []string{"mainnet/252860.block"}, false, &chaincfg.MainNetParams, 252860, want{1, 615, 1119, 1401}, ""},
		{"300025", []string{"mainnet/300025.block"}, false, &chaincfg.MainNetParams, 300025, want{1, 461, 1428, 1226}, ""},
		{"363703", []string{"mainnet/363703.block"}, false, &chaincfg.MainNetParams, 363703, want{1, 587, 3043, 1418}, ""},
		{"370661", []string{"mainnet/370661.block"}, false, &chaincfg.MainNetParams, 370661, want{1, 708, 2006, 1823}, ""},
		{"383616", []string{"mainnet/383616.block"}, false, &chaincfg.MainNetParams, 383616, want{1, 1731, 3620, 4307}, ""},
		{"413567", []string{"mainnet/413567.block"}, false, &chaincfg.MainNetParams, 413567, want{1, 1557, 4887, 3581}, ""},
		{"426884", []string{"mainnet/426884.block"}, false, &chaincfg.MainNetParams, 426884, want{1, 409, 6032, 798}, ""},
		{"481815", []string{"mainnet/481815.block"}, false, &chaincfg.MainNetParams, 481815, want{1, 2097, 4699, 4659}, ""},
		{"481829", []string{"mainnet/481829.block"}, false, &chaincfg.MainNetParams, 481829, want{1, 2020, 5247, 5146},
			"000000000000000000917cba69f69b758fe396c8e30ae97bbcf08c4eb975e726"},
		{"482683", []string{"mainnet/482683.block"}, false, &chaincfg.MainNetParams, 482683, want{1, 12, 52, 25}, ""},
		{"testnet 700000", []string{"testnet/700000.block"}, false, &chaincfg.TestNet3Params, 700000, want{1, 0, 0, 0}, ""},
		{"testnet 928848+928849", []string{"testnet/928848.block", "testnet/928849.block"}, false, &chaincfg.TestNet3Params, 928848, want{2, 0, 0, 0}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.want.blocks > 1000 {
				t.Skip("long in -short mode")
			}
			var blocks []*wire.MsgBlock
			for _, f := range tc.files {
				if tc.framed {
					blocks = append(blocks, readFramed(t, f)...)
				} else {
					blocks = append(blocks, readRaw(t, f))
				}
			}
			w := tc.want
			if w.txs == 0 { // MANIFEST gives no counts: take them from wire
				w.txs, w.ins, w.outs = counts(blocks)
			}
			ix := openTest(t, "", tc.net)
			defer ix.Close()
			applyAll(t, ix, blocks, tc.start)
			check := func(stage string) {
				s := ix.Stats()
				if s.Blocks != w.blocks || s.Txs != w.txs || s.Inputs != w.ins || s.Outputs != w.outs {
					t.Fatalf("%s: stats %+v, want blocks %d txs %d inputs %d outputs %d", stage, s, w.blocks, w.txs, w.ins, w.outs)
				}
				if s.Tip == nil || s.Tip.Height != tc.start+int64(w.blocks)-1 {
					t.Fatalf("%s: tip %+v, want height %d", stage, s.Tip, tc.start+int64(w.blocks)-1)
				}
				if tc.tip != "" && s.Tip.Hash != tc.tip {
					t.Fatalf("%s: tip hash %s, want %s", stage, s.Tip.Hash, tc.tip)
				}
			}
			check("buffered")
			rep := verify(t, ix)
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			check("flushed")
			if rep2 := verify(t, ix); rep2.Digest != rep.Digest {
				t.Fatalf("digest changed by Flush: %s → %s", rep.Digest, rep2.Digest)
			}
			// Every input whose spent output is indexed is linked both ways.
			var linked uint64
			for in := uint64(0); in < ix.InputCount(); in++ {
				out, _ := ix.Input(in)
				if out == NoID || out == CoinbaseID {
					continue
				}
				o, ok := ix.Output(out)
				if !ok || o.SpentBy != in {
					t.Fatalf("input %d spends output %d whose spender is %d", in, out, o.SpentBy)
				}
				linked++
			}
			t.Logf("%d blocks, %d txs, %d linked spends, digest %s", w.blocks, w.txs, linked, rep.Digest[:16])
		})
	}
}

// TestChainedFiles: blk00000.dat then blk00001.dat in separate sessions.
func TestChainedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	b0 := readFramed(t, "blkfiles/blk00000.dat")
	b1 := readFramed(t, "blkfiles/blk00001.dat")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, ix, b0, 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir, nil) // the stored network
	defer ix.Close()
	if ix.Network().Net != wire.MainNet {
		t.Fatalf("network %v", ix.Network().Name)
	}
	tip, ok := ix.Tip()
	if !ok || tip.Height != 299 || tip.Hash != b0[299].BlockHash() {
		t.Fatalf("tip after reopen %+v", tip)
	}
	applyAll(t, ix, b1, 300)
	s := ix.Stats()
	if s.Blocks != 600 || s.Txs != 616 || s.Inputs != 625 || s.Outputs != 627 {
		t.Fatalf("stats %+v", s)
	}
	verify(t, ix)
	if h, ok := ix.HeightOf(b1[10].BlockHash()); !ok || h != 310 {
		t.Fatalf("HeightOf = %d %v", h, ok)
	}
	if base, parent, ok := ix.Base(); !ok || base != 0 || parent != (chainhash.Hash{}) {
		t.Fatalf("Base = %d %s %v", base, parent, ok)
	}
	w, ok := ix.WorkAt(599)
	if !ok || w.Cmp(tip.Work) <= 0 {
		t.Fatalf("work at 599 %v not above work at 299 %v", w, tip.Work)
	}
}

func TestNetworkMismatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	ix.Close()
	if _, err := Open(dir, Options{Network: &chaincfg.TestNet3Params}); err == nil || !strings.Contains(err.Error(), "mainnet") {
		t.Fatalf("reopen with testnet: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "new"), Options{}); err == nil {
		t.Fatal("creating without a network succeeded")
	}
}

// TestReorg follows MANIFEST's fork: blk_0_to_4, undo 4 and 3, apply 3A, 4A, 5A.
func TestReorg(t *testing.T) {
	main := readFramed(t, "blkfiles/blk_0_to_4.dat")
	fork := []*wire.MsgBlock{readFramed(t, "blkfiles/blk_3A.dat")[0], readFramed(t, "blkfiles/blk_4A.dat")[0], readFramed(t, "blkfiles/blk_5A.dat")[0]}
	for _, flush := range []bool{false, true} {
		ix := openTest(t, "", &chaincfg.MainNetParams)
		applyAll(t, ix, main, 0)
		if flush {
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		// 3A does not extend the tip.
		if err := ix.Apply(fork[0], 3); err == nil || !strings.Contains(err.Error(), fork[0].BlockHash().String()) {
			t.Fatalf("apply 3A on tip 4: %v", err)
		}
		for range 2 {
			if err := ix.Undo(); err != nil {
				t.Fatal(err)
			}
		}
		if tip, _ := ix.Tip(); tip.Height != 2 || !strings.HasPrefix(tip.Hash.String(), "00000000952ccb1bf9b7") {
			t.Fatalf("tip after 2 undos: %d %s", tip.Height, tip.Hash)
		}
		if _, ok := ix.HeightOf(main[4].BlockHash()); ok {
			t.Fatal("undone block 4 still found by hash")
		}
		if _, err := ix.Tx(main[4].Transactions[0].TxHash()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("undone tx: %v", err)
		}
		applyAll(t, ix, fork, 3)
		s := ix.Stats()
		if s.Blocks != 6 || s.Txs != 10 || s.Inputs != 10 || s.Outputs != 11 || s.Tip.Hash != "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e" {
			t.Fatalf("flush=%v: stats %+v tip %+v", flush, s, s.Tip)
		}
		verify(t, ix)
		ix.Close()
	}
}

// TestFees checks fees against sums computed here from wire data, null fees
// for txs whose spent outputs are outside the index, and spend links in the
// views (blocks 227835 → 227836 are consecutive).
func TestFees(t *testing.T) {
	b0, b1 := readRaw(t, "mainnet/227835.block"), readRaw(t, "mainnet/227836.block")
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, []*wire.MsgBlock{b0, b1}, 227835)
	inB0 := map[chainhash.Hash]*wire.MsgTx{}
	for _, tx := range b0.Transactions {
		inB0[tx.TxHash()] = tx
	}
	inB1 := map[chainhash.Hash]*wire.MsgTx{}
	for _, tx := range b1.Transactions {
		inB1[tx.TxHash()] = tx
	}
	var checked, nulls int
	for i, tx := range b1.Transactions[1:] {
		var in, out int64
		allKnown := true
		for _, ti := range tx.TxIn {
			src, ok := inB0[ti.PreviousOutPoint.Hash]
			if !ok {
				src, ok = inB1[ti.PreviousOutPoint.Hash] // an earlier tx of the same block
			}
			if !ok {
				allKnown = false
				continue
			}
			in += src.TxOut[ti.PreviousOutPoint.Index].Value
		}
		for _, to := range tx.TxOut {
			out += to.Value
		}
		v, err := ix.Tx(tx.TxHash())
		if err != nil {
			t.Fatal(err)
		}
		if allKnown {
			if v.Fee == nil || *v.Fee != in-out {
				t.Fatalf("tx %d %s: fee %v, want %d", i+1, tx.TxHash(), v.Fee, in-out)
			}
			checked++
		} else {
			if v.Fee != nil {
				t.Fatalf("tx %s: fee %d with unknown spent outputs", tx.TxHash(), *v.Fee)
			}
			nulls++
		}
		// Input views: spent outputs from b0 have value and address, others null.
		for j, ti := range tx.TxIn {
			iv := v.Inputs[j]
			if iv.PrevTxid != ti.PreviousOutPoint.Hash.String() || iv.PrevVout != ti.PreviousOutPoint.Index {
				t.Fatalf("tx %s input %d: outpoint %s:%d", tx.TxHash(), j, iv.PrevTxid, iv.PrevVout)
			}
			src, known := inB0[ti.PreviousOutPoint.Hash]
			if !known {
				src, known = inB1[ti.PreviousOutPoint.Hash]
			}
			if known != (iv.Value != nil) {
				t.Fatalf("tx %s input %d: value %v, spent output known %v", tx.TxHash(), j, iv.Value, known)
			}
			if known {
				if *iv.Value != src.TxOut[ti.PreviousOutPoint.Index].Value {
					t.Fatalf("input value %d", *iv.Value)
				}
				// The spent output names this input.
				sv, err := ix.Tx(ti.PreviousOutPoint.Hash)
				if err != nil {
					t.Fatal(err)
				}
				sb := sv.Outputs[ti.PreviousOutPoint.Index].SpentBy
				if sb == nil || sb.Txid != tx.TxHash().String() || sb.Vin != uint32(j) {
					t.Fatalf("spent_by of %s: %+v, want %s:%d", ti.PreviousOutPoint, sb, tx.TxHash(), j)
				}
			}
		}
	}
	if checked == 0 || nulls == 0 {
		t.Fatalf("checked %d known fees and %d null ones: the test data should give both", checked, nulls)
	}
	// Block fees: 227835's spent outputs are all outside the index.
	bv, err := ix.BlockByHeight(227835)
	if err != nil {
		t.Fatal(err)
	}
	if bv.Fees != nil || bv.TxCount != 122 || bv.Hash != b0.BlockHash().String() || len(bv.Txids) != 122 {
		t.Fatalf("block view %+v", bv)
	}
	var size int
	for _, tx := range b0.Transactions {
		size += tx.SerializeSize()
	}
	if bv.Size != b0.SerializeSize() {
		t.Fatalf("block size %d, want %d", bv.Size, b0.SerializeSize())
	}
	// A coinbase tx view.
	cb, err := ix.Tx(b1.Transactions[0].TxHash())
	if err != nil {
		t.Fatal(err)
	}
	if !cb.Inputs[0].Coinbase || cb.Inputs[0].PrevVout != 4294967295 || cb.BlockHeight != 227836 {
		t.Fatalf("coinbase view %+v", cb.Inputs[0])
	}
	js, _ := json.Marshal(cb)
	if !strings.Contains(string(js), `"coinbase":true`) || !strings.Contains(string(js), `"spent_by":null`) {
		t.Fatalf("coinbase JSON %s", js)
	}
	t.Logf("%d fees checked, %d null", checked, nulls)
}

// TestAddresses compares address views with totals computed here from wire
// data using btcd's txscript to extract addresses.
func TestAddresses(t *testing.T) {
	b0, b1 := readRaw(t, "mainnet/227835.block"), readRaw(t, "mainnet/227836.block")
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, []*wire.MsgBlock{b0}, 227835)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	applyAll(t, ix, []*wire.MsgBlock{b1}, 227836) // half committed, half buffered
	type tot struct {
		recv, sent int64
		txs        map[chainhash.Hash]bool
	}
	want := map[string]*tot{}
	get := func(a string) *tot {
		if want[a] == nil {
			want[a] = &tot{txs: map[chainhash.Hash]bool{}}
		}
		return want[a]
	}
	outs := map[wire.OutPoint]*wire.TxOut{}
	for _, blk := range []*wire.MsgBlock{b0, b1} {
		for _, tx := range blk.Transactions {
			h := tx.TxHash()
			for _, ti := range tx.TxIn {
				if o, ok := outs[ti.PreviousOutPoint]; ok {
					_, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.MainNetParams)
					if len(addrs) == 1 {
						a := get(addrs[0].EncodeAddress())
						a.sent += o.Value
						a.txs[h] = true
					}
				}
			}
			for i, o := range tx.TxOut {
				outs[wire.OutPoint{Hash: h, Index: uint32(i)}] = o
				class, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.MainNetParams)
				if len(addrs) == 1 && (class == txscript.PubKeyHashTy || class == txscript.ScriptHashTy) {
					a := get(addrs[0].EncodeAddress())
					a.recv += o.Value
					a.txs[h] = true
				}
			}
		}
	}
	var withSent int
	for addr, w := range want {
		if w.recv == 0 {
			continue // only a P2PK spend: skip
		}
		v, err := ix.Address(addr, 0, 1000)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if v.Received != w.recv || v.Sent != w.sent || v.TxCount != len(w.txs) || v.Balance != w.recv-w.sent || v.Address != addr {
			t.Fatalf("%s: view %+v, want received %d sent %d txs %d", addr, v, w.recv, w.sent, len(w.txs))
		}
		for _, at := range v.Txs {
			h, _ := chainhash.NewHashFromStr(at.Txid)
			if !w.txs[*h] {
				t.Fatalf("%s: unexpected tx %s", addr, at.Txid)
			}
		}
		if w.sent > 0 {
			withSent++
		}
	}
	if withSent == 0 {
		t.Fatal("no address with sends in the test data")
	}
	if _, err := ix.Address("1BitcoinEaterAddressDontSendf59kuE", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown address: %v", err)
	}
	if _, err := ix.Address("not-an-address", 0, 10); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("malformed address: %v", err)
	}
	t.Logf("%d addresses checked, %d with sends", len(want), withSent)
}

// TestBadInput: blocks that do not connect, spend missing outputs or spend
// twice are refused and leave the index unchanged.
func TestBadInput(t *testing.T) {
	main := readFramed(t, "blkfiles/blk_0_to_4.dat")
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, main[:3], 0)
	before := verify(t, ix)
	cb := main[1].Transactions[0].TxHash()

	badVout := *main[3]
	badVout.Transactions = append(append([]*wire.MsgTx(nil), main[3].Transactions...), spendTx(cb, 7))
	double := *main[3]
	double.Transactions = append(append([]*wire.MsgTx(nil), main[3].Transactions...), spendTx(cb, 0), spendTx(cb, 0))
	for _, tc := range []struct {
		name   string
		blk    *wire.MsgBlock
		height int64
		want   string
	}{
		{"wrong height", main[3], 5, "does not extend"},
		{"wrong parent", main[4], 3, "does not extend"},
		{"vout out of range", &badVout, 3, "has 1 outputs"},
		{"double spend", &double, 3, "already spent"},
		{"empty", &wire.MsgBlock{Header: main[3].Header}, 3, "no transactions"},
	} {
		err := ix.Apply(tc.blk, tc.height)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if after := verify(t, ix); after.Digest != before.Digest {
			t.Fatalf("%s: the failed Apply changed the index", tc.name)
		}
	}
	applyAll(t, ix, main[3:], 3)
	verify(t, ix)
}

func spendTx(h chainhash.Hash, vout uint32) *wire.MsgTx {
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h, vout), []byte{0x51}, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	return tx
}

func TestVerifyCancel(t *testing.T) {
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, readFramed(t, "blkfiles/blk00000.dat"), 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled verify: %v", err)
	}
}

// TestOldFormatRefused: an index whose checkpoint carries another format
// version is refused on Open with a message that says to re-ingest.
func TestOldFormatRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.RegressionNetParams)
	old := ix.cp.encode()[:4+10*8] // a v2 record: ten counters
	old[0] = 2
	if err := ix.db.Set([]byte{kCheckpoint}, old, nil); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "index format v2, this build reads v6") || !strings.Contains(err.Error(), "re-ingest into a new --data folder") {
		t.Fatalf("Open of a v2 index: %v", err)
	}
	// A v5 index (txids and addresses in Pebble) likewise.
	db, err := pebble.Open(filepath.Join(dir, "kv"), &pebble.Options{Merger: summaryMerger, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	v5 := checkpoint{Epoch: 1}.encode()
	v5[0] = 5
	if err := db.Set([]byte{kCheckpoint}, v5, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, ro := range []bool{false, true} {
		_, err = Open(dir, Options{ReadOnly: ro})
		if err == nil || !strings.Contains(err.Error(), "index format v5, this build reads v6 (v6 moved the txid and address maps") || !strings.Contains(err.Error(), "re-ingest") {
			t.Fatalf("Open of a v5 index (read-only %v): %v", ro, err)
		}
	}
	// A v3 index (no P2PK aliases) likewise, for writing and for reading.
	ix, err = Open(dir, Options{ReadOnly: true})
	if err == nil {
		ix.Close()
		t.Fatal("read-only Open of a v2 index succeeded")
	}
}
