package engine_test

import (
	"fmt"
	"time"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// A coinbase matures, then pays a taproot key, an OP_RETURN and change in one signed transaction.
func Example() {
	e, err := engine.New(engine.Config{Seed: 1}) // no OutDir: no files
	if err != nil {
		panic(err)
	}
	defer e.Close()
	miner := e.NewKey(engine.P2WPKH)
	_, cb, _ := e.MineBlock(miner, time.Time{})
	for e.Height() < 1+engine.CoinbaseMaturity {
		e.MineBlock(miner, time.Time{})
	}
	to := e.NewKey(engine.P2TR)
	outs := []engine.Output{engine.OutputTo(to, 1e8), engine.OpReturn([]byte("hi")), engine.OutputTo(miner, 0)}
	fee := engine.EstimateVSize([]engine.KeyKind{miner.Kind}, outs) * 2 // 2 sat/vB
	outs[2].Value = cb[0].Value - 1e8 - fee
	tx, coins, err := e.Send(engine.TxSpec{Inputs: cb, Outputs: outs}, to, nil, miner)
	if err != nil {
		panic(err)
	}
	block, _, err := e.MineBlock(miner, time.Time{})
	if err != nil {
		panic(err)
	}
	fmt.Println("height", e.Height(), "txs in block", len(block.Transactions), "coins", len(coins))
	fmt.Println("vsize within estimate:", engine.VSize(tx) <= fee/2)
	// Output:
	// height 102 txs in block 2 coins 2
	// vsize within estimate: true
}
