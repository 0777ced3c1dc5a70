package index

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Benchmarks compare Apply with bare btcd wire decoding of the same bytes
// (the goal: Apply at least half as fast as decoding). Run:
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/index/

var benchBlocks = []string{"mainnet/413567.block", "mainnet/481829.block", "testnet/928848.block"}

func rawBlock(b *testing.B, rel string) []byte {
	data, err := os.ReadFile(testutil.SharedFile(b, filepath.Join("data", "btc", rel)))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkWireDecode(b *testing.B) {
	for _, rel := range benchBlocks {
		b.Run(filepath.Base(rel), func(b *testing.B) {
			raw := rawBlock(b, rel)
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var blk wire.MsgBlock
				if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApply applies one real block to an index (as its base block, so
// every prevout look-up goes to Pebble and misses) and undoes it, untimed.
func BenchmarkApply(b *testing.B) {
	for _, rel := range benchBlocks {
		for _, pre := range []bool{false, true} {
			name := filepath.Base(rel)
			if pre {
				name += "/txids-given"
			}
			b.Run(name, func(b *testing.B) {
				raw := rawBlock(b, rel)
				var blk wire.MsgBlock
				if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				var txids []chainhash.Hash
				if pre {
					for _, tx := range blk.Transactions {
						txids = append(txids, tx.TxHash())
					}
				}
				net := &chaincfg.MainNetParams
				if filepath.Dir(rel) == "testnet" {
					net = &chaincfg.TestNet3Params
				}
				ix := openTest(b, "", net)
				defer ix.Close()
				b.SetBytes(int64(len(raw)))
				b.ResetTimer()
				for b.Loop() {
					if err := ix.ApplyTxids(&blk, 1000, txids); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := ix.Undo(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}

// BenchmarkIngestChain builds blocks 0–14131 (decoded beforehand) and
// reports disk bytes per tx and per input+output.
func BenchmarkIngestChain(b *testing.B) {
	blocks := longChain(b)
	var du DiskUsage
	var st Stats
	for b.Loop() {
		tmp, err := os.MkdirTemp("", "chaintrace-index-bench-")
		if err != nil {
			b.Fatal(err)
		}
		ix := openTest(b, filepath.Join(tmp, "chain"), &chaincfg.MainNetParams)
		applyAll(b, ix, blocks, 0)
		if err := ix.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		du, _ = ix.DiskUsage()
		st = ix.Stats()
		ix.Close()
		os.RemoveAll(tmp)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(blocks)), "ns/block")
	b.ReportMetric(float64(du.Total-du.Filter)/float64(st.Txs), "disk-bytes/tx")
	b.ReportMetric(float64(du.Total-du.KV-du.Filter)/float64(st.Txs), "column-bytes/tx")
}

// BenchmarkApplyVsDecode interleaves decoding a block with applying it, so
// both see the same machine load, and reports Apply's speed relative to
// bare decoding: "x-decode-wall" by elapsed time, "x-decode-cpu" by process
// CPU time (robust on a loaded machine; Apply's parallel look-ups count in
// full). 1 = as fast as wire.Deserialize; the goal is ≥ 0.5. Txids are passed in, as the ingest does with
// source.Block.DecodeChecked's.
func BenchmarkApplyVsDecode(b *testing.B) {
	for _, rel := range benchBlocks {
		b.Run(filepath.Base(rel), func(b *testing.B) {
			raw := rawBlock(b, rel)
			net := &chaincfg.MainNetParams
			if filepath.Dir(rel) == "testnet" {
				net = &chaincfg.TestNet3Params
			}
			ix := openTest(b, "", net)
			defer ix.Close()
			var dec, app, decCPU, appCPU time.Duration
			for b.Loop() {
				c0 := cpuTime()
				t0 := time.Now()
				var blk wire.MsgBlock
				if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				c1 := cpuTime()
				txids := make([]chainhash.Hash, len(blk.Transactions))
				for i, tx := range blk.Transactions {
					txids[i] = tx.TxHash()
				}
				c2 := cpuTime()
				t2 := time.Now()
				if err := ix.ApplyTxids(&blk, 1000, txids); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				c3 := cpuTime()
				dec += t1.Sub(t0)
				app += t3.Sub(t2)
				decCPU += c1 - c0
				appCPU += c3 - c2
				if err := ix.Undo(); err != nil {
					b.Fatal(err)
				}
				// Undo leaves the block's map entries stale: the next round
				// finds them, rejects them and adds them again (no-ops).
			}
			b.ReportMetric(float64(dec)/float64(app), "x-decode-wall")
			b.ReportMetric(float64(decCPU)/float64(appCPU), "x-decode-cpu")
			b.ReportMetric(float64(app.Nanoseconds())/float64(b.N), "apply-ns/op")
		})
	}
}

// BenchmarkDiskUsage builds an index of real blocks (each its own base
// block) and reports bytes on disk per tx and per input+output, columns and
// key-value tables separately (Pebble's memtable flushed and compacted into
// tables; its log and manifest not counted). Run:
//
//	go test -run '^$' -bench DiskUsage -benchtime 1x ./internal/index/
func BenchmarkDiskUsage(b *testing.B) {
	files := []string{"mainnet/383616.block", "mainnet/413567.block", "mainnet/426884.block", "mainnet/481815.block", "mainnet/481829.block"}
	for b.Loop() {
		var cols, kv, unknown int64
		var txs, ios uint64
		for _, rel := range files {
			raw := rawBlock(b, rel)
			var blk wire.MsgBlock
			if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
			tmp, err := os.MkdirTemp("", "chaintrace-index-bench-")
			if err != nil {
				b.Fatal(err)
			}
			// Removed at once: b.N rounds of t.TempDir would pile up.
			defer os.RemoveAll(tmp)
			ix := openTest(b, filepath.Join(tmp, "chain"), &chaincfg.MainNetParams)
			if err := ix.Apply(&blk, 1); err != nil {
				b.Fatal(err)
			}
			if err := ix.Flush(); err != nil {
				b.Fatal(err)
			}
			if err := ix.db.Flush(); err != nil {
				b.Fatal(err)
			}
			if err := ix.db.Compact([]byte{0}, []byte{0xff}, true); err != nil {
				b.Fatal(err)
			}
			du, err := ix.DiskUsage()
			if err != nil {
				b.Fatal(err)
			}
			ssts, _ := filepath.Glob(filepath.Join(ix.dir, "kv", "*.sst"))
			for _, f := range ssts {
				if st, err := os.Stat(f); err == nil {
					kv += st.Size()
				}
			}
			cols += du.Blocks + du.Txs + du.Inputs + du.Outputs + du.Addresses
			unknown += du.Files["in_outpoint"]
			s := ix.Stats()
			txs += s.Txs
			ios += s.Inputs + s.Outputs
			ix.Close()
			os.RemoveAll(tmp)
		}
		b.ReportMetric(float64(cols)/float64(txs), "col-bytes/tx")
		b.ReportMetric(float64(kv)/float64(txs), "kv-bytes/tx")
		b.ReportMetric(float64(cols+kv)/float64(txs), "bytes/tx")
		b.ReportMetric(float64(cols+kv)/float64(ios), "bytes/in+out")
		// These base blocks' inputs all spend outputs outside the index, so
		// each has an in_outpoint record (41 bytes) that a chain built from
		// genesis does not have: the figure without them.
		b.ReportMetric((float64(cols-unknown)+float64(kv))/float64(ios), "bytes/in+out-from-genesis")
	}
}

// BenchmarkQueries measures the API views on an index of blocks 227835 and
// 227836 (committed).
func BenchmarkQueries(b *testing.B) {
	blocks := []*wire.MsgBlock{readRaw(b, "mainnet/227835.block"), readRaw(b, "mainnet/227836.block")}
	ix := openTest(b, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(b, ix, blocks, 227835)
	if err := ix.Flush(); err != nil {
		b.Fatal(err)
	}
	txid := blocks[1].Transactions[5].TxHash()
	v, err := ix.Tx(txid)
	if err != nil {
		b.Fatal(err)
	}
	addr := *v.Outputs[0].Address
	b.Run("tx", func(b *testing.B) {
		for b.Loop() {
			if _, err := ix.Tx(txid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("block", func(b *testing.B) {
		for b.Loop() {
			if _, err := ix.BlockByHeight(227836); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("address", func(b *testing.B) {
		for b.Loop() {
			if _, err := ix.Address(addr, 0, 50); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("graph-walk", func(b *testing.B) {
		// Follow every output to its spender, as a tracer would.
		for b.Loop() {
			ix.View(func(g Graph) error {
				for o := uint64(0); o < g.OutputCount(); o++ {
					if sp := g.Output(o).SpentBy; sp != NoID {
						_ = g.TxOfInput(sp)
					}
				}
				return nil
			})
		}
	})
}
