package engine

import (
	"testing"
	"time"
)

// benchCoins returns n mature coinbase-free coins of kind k (split from mined coinbases) in a fresh engine.
func benchEngine(b *testing.B, fast bool, k KeyKind, n int) (*Engine, []Coin) {
	b.Helper()
	e, err := New(Config{Seed: 1, Fast: fast})
	if err != nil {
		b.Fatal(err)
	}
	var cbs []Coin
	for i := 0; i < 1+n/500; i++ {
		_, c, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		cbs = append(cbs, c...)
	}
	for i := 0; i < CoinbaseMaturity; i++ {
		if _, _, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	var coins []Coin
	for _, cb := range cbs {
		keys := make([]*Key, 500)
		outs := make([]Output, 500)
		for i := range keys {
			keys[i] = e.NewKey(k)
			outs[i] = OutputTo(keys[i], cb.Value/1000)
		}
		tx, err := e.BuildTx(TxSpec{Inputs: []Coin{cb}, Outputs: outs})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.AddTx(tx); err != nil {
			b.Fatal(err)
		}
		coins = append(coins, CoinsOf(tx, e.Height()+1, keys...)...)
	}
	if _, _, err := e.MineBlock(e.NewKey(P2WPKH), time.Time{}); err != nil {
		b.Fatal(err)
	}
	return e, coins[:n]
}

// BenchmarkBuildTx builds (and, unless fast, signs) a 2-input 2-output transaction of each kind.
func BenchmarkBuildTx(b *testing.B) {
	for _, mode := range []struct {
		name string
		fast bool
	}{{"signed", false}, {"fast", true}} {
		for _, k := range AllKinds {
			b.Run(mode.name+"/"+k.String(), func(b *testing.B) {
				e, coins := benchEngine(b, mode.fast, k, 2)
				to1, to2 := e.NewKey(k), e.NewKey(k)
				spec := TxSpec{Inputs: coins, Outputs: []Output{OutputTo(to1, 1000), OutputTo(to2, 1000)}}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := e.BuildTx(spec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkNewKey derives keys of each kind, signed (real EC) and fast (placeholders).
func BenchmarkNewKey(b *testing.B) {
	for _, fast := range []bool{false, true} {
		for _, k := range AllKinds {
			name := "signed/"
			if fast {
				name = "fast/"
			}
			b.Run(name+k.String(), func(b *testing.B) {
				e, _ := New(Config{Seed: 1, Fast: fast})
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					e.NewKey(k)
				}
			})
		}
	}
}

// BenchmarkPipeline measures the engine's whole per-transaction cost in fast mode: a new key, BuildTx,
// AddTx, and a MineBlock every 2,000 transactions, each tx spending the previous one's output (P2WPKH,
// 1 in, 2 out). ns/op is per transaction.
func BenchmarkPipeline(b *testing.B) {
	for _, fast := range []bool{true, false} {
		name := "signed"
		if fast {
			name = "fast"
		}
		b.Run(name, func(b *testing.B) {
			e, coins := benchEngine(b, fast, P2WPKH, 1)
			c := coins[0]
			miner := e.NewKey(P2WPKH)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k1, k2 := e.NewKey(P2WPKH), e.NewKey(P2WPKH)
				tx, err := e.BuildTx(TxSpec{Inputs: []Coin{c}, Outputs: []Output{OutputTo(k1, 1), OutputTo(k2, c.Value-2)}})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.AddTx(tx); err != nil {
					b.Fatal(err)
				}
				c = e.Coins(tx, nil, k2)[0]
				if e.Queued() == 2000 {
					if _, _, err := e.MineBlock(miner, time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkMineBlock mines blocks of 2,000 queued fast-mode transactions (assembly, merkle and witness
// roots, proof of work, serialization to a discarded writer); ns/op is per block.
func BenchmarkMineBlock(b *testing.B) {
	e, coins := benchEngine(b, true, P2WPKH, 2000)
	miner := e.NewKey(P2WPKH)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range coins {
			tx, err := e.BuildTx(TxSpec{Inputs: []Coin{coins[j]}, Outputs: []Output{OutputTo(coins[j].Key, coins[j].Value-200)}})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.AddTx(tx); err != nil {
				b.Fatal(err)
			}
			coins[j] = CoinsOf(tx, e.Height()+1, coins[j].Key)[0]
		}
		b.StartTimer()
		if _, _, err := e.MineBlock(miner, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
