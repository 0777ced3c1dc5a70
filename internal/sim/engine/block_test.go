package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// TestSubsidyAndTime checks regtest's halving every 150 blocks (50, 25, 12.5 BTC) and the timestamp rule:
// the latest of `when`, median time past + 1 s and StartTime.
func TestSubsidyAndTime(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e, err := New(Config{Seed: 2, StartTime: start})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want := map[int64]int64{1: 50e8, 149: 50e8, 150: 25e8, 299: 25e8, 300: 12.5e8}
	miner := e.NewKey(P2PKH)
	var prev int64
	for h := int64(1); h <= 300; h++ {
		when := time.Time{}
		switch {
		case h == 1:
			when = start.Add(-time.Hour) // before StartTime: clamped to it
		case h%7 == 0:
			when = time.Unix(0, 0) // far in the past: clamped to MTP + 1
		}
		mtp := e.MedianTimePast().Unix()
		b, cb, err := e.MineBlock(miner, when)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := want[h]; ok && cb[0].Value != v {
			t.Errorf("height %d: coinbase %d sat, want %d", h, cb[0].Value, v)
		}
		ts := b.Header.Timestamp.Unix()
		switch {
		case h == 1 && ts != start.Unix():
			t.Errorf("block 1 at %d, want StartTime %d", ts, start.Unix())
		case ts <= mtp:
			t.Errorf("block %d at %d, not after the median time past %d", h, ts, mtp)
		case h > 1 && h%7 == 0 && ts != mtp+1:
			t.Errorf("block %d asked for 1970: at %d, want median time past + 1 = %d", h, ts, mtp+1)
		case h > 1 && h%7 != 0 && ts != mtp+1 && ts != prev+600:
			t.Errorf("block %d with zero when: at %d, want the tip's time + 10 min %d", h, ts, prev+600)
		}
		prev = ts
		if !e.Time().Equal(b.Header.Timestamp) {
			t.Errorf("Time() %v, tip timestamp %v", e.Time(), b.Header.Timestamp)
		}
		if err := blockchain.CheckProofOfWork(btcutil.NewBlock(b), chaincfg.RegressionNetParams.PowLimit); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if err := blockchain.ValidateWitnessCommitment(btcutil.NewBlock(b)); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
	}
}

// TestBlockFull fills blocks with large transactions (weight) and with P2PKH-heavy outputs (sigop cost) until
// AddTx answers ErrBlockFull, and checks the mined block respects both consensus limits.
func TestBlockFull(t *testing.T) {
	e, err := New(Config{Seed: 8, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	miner := e.NewKey(P2WPKH)
	var cbs []Coin
	for i := 0; i < 40; i++ {
		_, c, err := e.MineBlock(miner, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		cbs = append(cbs, c...)
	}
	for i := 0; i < CoinbaseMaturity; i++ {
		if _, _, err := e.MineBlock(miner, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []KeyKind{P2TR, P2PKH} { // P2TR outputs: weight-bound; P2PKH: sigop-bound
		added := 0
		for len(cbs) > 0 {
			c := cbs[0]
			outs := make([]Output, 2000)
			for i := range outs {
				outs[i] = OutputTo(e.NewKey(kind), c.Value/4000)
			}
			tx, err := e.BuildTx(TxSpec{Inputs: []Coin{c}, Outputs: outs})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.AddTx(tx); errors.Is(err, ErrBlockFull) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			cbs = cbs[1:]
			added++
		}
		b, _, err := e.MineBlock(miner, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		blk := btcutil.NewBlock(b)
		weight := blockchain.GetBlockWeight(blk)
		sigops := 0
		for _, tx := range blk.Transactions() {
			sigops += blockchain.CountSigOps(tx) * blockchain.WitnessScaleFactor
		}
		t.Logf("%s outputs: %d txs, weight %d, legacy sigop cost %d", kind, added, weight, sigops)
		if weight > blockchain.MaxBlockWeight || sigops > blockchain.MaxBlockSigOpsCost {
			t.Fatalf("block over limits: weight %d, sigop cost %d", weight, sigops)
		}
		switch kind {
		case P2TR:
			if weight < blockchain.MaxBlockWeight*9/10 {
				t.Errorf("weight-bound block only %d weight", weight)
			}
		case P2PKH:
			if sigops < blockchain.MaxBlockSigOpsCost*9/10 {
				t.Errorf("sigop-bound block only %d sigop cost", sigops)
			}
		}
	}
}
