package main

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

func init() {
	register(Workload{
		Name:        "engine",
		Run:         runEngine,
		DefaultRows: []string{"fast:100000", "fast:1000000", "signed:10000", "signed:40000"},
	})
}

// walletSize is the number of coins the engine workload keeps in circulation; every transaction spends one
// of them when the wallet is below that size and three above (more when they are small) and creates two
// (payment and change), so the live UTXO set stays near this size however long the chain grows.
const walletSize = 20000

// runEngine drives the bare engine: random 1–3 input, 2 output transactions between fresh keys of every kind,
// a block every 2,500 transactions.
func runEngine(o Options) (Result, error) {
	e, err := engine.New(engine.Config{Seed: o.Seed, Fast: o.Fast, OutDir: o.OutDir})
	if err != nil {
		return Result{}, err
	}
	rng := rand.New(rand.NewSource(o.Seed))
	var res Result
	var mine time.Duration
	miner := e.NewKey(engine.P2WPKH)
	mineBlock := func() ([]engine.Coin, error) {
		t0 := time.Now()
		_, cb, err := e.MineBlock(miner, time.Time{})
		mine += time.Since(t0)
		res.Blocks++
		return cb, err
	}
	// Fund the wallet: coinbases, matured, fanned out to walletSize coins.
	var cbs []engine.Coin
	for i := 0; i < 10; i++ {
		cb, err := mineBlock()
		if err != nil {
			return res, err
		}
		cbs = append(cbs, cb...)
	}
	for i := 0; i < engine.CoinbaseMaturity; i++ {
		if _, err := mineBlock(); err != nil {
			return res, err
		}
	}
	kind := func() engine.KeyKind { return engine.AllKinds[rng.Intn(len(engine.AllKinds))] }
	wallet := make([]engine.Coin, 0, walletSize+10000)
	size := walletSize
	if !o.Fast {
		size = walletSize / 10 // signed keys cost ~0.1 ms each to derive: keep setup short
	}
	per := size / len(cbs)
	for _, cb := range cbs {
		keys := make([]*engine.Key, per)
		outs := make([]engine.Output, per)
		for i := range keys {
			keys[i] = e.NewKey(kind())
			outs[i] = engine.OutputTo(keys[i], cb.Value/int64(per)-1000)
		}
		_, coins, err := e.Send(engine.TxSpec{Inputs: []engine.Coin{cb}, Outputs: outs}, keys...)
		if err != nil {
			return res, err
		}
		wallet = append(wallet, coins...)
	}
	if _, err := mineBlock(); err != nil {
		return res, err
	}

	take := func() engine.Coin {
		i := rng.Intn(len(wallet))
		c := wallet[i]
		wallet[i] = wallet[len(wallet)-1]
		wallet = wallet[:len(wallet)-1]
		return c
	}
	var immature []engine.Coin
	start := time.Now()
	for n := 0; n < o.Txs; n++ {
		// One input while the wallet is below its size, three above (so it keeps its size), more while they
		// are small.
		ins := []engine.Coin{take()}
		if len(wallet) >= size {
			ins = append(ins, take(), take())
		}
		var total int64
		for _, c := range ins {
			total += c.Value
		}
		for total < 20000 && len(wallet) > 0 {
			ins = append(ins, take())
			total += ins[len(ins)-1].Value
		}
		kinds := make([]engine.KeyKind, len(ins))
		for i, c := range ins {
			kinds[i] = c.Key.Kind
		}
		pay, change := e.NewKey(kind()), e.NewKey(kind())
		outs := []engine.Output{engine.OutputTo(pay, 0), engine.OutputTo(change, 0)}
		fee := engine.EstimateVSize(kinds, outs)
		amount := (total - fee) / (2 + int64(rng.Intn(8)))
		outs[0].Value, outs[1].Value = amount, total-fee-amount
		if amount <= 0 {
			return res, fmt.Errorf("wallet ran dry after %d transactions", n)
		}
		tx, err := e.BuildTx(engine.TxSpec{Inputs: ins, Outputs: outs, RBF: rng.Intn(4) == 0})
		if err != nil {
			return res, err
		}
		if err := e.AddTx(tx); err != nil {
			return res, fmt.Errorf("tx %d: %w", n, err)
		}
		wallet = append(wallet, e.Coins(tx, pay, change)...)
		res.Txs++
		if o.MemTrace > 0 && res.Txs%int64(o.MemTrace) == 0 {
			traceHeap(res.Txs, e.UTXOCount())
		}
		if e.Queued() == 2500 {
			cb, err := mineBlock()
			if err != nil {
				return res, err
			}
			immature = append(immature, cb...)
			for len(immature) > 0 && e.Height()+1-immature[0].Height >= engine.CoinbaseMaturity {
				wallet = append(wallet, immature[0])
				immature = immature[1:]
			}
		}
	}
	if _, err := mineBlock(); err != nil {
		return res, err
	}
	if err := e.Close(); err != nil {
		return res, err
	}
	res.Bytes = e.BytesWritten()
	res.RunSecs = time.Since(start).Seconds()
	res.MineSecs = mine.Seconds()
	res.UTXOs = int64(e.UTXOCount())
	return res, nil
}
