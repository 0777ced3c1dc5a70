package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// One signed lazarus run shared by the consistency tests (and a second one
// for determinism).
var (
	lazOnce sync.Once
	lazDir  string
	lazHdr  *Header
	lazErr  string
	lazTmp  string
)

func lazarus(t *testing.T) (string, *Header) {
	t.Helper()
	lazOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "simtest")
		if err != nil {
			lazErr = err.Error()
			return
		}
		lazTmp = tmp
		lazDir = filepath.Join(tmp, "a")
		h, err := runTo(lazDir, ScenarioLazarus, 7, false)
		if err != nil {
			lazErr = err.Error()
			return
		}
		lazHdr = h
	})
	if lazErr != "" {
		t.Fatal(lazErr)
	}
	return lazDir, lazHdr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if lazTmp != "" {
		os.RemoveAll(lazTmp)
	}
	os.Exit(code)
}

// chainView is the chain decoded from the block files, independently of the
// simulator's bookkeeping.
type chainView struct {
	blocks []rawBlock
	txs    map[chainhash.Hash]*wire.MsgTx
	height map[chainhash.Hash]int64
	prev   map[wire.OutPoint]*wire.TxOut // every output ever created
}

func decodeChain(t *testing.T, dir string) *chainView {
	cv := &chainView{blocks: readBlocks(t, dir), txs: map[chainhash.Hash]*wire.MsgTx{},
		height: map[chainhash.Hash]int64{}, prev: map[wire.OutPoint]*wire.TxOut{}}
	for h, b := range cv.blocks {
		for _, tx := range b.block.Transactions {
			id := tx.TxHash()
			cv.txs[id] = tx
			cv.height[id] = int64(h)
			for i, o := range tx.TxOut {
				cv.prev[wire.OutPoint{Hash: id, Index: uint32(i)}] = o
			}
		}
	}
	return cv
}

// TestTruthMatchesBlocks checks the truth against the decoded blocks: the
// same transactions in the same blocks, values, fees, subsidies and
// conservation of value.
func TestTruthMatchesBlocks(t *testing.T) {
	dir, hdr := lazarus(t)
	cv := decodeChain(t, dir)
	recs := readRecords(t, dir)

	if len(cv.blocks) != hdr.Blocks+1 {
		t.Fatalf("%d blocks in files, header says %d (+ genesis)", len(cv.blocks), hdr.Blocks)
	}
	// Header chain: prev links and tip.
	for i := 1; i < len(cv.blocks); i++ {
		if cv.blocks[i].block.Header.PrevBlock != cv.blocks[i-1].block.BlockHash() {
			t.Fatalf("block %d does not link to block %d", i, i-1)
		}
	}
	if tip := cv.blocks[len(cv.blocks)-1].block.BlockHash().String(); tip != hdr.TipHash || int(hdr.TipHeight) != len(cv.blocks)-1 {
		t.Fatalf("tip %s@%d in files, header %s@%d", tip, len(cv.blocks)-1, hdr.TipHash, hdr.TipHeight)
	}

	seen := map[chainhash.Hash]bool{}
	var height int32
	var blockFees int64
	var coinbase *Record
	checkBlock := func() {
		if coinbase == nil {
			return
		}
		want := blockchain.CalcBlockSubsidy(height, &chaincfg.RegressionNetParams)
		if coinbase.Subsidy != want {
			t.Errorf("block %d: truth subsidy %d, consensus %d", height, coinbase.Subsidy, want)
		}
		var out int64
		for _, v := range coinbase.Out {
			out += v
		}
		if out != want+blockFees {
			t.Errorf("block %d: coinbase pays %d, subsidy %d + fees %d", height, out, want, blockFees)
		}
	}
	nTx := 0
	for _, r := range recs {
		switch r.Type {
		case "block":
			checkBlock()
			height, blockFees, coinbase = r.Height, 0, nil
			b := cv.blocks[r.Height].block
			if b.BlockHash().String() != r.Hash || len(b.Transactions) != r.NTx || b.Header.Timestamp.Unix() != r.Time {
				t.Fatalf("block record %d does not match the block file", r.Height)
			}
		case "tx":
			nTx++
			id, err := chainhash.NewHashFromStr(r.Txid)
			if err != nil {
				t.Fatal(err)
			}
			tx := cv.txs[*id]
			if tx == nil {
				t.Fatalf("truth tx %s (%s) is not in the blocks", r.Txid, r.Kind)
			}
			if cv.height[*id] != int64(r.Height) || r.Height != height {
				t.Fatalf("tx %s at height %d in blocks, %d in truth", r.Txid, cv.height[*id], r.Height)
			}
			seen[*id] = true
			if len(tx.TxOut) != len(r.Out) {
				t.Fatalf("tx %s: %d outputs, truth %d", r.Txid, len(tx.TxOut), len(r.Out))
			}
			var out int64
			for i, o := range tx.TxOut {
				if o.Value != r.Out[i] {
					t.Fatalf("tx %s output %d: %d sat, truth %d", r.Txid, i, o.Value, r.Out[i])
				}
				out += o.Value
			}
			if r.Kind == "coinbase" {
				if !blockchain.IsCoinBaseTx(tx) {
					t.Fatalf("tx %s is not a coinbase", r.Txid)
				}
				coinbase = r
				continue
			}
			var in int64
			for _, ti := range tx.TxIn {
				p := cv.prev[ti.PreviousOutPoint]
				if p == nil {
					t.Fatalf("tx %s spends unknown %v", r.Txid, ti.PreviousOutPoint)
				}
				in += p.Value
			}
			if in != r.InValue || len(tx.TxIn) != r.NIn {
				t.Fatalf("tx %s: inputs %d sat (%d), truth %d sat (%d)", r.Txid, in, len(tx.TxIn), r.InValue, r.NIn)
			}
			if in-out != r.Fee || r.Fee < 0 {
				t.Fatalf("tx %s: fee %d from blocks, truth %d", r.Txid, in-out, r.Fee)
			}
			if r.InValue != out+r.Fee {
				t.Fatalf("tx %s: truth breaks conservation: %d ≠ %d + %d", r.Txid, r.InValue, out, r.Fee)
			}
			blockFees += r.Fee
		}
	}
	checkBlock()
	if nTx != len(cv.txs)-1 || int64(nTx) != hdr.Txs {
		t.Fatalf("truth has %d txs, blocks %d (genesis included), header %d", nTx, len(cv.txs), hdr.Txs)
	}
	missing := 0
	for id := range cv.txs {
		if !seen[id] && cv.height[id] != 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d block txs have no truth record", missing)
	}
}

// TestLootConservation follows the thief's bookkeeping through every tx:
// an input's loot is the loot recorded on the output it spends; loot is
// conserved; it only appears in the theft and in mixer payouts; a mixer
// payout never pays more than the deposit minus its fee.
func TestLootConservation(t *testing.T) {
	dir, hdr := lazarus(t)
	cv := decodeChain(t, dir)
	recs := readRecords(t, dir)
	if hdr.Theft == nil || hdr.Theft.Amount <= 0 {
		t.Fatal("lazarus run has no theft")
	}
	loot := map[wire.OutPoint]int64{}
	var stolen, custodyIn, custodyOut, feeLoot, final int64
	kinds := map[string]int{}
	for _, r := range recs {
		if r.Type != "tx" {
			continue
		}
		id, _ := chainhash.NewHashFromStr(r.Txid)
		tx := cv.txs[*id]
		var in int64
		if r.Kind != "coinbase" {
			for _, ti := range tx.TxIn {
				in += loot[ti.PreviousOutPoint]
				delete(loot, ti.PreviousOutPoint)
			}
		}
		l := r.Loot
		if l == nil {
			if in != 0 {
				t.Fatalf("tx %s (%s) spends %d sat of loot but records none", r.Txid, r.Kind, in)
			}
			continue
		}
		kinds[r.Kind]++
		if l.In != in {
			t.Fatalf("tx %s (%s): inputs carry %d sat of loot, truth says %d", r.Txid, r.Kind, in, l.In)
		}
		var out int64
		for _, o := range l.Out {
			vout, v := o[0], o[1]
			if v <= 0 || v > r.Out[vout] {
				t.Fatalf("tx %s output %d: loot %d outside (0, value %d]", r.Txid, vout, v, r.Out[vout])
			}
			loot[wire.OutPoint{Hash: *id, Index: uint32(vout)}] = v
			out += v
		}
		if l.In+l.Stolen+l.CustodyOut != out+l.Fee+l.CustodyIn {
			t.Fatalf("tx %s (%s): loot in %d + stolen %d + custody out %d ≠ out %d + fee %d + custody in %d",
				r.Txid, r.Kind, l.In, l.Stolen, l.CustodyOut, out, l.Fee, l.CustodyIn)
		}
		if l.Fee < 0 || l.Fee > r.Fee {
			t.Fatalf("tx %s: loot fee %d outside [0, fee %d]", r.Txid, l.Fee, r.Fee)
		}
		if l.CustodyIn > l.In {
			t.Fatalf("tx %s: custody in %d > loot in %d", r.Txid, l.CustodyIn, l.In)
		}
		if l.Stolen > 0 && (r.Kind != KindTheft || r.Txid != hdr.Theft.Txid || l.Stolen != hdr.Theft.Amount) {
			t.Fatalf("loot appears from nowhere in tx %s (%s): stolen %d", r.Txid, r.Kind, l.Stolen)
		}
		if l.CustodyOut > 0 && r.Kind != KindMixerPayout {
			t.Fatalf("loot appears from custody in tx %s of kind %s", r.Txid, r.Kind)
		}
		stolen += l.Stolen
		custodyIn += l.CustodyIn
		custodyOut += l.CustodyOut
		feeLoot += l.Fee
	}
	for _, v := range loot {
		final += v
	}
	if stolen != hdr.Theft.Amount {
		t.Fatalf("stolen %d, header %d", stolen, hdr.Theft.Amount)
	}
	if stolen+custodyOut != final+feeLoot+custodyIn {
		t.Fatalf("global loot: stolen %d + custody out %d ≠ unspent %d + fees %d + custody in %d", stolen, custodyOut, final, feeLoot, custodyIn)
	}
	// The mixer's books: payouts to the thief never exceed deposits minus fees.
	var deposited, paid int64
	for _, d := range hdr.Mixer {
		if d.PaidOut > d.Value-d.Fee {
			t.Fatalf("mixer order %s:%d paid %d > %d − %d", d.Txid, d.Vout, d.PaidOut, d.Value, d.Fee)
		}
		for _, p := range d.Payouts {
			txid, _, _ := strings.Cut(p, ":")
			id, _ := chainhash.NewHashFromStr(txid)
			if cv.txs[*id] == nil {
				t.Fatalf("mixer payout %s not in the blocks", p)
			}
		}
		deposited += d.Value
		paid += d.PaidOut
	}
	if paid != custodyOut {
		t.Fatalf("mixer paid the thief %d, custody out %d", paid, custodyOut)
	}
	// Cash-outs are deposits of loot at exchanges other than the victim.
	var cashed int64
	for _, c := range hdr.CashOuts {
		id, _ := chainhash.NewHashFromStr(c.Txid)
		tx := cv.txs[*id]
		if tx == nil || int(c.Vout) >= len(tx.TxOut) || tx.TxOut[c.Vout].Value != c.Value {
			t.Fatalf("cash-out %s:%d not in the blocks", c.Txid, c.Vout)
		}
		if c.Exchange == hdr.Theft.Victim {
			t.Fatalf("cash-out at the victim %s", c.Exchange)
		}
		cashed += c.Loot
	}
	for _, k := range []string{KindTheft, KindSplit, KindPeel, KindCashOut, KindMixerDeposit, KindMixerPayout, KindWasabi2, KindWhirlTx0, KindWhirlpool, KindJoinMarket} {
		if kinds[k] == 0 {
			t.Errorf("no %s tx carries loot: the thief skipped a laundering route", k)
		}
	}
	if len(hdr.CashOuts) == 0 || len(hdr.Mixer) == 0 {
		t.Fatalf("%d cash-outs, %d mixer orders", len(hdr.CashOuts), len(hdr.Mixer))
	}
	t.Logf("stolen %d: cashed out %d (%.0f%%), mixer deposits %d, fees %d, still unspent %d", stolen, cashed,
		100*float64(cashed)/float64(stolen), deposited, feeLoot, final)
}

// TestDeterminism runs the same seed twice and compares every file.
func TestDeterminism(t *testing.T) {
	dir, _ := lazarus(t)
	other := filepath.Join(t.TempDir(), "b") // a new folder per run (-count=N)
	if _, err := runTo(other, ScenarioLazarus, 7, false); err != nil {
		t.Fatal(err)
	}
	a, b := hashTree(t, dir), hashTree(t, other)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("runs wrote %d and %d files", len(a), len(b))
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between two runs of the same seed", name)
		}
	}
	// A different seed gives a different chain.
	third := filepath.Join(t.TempDir(), "c")
	if _, err := runTo(third, ScenarioEconomy, 8, true); err != nil {
		t.Fatal(err)
	}
	if c := hashTree(t, third); c["blocks/blk00000.dat"] == a["blocks/blk00000.dat"] {
		t.Fatal("different seeds wrote the same blocks")
	}
}

func hashTree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// scriptClass names an output script by template, independently of the
// engine's and chain package's classifiers.
func scriptClass(pk []byte) string {
	switch {
	case len(pk) == 22 && pk[0] == txscript.OP_0 && pk[1] == 20:
		return "p2wpkh"
	case len(pk) == 34 && pk[0] == txscript.OP_1 && pk[1] == 32:
		return "p2tr"
	case len(pk) == 34 && pk[0] == txscript.OP_0 && pk[1] == 32:
		return "p2wsh"
	case len(pk) == 23 && pk[0] == txscript.OP_HASH160:
		return "p2sh"
	case len(pk) == 25 && pk[0] == txscript.OP_DUP:
		return "p2pkh"
	case len(pk) > 0 && pk[0] == txscript.OP_RETURN:
		return "op_return"
	}
	return "other"
}
