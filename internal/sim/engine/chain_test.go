package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// chainStats counts what a driven chain exercised.
type chainStats struct {
	txs          int
	spentAfter   map[KeyKind]int // inputs spent at or after segwitHeight, by kind
	receivedAft  map[KeyKind]int
	maxInputs    int
	maxOutputs   int
	childInBlock int // transactions spending an output created in the same block
	opReturns    int
}

// segwitHeight is the first height at which btcd's regtest enforces segwit and taproot, given that every
// block signals bits 0–2: DEFINED in window 0, STARTED in window 1 (144–287), LOCKED_IN in window 2, ACTIVE
// from 432.
const segwitHeight = BtcdRegtestSegwitHeight

// driveChain mines nBlocks, each with a few transactions spending random wallet coins of every kind to new
// keys of every kind, with same-block parent/child chains, OP_RETURNs, and every 40 blocks a 40-input
// consolidation and a 120-output batch payout. It verifies every signed input with the script engine.
func driveChain(t testing.TB, e *Engine, nBlocks int, seed int64) chainStats {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	st := chainStats{spentAfter: map[KeyKind]int{}, receivedAft: map[KeyKind]int{}}
	var wallet, immature []Coin
	take := func() Coin {
		i := rng.Intn(len(wallet))
		c := wallet[i]
		wallet[i] = wallet[len(wallet)-1]
		wallet = wallet[:len(wallet)-1]
		return c
	}
	newKey := func() *Key { return e.NewKey(AllKinds[rng.Intn(len(AllKinds))]) }
	send := func(ins []Coin, nOut int, opret bool) []Coin {
		var total int64
		kinds := make([]KeyKind, len(ins))
		for i, c := range ins {
			total += c.Value
			kinds[i] = c.Key.Kind
		}
		keys := make([]*Key, nOut)
		outs := make([]Output, nOut)
		for i := range keys {
			keys[i] = newKey()
			outs[i] = OutputTo(keys[i], 0)
		}
		if opret {
			outs = append(outs, OpReturn([]byte(fmt.Sprintf("chaintrace %d", e.Height()+1))))
		}
		fee := EstimateVSize(kinds, outs) * 2
		if total-fee < int64(nOut)*1000 {
			fee = 0
		}
		share := (total - fee) / int64(nOut)
		for i := range keys {
			outs[i].Value = share
		}
		outs[0].Value += total - fee - share*int64(nOut)
		spec := TxSpec{Inputs: ins, Outputs: outs, RBF: rng.Intn(2) == 0}
		tx, err := e.BuildTx(spec)
		if err != nil {
			t.Fatalf("height %d: %v", e.Height()+1, err)
		}
		if !e.Fast() {
			verifyTx(t, tx, ins)
		}
		if v := VSize(tx); v > EstimateVSize(kinds, outs) || (e.Fast() && v != EstimateVSize(kinds, outs)) {
			t.Fatalf("vsize %d vs estimate %d", v, EstimateVSize(kinds, outs))
		}
		if err := e.AddTx(tx); err != nil {
			t.Fatalf("height %d: %v", e.Height()+1, err)
		}
		st.txs++
		st.maxInputs = max(st.maxInputs, len(ins))
		st.maxOutputs = max(st.maxOutputs, len(outs))
		if opret {
			st.opReturns++
		}
		if e.Height()+1 >= segwitHeight {
			for _, c := range ins {
				st.spentAfter[c.Key.Kind]++
			}
			for _, k := range keys {
				st.receivedAft[k.Kind]++
			}
		}
		return CoinsOf(tx, e.Height()+1, keys...)
	}
	for b := 0; b < nBlocks; b++ {
		next := e.Height() + 1
		for len(immature) > 0 && next-immature[0].Height >= CoinbaseMaturity {
			wallet = append(wallet, immature[0])
			immature = immature[1:]
		}
		for n := rng.Intn(4); n > 0 && len(wallet) > 0; n-- {
			ins := []Coin{take()}
			for len(ins) < 3 && len(wallet) > 0 && rng.Intn(2) == 0 {
				ins = append(ins, take())
			}
			created := send(ins, 1+rng.Intn(4), rng.Intn(5) == 0)
			if rng.Intn(3) == 0 { // a child spending its parent in the same block
				child := send(created[:1], 2, false)
				st.childInBlock++
				created = append(created[1:], child...)
			}
			wallet = append(wallet, created...)
		}
		if b%40 == 39 && len(wallet) >= 41 {
			ins := make([]Coin, 40)
			for i := range ins {
				ins[i] = take()
			}
			wallet = append(wallet, send(ins, 1, false)...)
			wallet = append(wallet, send([]Coin{take()}, 120, true)...)
		}
		_, cb, err := e.MineBlock(e.NewKey(AllKinds[b%len(AllKinds)]), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		immature = append(immature, cb...)
	}
	return st
}

// readBlkFiles returns every block framed in dir/blk*.dat, in order, checking the magic of each frame.
func readBlkFiles(t testing.TB, dir string, net wire.BitcoinNet) (raw [][]byte, files int) {
	t.Helper()
	for n := 0; ; n++ {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("blk%05d.dat", n)))
		if os.IsNotExist(err) {
			return raw, n
		}
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(data); {
			if len(data)-off < 8 {
				t.Fatalf("blk%05d.dat: truncated frame at offset %d", n, off)
			}
			if m := binary.LittleEndian.Uint32(data[off:]); m != uint32(net) {
				t.Fatalf("blk%05d.dat offset %d: magic %#x, want %#x", n, off, m, uint32(net))
			}
			size := int(binary.LittleEndian.Uint32(data[off+4:]))
			if off+8+size > len(data) {
				t.Fatalf("blk%05d.dat offset %d: block of %d bytes overruns the file", n, off, size)
			}
			raw = append(raw, data[off+8:off+8+size])
			off += 8 + size
		}
	}
}

func TestDeterministic(t *testing.T) {
	build := func(seed int64, fast bool) []byte {
		dir := t.TempDir()
		e, err := New(Config{Seed: seed, OutDir: dir, Fast: fast})
		if err != nil {
			t.Fatal(err)
		}
		driveChain(t, e, 130, seed)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "blocks", "blk00000.dat"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, fast := range []bool{false, true} {
		a, b, c := build(11, fast), build(11, fast), build(12, fast)
		if !bytes.Equal(a, b) {
			t.Errorf("fast=%v: same seed, different block files (%d vs %d bytes)", fast, len(a), len(b))
		}
		if bytes.Equal(a, c) {
			t.Errorf("fast=%v: different seeds, identical block files", fast)
		}
	}
}

func TestBlockFiles(t *testing.T) {
	dir := t.TempDir()
	e, err := New(Config{Seed: 3, OutDir: dir, Fast: true, MaxFileSize: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	driveChain(t, e, 200, 3)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	raw, files := readBlkFiles(t, filepath.Join(dir, "blocks"), chaincfg.RegressionNetParams.Net)
	if files < 2 {
		t.Fatalf("%d blk files with a 32 KiB limit", files)
	}
	if int64(len(raw)) != e.Height()+1 {
		t.Fatalf("%d blocks in files, height %d", len(raw), e.Height())
	}
	var g bytes.Buffer
	chaincfg.RegressionNetParams.GenesisBlock.Serialize(&g)
	if !bytes.Equal(raw[0], g.Bytes()) {
		t.Fatal("first block of blk00000.dat is not the regtest genesis block")
	}
	prev := *chaincfg.RegressionNetParams.GenesisHash
	for i, r := range raw[1:] {
		var b wire.MsgBlock
		if err := b.Deserialize(bytes.NewReader(r)); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if b.Header.PrevBlock != prev {
			t.Fatalf("block %d does not link to its predecessor", i+1)
		}
		prev = b.BlockHash()
	}
	if prev != e.TipHash() {
		t.Fatal("last block in files is not the engine's tip")
	}
	// A second engine must refuse the non-empty folder and leave it untouched.
	before, _ := os.ReadFile(filepath.Join(dir, "blocks", "blk00000.dat"))
	if _, err := New(Config{OutDir: dir}); err == nil {
		t.Fatal("New accepted a non-empty block folder")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "blocks", "blk00000.dat"))
	if !bytes.Equal(before, after) {
		t.Fatal("refused New modified blk00000.dat")
	}
}

// TestAppendTx checks the engine's own serializer through the block files of driven chains (signed and
// fast: with and without witnesses, P2PKH-only transactions, 40-input and 120-output ones): every block
// decodes with wire, re-encodes to the same bytes, and its merkle root and witness commitment match the
// transactions' txids and wtxids as btcd computes them.
func TestAppendTx(t *testing.T) {
	for _, fast := range []bool{false, true} {
		dir := t.TempDir()
		e, err := New(Config{Seed: 21, Fast: fast, OutDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		driveChain(t, e, 130, 21)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		raw, _ := readBlkFiles(t, filepath.Join(dir, "blocks"), chaincfg.RegressionNetParams.Net)
		for h, r := range raw[1:] {
			var b wire.MsgBlock
			if err := b.Deserialize(bytes.NewReader(r)); err != nil {
				t.Fatalf("block %d: %v", h+1, err)
			}
			var again bytes.Buffer
			if err := b.Serialize(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), r) {
				t.Fatalf("block %d: wire re-encodes it differently", h+1)
			}
			blk := btcutil.NewBlock(&b)
			if root := blockchain.CalcMerkleRoot(blk.Transactions(), false); root != b.Header.MerkleRoot {
				t.Fatalf("block %d: merkle root %s, header says %s", h+1, root, b.Header.MerkleRoot)
			}
			if err := blockchain.ValidateWitnessCommitment(blk); err != nil {
				t.Fatalf("block %d: %v", h+1, err)
			}
		}
	}
}
