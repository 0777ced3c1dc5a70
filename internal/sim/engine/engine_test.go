package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// verifyTx runs btcd's script engine on every input of tx with all standard flags (segwit, taproot,
// low S, strict DER, …), the prevouts taken from coins.
func verifyTx(t testing.TB, tx *wire.MsgTx, coins []Coin) {
	t.Helper()
	prev := make(map[wire.OutPoint]*wire.TxOut, len(coins))
	for _, c := range coins {
		prev[c.OutPoint] = &wire.TxOut{Value: c.Value, PkScript: c.Key.PkScript}
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prev)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, ti := range tx.TxIn {
		po := prev[ti.PreviousOutPoint]
		vm, err := txscript.NewEngine(po.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, po.Value, fetcher)
		if err != nil {
			t.Fatalf("input %d: new engine: %v", i, err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("tx %s input %d (%s) fails script verification: %v", tx.TxHash(), i, coins[i].Key.Kind, err)
		}
	}
}

// mature mines enough blocks to a fresh key of each kind that each gets one spendable coinbase coin.
func mature(t testing.TB, e *Engine) []Coin {
	t.Helper()
	var coins []Coin
	for _, k := range AllKinds {
		_, c, err := e.MineBlock(e.NewKey(k), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		coins = append(coins, c...)
	}
	miner := e.NewKey(P2WPKH)
	for i := 0; i < CoinbaseMaturity; i++ {
		if _, _, err := e.MineBlock(miner, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	return coins
}

func TestSignAllKinds(t *testing.T) {
	e, err := New(Config{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	coins := mature(t, e)
	// One tx per input kind, paying to every kind plus an OP_RETURN, then a multi-input tx spending all.
	var next []Coin
	for _, c := range coins {
		var outs []Output
		var keys []*Key
		for _, k := range AllKinds {
			key := e.NewKey(k)
			keys = append(keys, key)
			outs = append(outs, OutputTo(key, 1_000_000))
		}
		outs = append(outs, OpReturn([]byte("chaintrace")))
		spec := TxSpec{Inputs: []Coin{c}, Outputs: outs}
		tx, err := e.BuildTx(spec)
		if err != nil {
			t.Fatal(err)
		}
		verifyTx(t, tx, spec.Inputs)
		if got, bound := VSize(tx), EstimateVSize([]KeyKind{c.Key.Kind}, outs); got > bound || bound-got > 1 {
			t.Errorf("%s: vsize %d, estimate %d", c.Key.Kind, got, bound)
		}
		if err := e.AddTx(tx); err != nil {
			t.Fatal(err)
		}
		next = append(next, CoinsOf(tx, e.Height()+1, keys...)...)
	}
	var outs []Output
	var total int64
	for _, c := range next {
		total += c.Value
	}
	outs = append(outs, OutputTo(e.NewKey(P2TR), total/2), OutputTo(e.NewKey(P2PKH), total/2-10_000))
	spec := TxSpec{Inputs: next, Outputs: outs, RBF: true}
	tx, err := e.BuildTx(spec)
	if err != nil {
		t.Fatal(err)
	}
	verifyTx(t, tx, next)
	if err := e.AddTx(tx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.MineBlock(e.NewKey(P2PKH), time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	e, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	k := e.NewKey(P2WPKH)
	_, cb, err := e.MineBlock(k, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c := cb[0]
	other, _ := New(Config{Seed: 1})
	to := e.NewKey(P2TR)
	cases := []struct {
		name string
		spec TxSpec
		want error
		msg  string
	}{
		{"no inputs", TxSpec{Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "0 inputs"},
		{"negative", TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(to, -1)}}, ErrInvalidTx, "out of range"},
		{"overspend", TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(to, c.Value+1)}}, ErrInvalidTx, "exceed"},
		{"twice", TxSpec{Inputs: []Coin{c, c}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "both spend"},
		{"twice in 20", TxSpec{Inputs: []Coin{c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "inputs 0 and 1 both spend"},
		{"no key", TxSpec{Inputs: []Coin{{OutPoint: c.OutPoint, Value: c.Value}}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "no key"},
		{"foreign key", TxSpec{Inputs: []Coin{{OutPoint: c.OutPoint, Value: c.Value, Key: other.NewKey(P2WPKH)}}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "not made by this engine"},
		{"wrong key", TxSpec{Inputs: []Coin{{OutPoint: c.OutPoint, Value: c.Value, Key: to}}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "does not own"},
		{"wrong value", TxSpec{Inputs: []Coin{{OutPoint: c.OutPoint, Value: 5, Key: k}}, Outputs: []Output{OutputTo(to, 1)}}, ErrInvalidTx, "coin value 5"},
		{"unknown", TxSpec{Inputs: []Coin{{OutPoint: wire.OutPoint{Index: 3}, Value: 5, Key: k}}, Outputs: []Output{OutputTo(to, 1)}}, ErrUnknownCoin, "spends"},
	}
	for _, tc := range cases {
		_, err := e.BuildTx(tc.spec)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
	}
	tx, err := e.BuildTx(TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(to, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddTx(tx); !errors.Is(err, ErrImmature) {
		t.Fatalf("immature coinbase spend: got %v", err)
	}
	for _, n := range []int{2, 70} { // both duplicate checks of AddTx
		dup := tx.Copy()
		for len(dup.TxIn) < n {
			dup.TxIn = append(dup.TxIn, tx.TxIn[0])
		}
		if err := e.AddTx(dup); !errors.Is(err, ErrInvalidTx) || !strings.Contains(err.Error(), "inputs 0 and 1 both spend") {
			t.Errorf("%d inputs spending one output: got %v", n, err)
		}
	}
}

// TestAddTxRejects covers AddTx's checks on transactions built outside BuildTx or replayed.
func TestAddTxRejects(t *testing.T) {
	e, err := New(Config{Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	coins := mature(t, e)
	to := e.NewKey(P2WPKH)
	build := func(c Coin, mod func(*TxSpec)) *wire.MsgTx {
		spec := TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(to, c.Value-1000)}}
		if mod != nil {
			mod(&spec)
		}
		tx, err := e.BuildTx(spec)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	good := build(coins[0], nil)
	if err := e.AddTx(good); err != nil {
		t.Fatal(err)
	}
	next := e.Height() + 1
	cases := []struct {
		name string
		tx   *wire.MsgTx
		want error
		msg  string
	}{
		{"replay", good, ErrUnknownCoin, "spends"},
		{"nil", nil, ErrInvalidTx, "nil transaction"},
		{"no outputs", &wire.MsgTx{Version: 2, TxIn: good.TxIn}, ErrInvalidTx, "0 outputs"},
		{"lock height", build(coins[1], func(s *TxSpec) { s.LockTime = uint32(next); s.RBF = true }), ErrInvalidTx, "lock time height"},
		{"lock time", build(coins[1], func(s *TxSpec) { s.LockTime = 2_000_000_000; s.Sequence = 5 | 1<<31 }), ErrInvalidTx, "not reached"},
		{"relative", build(coins[1], func(s *TxSpec) { s.Sequence = 1000 }), ErrInvalidTx, "relative lock of 1000 blocks"},
		{"relative seconds", build(coins[1], func(s *TxSpec) { s.Sequence = 1<<22 | 3 }), ErrInvalidTx, "time-based"},
	}
	overspend := build(coins[2], nil)
	overspend.TxOut[0].Value = coins[2].Value + 1
	cases = append(cases, struct {
		name string
		tx   *wire.MsgTx
		want error
		msg  string
	}{"overspend", overspend, ErrInvalidTx, "exceed"})
	for _, tc := range cases {
		err := e.AddTx(tc.tx)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
	}
	if e.Queued() != 1 {
		t.Fatalf("%d queued after rejections, want 1", e.Queued())
	}
	// A past lock height and a satisfied relative lock are fine.
	if err := e.AddTx(build(coins[1], func(s *TxSpec) { s.LockTime = uint32(next - 1); s.RBF = true })); err != nil {
		t.Fatal(err)
	}
	if err := e.AddTx(build(coins[2], func(s *TxSpec) { s.Sequence = 3 })); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.MineBlock(to, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Mainnet's proof of work cannot be simulated: a clear error, not a 4-billion-nonce loop.
	m, _ := New(Config{Params: &chaincfg.MainNetParams})
	if _, _, err := m.MineBlock(m.NewKey(P2PKH), time.Time{}); err == nil || !strings.Contains(err.Error(), "too hard") {
		t.Fatalf("mainnet MineBlock: %v", err)
	}
}

// TestTxCaches checks the txid and vsize AddTx caches for the last transaction against wire's values.
func TestTxCaches(t *testing.T) {
	e, err := New(Config{Seed: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	coins := mature(t, e)
	var txs []*wire.MsgTx
	for _, c := range coins {
		tx, got, err := e.Send(TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(c.Key, c.Value-5000)}}, c.Key)
		if err != nil {
			t.Fatal(err)
		}
		if e.TxID(tx) != tx.TxHash() || e.TxVSize(tx) != VSize(tx) {
			t.Fatalf("%s: cached txid/vsize %s/%d, wire %s/%d", c.Key.Kind, e.TxID(tx), e.TxVSize(tx), tx.TxHash(), VSize(tx))
		}
		if got[0].OutPoint.Hash != tx.TxHash() || got[0].Value != c.Value-5000 || got[0].Height != e.Height()+1 {
			t.Fatalf("Send's coin %+v", got[0])
		}
		txs = append(txs, tx)
	}
	if e.TxID(txs[0]) != txs[0].TxHash() || e.TxVSize(txs[0]) != VSize(txs[0]) {
		t.Fatal("TxID/TxVSize of an earlier transaction")
	}
}
