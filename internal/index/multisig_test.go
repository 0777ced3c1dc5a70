package index

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// synthBlock builds a block on parent holding txs after a fresh coinbase.
// The index does not check proof of work or merkle roots, so synthetic
// blocks are enough to exercise script forms the shared data lacks.
func synthBlock(parent chainhash.Hash, tag byte, cbOuts []*wire.TxOut, txs ...*wire.MsgTx) *wire.MsgBlock {
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), []byte{tag, 0x51}, nil))
	for _, o := range cbOuts {
		cb.AddTxOut(o)
	}
	blk := wire.NewMsgBlock(wire.NewBlockHeader(1, &parent, &chainhash.Hash{}, 0x1d00ffff, uint32(tag)))
	blk.Header.Timestamp = time.Unix(1231006505+int64(tag)*600, 0)
	blk.AddTransaction(cb)
	for _, tx := range txs {
		blk.AddTransaction(tx)
	}
	return blk
}

func TestBareMultisig(t *testing.T) {
	main := readFramed(t, "blkfiles/blk_0_to_4.dat")
	k1 := append([]byte{0x02}, bytes.Repeat([]byte{0x11}, 32)...)
	k2 := append([]byte{0x03}, bytes.Repeat([]byte{0x22}, 32)...)
	ms, err := txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(k1).AddData(k2).AddOp(txscript.OP_2).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		t.Fatal(err)
	}
	opret := []byte{txscript.OP_RETURN, 0x04, 'c', 'h', 't', 'r'}
	b5 := synthBlock(main[4].BlockHash(), 5, []*wire.TxOut{wire.NewTxOut(30_0000_0000, ms), wire.NewTxOut(0, opret), wire.NewTxOut(20_0000_0000, ms)})
	cb5 := b5.Transactions[0].TxHash()
	spend := wire.NewMsgTx(1)
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&cb5, 0), []byte{0x00}, nil))
	p2pkh, _ := hex.DecodeString("76a914" + strings.Repeat("33", 20) + "88ac")
	spend.AddTxOut(wire.NewTxOut(29_9999_0000, p2pkh))
	b6 := synthBlock(b5.BlockHash(), 6, []*wire.TxOut{wire.NewTxOut(50_0001_0000, p2pkh)}, spend)

	for _, flush := range []bool{false, true} {
		ix := openTest(t, "", &chaincfg.MainNetParams)
		applyAll(t, ix, main, 0)
		applyAll(t, ix, []*wire.MsgBlock{b5}, 5)
		if flush {
			ix.Flush()
		}
		applyAll(t, ix, []*wire.MsgBlock{b6}, 6)
		if flush {
			ix.Flush()
		}
		v, err := ix.Tx(cb5)
		if err != nil {
			t.Fatal(err)
		}
		o := v.Outputs[0]
		if o.ScriptType != "multisig" || o.Address == nil || *o.Address != hex.EncodeToString(k1) ||
			len(o.Addresses) != 2 || o.Addresses[1] != hex.EncodeToString(k2) {
			t.Fatalf("multisig output view %+v", o)
		}
		if o.SpentBy == nil || o.SpentBy.Txid != spend.TxHash().String() || o.SpentBy.Vin != 0 {
			t.Fatalf("spent_by %+v", o.SpentBy)
		}
		if r := v.Outputs[1]; r.ScriptType != "op_return" || r.Address != nil || r.Addresses != nil {
			t.Fatalf("op_return output view %+v", r)
		}
		sv, err := ix.Tx(spend.TxHash())
		if err != nil {
			t.Fatal(err)
		}
		if sv.Fee == nil || *sv.Fee != 10000 || *sv.Inputs[0].Address != hex.EncodeToString(k1) || *sv.Inputs[0].Value != 30_0000_0000 {
			t.Fatalf("spend view fee %v input %+v", sv.Fee, sv.Inputs[0])
		}
		// The second key finds both txs.
		av, err := ix.Address(hex.EncodeToString(k2), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if av.TxCount != 2 || av.Received != 50_0000_0000 || av.Sent != 30_0000_0000 || av.Balance != 20_0000_0000 ||
			av.FirstSeenHeight != 5 || av.LastSeenHeight != 6 || av.Type != "p2pk" {
			t.Fatalf("address view %+v", av)
		}
		// Paging.
		if p, _ := ix.Address(hex.EncodeToString(k2), 1, 1); len(p.Txs) != 1 || p.Txs[0].Txid != spend.TxHash().String() || p.TxCount != 2 {
			t.Fatalf("page 2: %+v", p)
		}
		verify(t, ix)
		for range 2 {
			if err := ix.Undo(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ix.Address(hex.EncodeToString(k2), 0, 10); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after undo: %v", err)
		}
		verify(t, ix)
		ix.Close()
	}
}

// TestVerifyDetects damages a flushed index and expects Verify to notice.
func TestVerifyDetects(t *testing.T) {
	blocks := readFramed(t, "blkfiles/blk_0_to_4.dat")
	for _, tc := range []struct {
		name   string
		damage func(ix *Index) error
		want   string
	}{
		{"spend link", func(ix *Index) error {
			var v [5]byte
			putU40(v[:], 0) // claim output 1 is spent by input 0 (a coinbase input)
			return ix.outSpent.WriteAt(1, v[:])
		}, "does not spend it"},
		{"posting", func(ix *Index) error {
			// Address #1's list loses its head: its newest output.
			var v [5]byte
			putU40(v[:], getU40(ix.addrLink.Rec(ix.addrHead.u40(1))[idWidth:]))
			return ix.addrHead.WriteAt(1, v[:])
		}, "postings"},
		{"link", func(ix *Index) error {
			// The first link names another output.
			var v [5]byte
			putU40(v[:], getU40(ix.addrLink.Rec(0))+1)
			return ix.addrLink.WriteAt(0, v[:])
		}, "address lists"},
		{"txid", func(ix *Index) error {
			// Point tx 3's slot at tx 2: the confirmation fails, tx 3 is lost.
			for i, s := range ix.txMap.slots {
				if s != 0 && s&htValMask == 3 {
					ix.txMap.slots[i] = s&^htValMask | 2
					return nil
				}
			}
			return errors.New("no slot holds tx 3")
		}, "txid"},
		{"address", func(ix *Index) error {
			for i, s := range ix.addrMap.slots {
				if s != 0 && s&htValMask == 1 {
					ix.addrMap.slots[i] = 0
					return nil
				}
			}
			return errors.New("no slot holds address 1")
		}, "address #1"},
		{"value", func(ix *Index) error {
			var v [8]byte
			v[0] = 1
			return ix.outValue.WriteAt(2, v[:])
		}, "digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := openTest(t, "", &chaincfg.MainNetParams)
			defer ix.Close()
			applyAll(t, ix, blocks, 0)
			ix.Flush()
			before := verify(t, ix)
			if err := tc.damage(ix); err != nil {
				t.Fatal(err)
			}
			rep, err := ix.Verify(context.Background())
			if tc.want == "digest" {
				if err == nil && rep.Digest == before.Digest {
					t.Fatal("a changed output value left the digest unchanged")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify after damaging the %s: %v", tc.name, err)
			}
		})
	}
}

// TestConcurrentReads runs queries while blocks are applied (run with -race).
func TestConcurrentReads(t *testing.T) {
	blocks := readFramed(t, "blkfiles/blk00000.dat")
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			s := ix.Stats()
			if s.Tip != nil {
				// The tip may have been undone meanwhile.
				if _, err := ix.BlockByHeight(s.Tip.Height); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
					return
				}
			}
			if _, err := ix.Tx(blocks[0].Transactions[0].TxHash()); err != nil && s.Blocks > 0 {
				t.Error(err)
				return
			}
		}
	}()
	for i, b := range blocks {
		if err := ix.Apply(b, int64(i)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			ix.Flush()
		}
		if i%70 == 69 {
			ix.Undo()
			ix.Apply(b, int64(i))
		}
	}
	close(done)
	wg.Wait()
	verify(t, ix)
}

// TestMapGrowthDuringApply: spends resolved before a block's apply stay
// right when its first new txid makes the txid map double.
func TestMapGrowthDuringApply(t *testing.T) {
	main := readFramed(t, "blkfiles/blk_0_to_4.dat")
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, main, 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	// Two txs with an unspent output 0, and a third tx.
	var unspent []chainhash.Hash
	for t := uint64(0); t < ix.TxCount(); t++ {
		r, _ := ix.TxRange(t)
		if o, _ := ix.Output(r.OutStart); o.SpentBy == NoID && o.Value > 0 {
			h, _ := ix.TxHash(t)
			unspent = append(unspent, h)
		}
	}
	if len(unspent) < 3 {
		t.Fatalf("only %d txs with an unspent first output", len(unspent))
	}
	x, y, z := unspent[0], unspent[1], unspent[2]
	xn, _ := ix.TxNumOf(x)
	zn, _ := ix.TxNumOf(z)
	xo, _ := ix.TxRange(xn)
	yn, _ := ix.TxNumOf(y)
	yo, _ := ix.TxRange(yn)
	xv, _ := ix.Output(xo.OutStart)
	yv, _ := ix.Output(yo.OutStart)
	_ = zn
	gen := ix.txMap.gen
	ix.txMap.limit = ix.txMap.count // the block's first txid grows the map
	spend := wire.NewMsgTx(1)
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&x, 0), []byte{0x51}, nil))
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&y, 0), []byte{0x51}, nil))
	spend.AddTxOut(wire.NewTxOut(xv.Value+yv.Value-1_0000_0000, []byte{0x51}))
	b5 := synthBlock(main[4].BlockHash(), 5, []*wire.TxOut{wire.NewTxOut(50_0000_0000, []byte{0x51})}, spend)
	if err := ix.Apply(b5, 5); err != nil {
		t.Fatal(err)
	}
	v, err := ix.Tx(spend.TxHash())
	if err != nil {
		t.Fatal(err)
	}
	if v.Fee == nil || *v.Fee != 1_0000_0000 {
		t.Fatalf("fee %v, want 100000000 (both spent outputs indexed)", v.Fee)
	}
	if ix.txMap.gen != gen+1 {
		t.Fatalf("map generation %d, want %d: it did not grow during the apply", ix.txMap.gen, gen+1)
	}
	verify(t, ix)
}

// TestMapLostPages: a crash that loses every unsynced page of the txid and
// address maps (power loss) is repaired on Open from the columns.
func TestMapLostPages(t *testing.T) {
	blocks := readFramed(t, "blkfiles/blk00000.dat")
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, ix, blocks, 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	if ix.cp.MapTxs != 0 {
		t.Fatalf("the maps were synced (coverage %d): the test needs them unsynced", ix.cp.MapTxs)
	}
	// The pages never reached the disk.
	clear(ix.txMap.slots)
	clear(ix.addrMap.slots)
	ix.applyErr = errCrash
	ix.Close() // as a crash: coverage not recorded
	// A reader opened before the writer repairs the maps finds everything
	// through the columns' tail.
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, ro)
	ro.Close()
	ix = openTest(t, dir, nil)
	verify(t, ix) // checks every txid and address is found in the maps
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// A clean close records full coverage.
	ix = openTest(t, dir, nil)
	defer ix.Close()
	if ix.cp.MapTxs != ix.cp.Txs || ix.cp.MapAddrs != ix.cp.Addrs {
		t.Fatalf("coverage %d/%d after a clean close, want %d/%d", ix.cp.MapTxs, ix.cp.MapAddrs, ix.cp.Txs, ix.cp.Addrs)
	}
	verify(t, ix)
}

// TestDuplicateTxid follows BIP30's history (blocks 91842 and 91880 repeat
// earlier coinbase txids): the txid maps to the newer tx, and undoing the
// newer block maps it back to the older one, buffered or committed.
func TestDuplicateTxid(t *testing.T) {
	main := readFramed(t, "blkfiles/blk_0_to_4.dat")
	p2pkh, _ := hex.DecodeString("76a914" + strings.Repeat("44", 20) + "88ac")
	b5 := synthBlock(main[4].BlockHash(), 7, []*wire.TxOut{wire.NewTxOut(50_0000_0000, p2pkh)})
	b6 := synthBlock(b5.BlockHash(), 7, []*wire.TxOut{wire.NewTxOut(50_0000_0000, p2pkh)}) // same coinbase
	b6.Header.Nonce = 99
	dup := b5.Transactions[0].TxHash()
	if b6.Transactions[0].TxHash() != dup || b6.BlockHash() == b5.BlockHash() {
		t.Fatal("test blocks are not as intended")
	}
	for _, flushes := range [][2]bool{{false, false}, {true, false}, {true, true}} {
		ix := openTest(t, "", &chaincfg.MainNetParams)
		applyAll(t, ix, main, 0)
		applyAll(t, ix, []*wire.MsgBlock{b5}, 5)
		if flushes[0] {
			ix.Flush()
		}
		applyAll(t, ix, []*wire.MsgBlock{b6}, 6)
		if flushes[1] {
			ix.Flush()
		}
		if v, err := ix.Tx(dup); err != nil || v.BlockHeight != 6 {
			t.Fatalf("%v: duplicate txid resolves to %+v, %v; want height 6", flushes, v, err)
		}
		verify(t, ix)
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
		if v, err := ix.Tx(dup); err != nil || v.BlockHeight != 5 {
			t.Fatalf("%v: after undo the txid resolves to %+v, %v; want height 5", flushes, v, err)
		}
		verify(t, ix)
		ix.Close()
	}
}

// TestGraphView walks the graph API over two consecutive blocks and checks
// it against the wire data.
func TestGraphView(t *testing.T) {
	blocks := []*wire.MsgBlock{readRaw(t, "mainnet/227835.block"), readRaw(t, "mainnet/227836.block")}
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks[:1], 227835)
	ix.Flush()
	applyAll(t, ix, blocks[1:], 227836)
	err := ix.View(func(g Graph) error {
		tn := uint64(0)
		for bi, blk := range blocks {
			for _, tx := range blk.Transactions {
				if g.TxHash(tn) != tx.TxHash() || g.TxHeight(tn) != 227835+int64(bi) {
					t.Fatalf("tx %d: %s at %d", tn, g.TxHash(tn), g.TxHeight(tn))
				}
				if got, ok := g.TxNumOf(tx.TxHash()); !ok || got != tn {
					t.Fatalf("TxNumOf %s = %d %v", tx.TxHash(), got, ok)
				}
				r := g.TxRange(tn)
				if r.InEnd-r.InStart != uint64(len(tx.TxIn)) || r.OutEnd-r.OutStart != uint64(len(tx.TxOut)) {
					t.Fatalf("tx %d range %+v", tn, r)
				}
				if size, weight, version, lt := g.TxInfo(tn); size != tx.SerializeSize() || weight != 3*tx.SerializeSizeStripped()+tx.SerializeSize() || version != tx.Version || lt != tx.LockTime {
					t.Fatalf("tx %d info %d %d %d %d", tn, size, weight, version, lt)
				}
				for j, o := range tx.TxOut {
					out := g.Output(r.OutStart + uint64(j))
					if out.Value != o.Value || g.TxOfOutput(r.OutStart+uint64(j)) != tn {
						t.Fatalf("output %d:%d value %d", tn, j, out.Value)
					}
					if out.SpentBy != NoID && g.Input(out.SpentBy) != r.OutStart+uint64(j) {
						t.Fatalf("output %d:%d spent by %d, which spends %d", tn, j, out.SpentBy, g.Input(out.SpentBy))
					}
				}
				for i := r.InStart; i < r.InEnd; i++ {
					if g.TxOfInput(i) != tn {
						t.Fatalf("input %d in tx %d", i, g.TxOfInput(i))
					}
				}
				tn++
			}
		}
		if tn != g.TxCount() {
			t.Fatalf("%d txs, graph %d", tn, g.TxCount())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenDamaged: a column file shorter than the checkpoint says, or a
// garbage spend journal, gives a clear error or is ignored — never a crash.
func TestOpenDamaged(t *testing.T) {
	blocks := readFramed(t, "blkfiles/blk_0_to_4.dat")
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, ix, blocks, 0)
	ix.Flush()
	want := verify(t, ix).Digest
	ix.Close()

	// A torn journal (bad checksum) is ignored.
	if err := os.WriteFile(filepath.Join(dir, journalName), []byte("garbage that is not a journal at all, 40+ bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir, nil)
	if got := verify(t, ix).Digest; got != want {
		t.Fatal("a garbage journal changed the index")
	}
	ix.Close()

	// A lost txid map and a damaged address map are rebuilt.
	if err := os.Remove(filepath.Join(dir, txMapName)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, addrMapName), []byte("not a table"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir, nil)
	if got := verify(t, ix).Digest; got != want {
		t.Fatal("rebuilt maps changed the digest")
	}
	ix.Close()

	// A column shorter than committed is reported with its name.
	if err := os.Truncate(filepath.Join(dir, "tx_hash.col"), 32*3); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "tx_hash") || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("open with a short column: %v", err)
	}
}
