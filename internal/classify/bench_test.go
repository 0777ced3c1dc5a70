package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Benchmarks for docs/classify.md. Run on one core:
//
//	go test -run '^$' -bench . -benchtime 5x -cpu 1 ./internal/classify/

// esploraRun reads, classifies and writes (JSON lines, as `classify
// --esplora --json` does) every tx of data.
func esploraRun(b *testing.B, data []byte) int {
	r := NewEsploraReader(bytes.NewReader(data))
	enc := json.NewEncoder(io.Discard)
	var c Classifier
	var rs []Result
	n := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		rs = c.Classify(&e.Tx, rs[:0])
		if err := enc.Encode(struct {
			Txid  string   `json:"txid"`
			Kinds []Result `json:"kinds"`
		}{e.Txid, rs}); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkEsplora measures `classify --esplora` throughput (tx per CPU
// second, so that other load on the machine does not count) on the
// real dev set: all of it (mostly large CoinJoins, 40 inputs on average)
// and its real-block samples only (ordinary txs).
func BenchmarkEsplora(b *testing.B) {
	raw, err := os.ReadFile(testutil.SharedFile(b, "data/btc/coinjoin-dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var blocks bytes.Buffer
	for _, line := range bytes.Split(raw, []byte{'\n'}) {
		if bytes.Contains(line, []byte(`"origin":"block-`)) {
			blocks.Write(line)
			blocks.WriteByte('\n')
		}
	}
	for _, set := range []struct {
		name string
		data []byte
	}{{"dev-set", raw}, {"block-samples", blocks.Bytes()}} {
		b.Run(set.name, func(b *testing.B) {
			b.SetBytes(int64(len(set.data)))
			n := 0
			c0 := cpuNow()
			for b.Loop() {
				n += esploraRun(b, set.data)
			}
			// Per second of CPU time: the machine may be shared.
			b.ReportMetric(float64(n)/(cpuNow()-c0).Seconds(), "tx/cpu-s")
		})
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngestShare measures what classification adds to ingest: a
// simulated lazarus chain (CoinJoins of every kind, every prevout indexed)
// is ingested without the kinds hook, then the hook's work (reading each
// tx's facts back from the index and classifying them, what Apply does per
// tx with the hook) is run over the same index. Both are measured in CPU
// time (robust to other load on the machine); share-% is the second over
// the first. ab-% is the CPU difference of an ingest with the hook against
// one without (noisy: Pebble's background work varies between runs).
func BenchmarkIngestShare(b *testing.B) {
	simDir := filepath.Join(b.TempDir(), "sim")
	if _, err := sim.Run(context.Background(), sim.Config{Scenario: sim.ScenarioLazarus, Seed: 1, Scale: 1, Fast: true, OutDir: simDir}); err != nil {
		b.Fatal(err)
	}
	run := 0
	ingestOnce := func(hook *index.KindHook) (*index.Index, time.Duration) {
		files, err := source.ScanFiles([]string{filepath.Join(simDir, "blocks")}, source.FileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer files.Close()
		run++
		ix, err := index.Open(filepath.Join(b.TempDir(), fmt.Sprint(run)), index.Options{Network: files.Network(), Kinds: hook})
		if err != nil {
			b.Fatal(err)
		}
		c0 := cpuNow()
		if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files), ingest.Options{Params: files.Network(), BlockHeight: chain.BlockHeight}); err != nil {
			b.Fatal(err)
		}
		return ix, cpuNow() - c0
	}
	var ing, cls, with time.Duration
	var txs uint64
	for i := 0; b.Loop(); i++ {
		if i%2 == 1 { // alternate which ingest runs first
			ix, c := ingestOnce(IndexHook())
			with += c
			ix.Close()
		}
		ix, c := ingestOnce(nil)
		ing += c
		hook := IndexHook()
		c0 := cpuNow()
		_ = ix.View(func(g index.Graph) error {
			var f index.TxFacts
			for t := uint64(0); t < g.TxCount(); t++ {
				g.TxFacts(t, &f)
				hook.Classify(&f)
			}
			return nil
		})
		cls += cpuNow() - c0
		txs += ix.TxCount()
		ix.Close()
		if i%2 == 0 {
			ix, c = ingestOnce(IndexHook())
			with += c
			ix.Close()
		}
	}
	b.ReportMetric(100*float64(cls)/float64(ing), "share-%")
	b.ReportMetric(float64(cls.Nanoseconds())/float64(txs), "classify-ns/tx")
	b.ReportMetric(float64(ing.Nanoseconds())/float64(txs), "ingest-ns/tx")
	b.ReportMetric(100*float64(with-ing)/float64(ing), "ab-%")
}

// BenchmarkApplyRealBlocks applies real mainnet blocks (as base blocks of
// an index, so their prevouts are unknown: the rules then read outputs
// only) with and without the kinds hook, alternating, and reports the
// hook's added CPU as a share of Apply's.
func BenchmarkApplyRealBlocks(b *testing.B) {
	for _, name := range []string{"413567.block", "481829.block"} {
		b.Run(name, func(b *testing.B) {
			raw, err := os.ReadFile(testutil.SharedFile(b, filepath.Join("data/btc/mainnet", name)))
			if err != nil {
				b.Fatal(err)
			}
			var blk wire.MsgBlock
			if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
			open := func(hook *index.KindHook) *index.Index {
				ix, err := index.Open(filepath.Join(b.TempDir(), "chain"), index.Options{Network: &chaincfg.MainNetParams, Kinds: hook})
				if err != nil {
					b.Fatal(err)
				}
				return ix
			}
			plain, hooked := open(nil), open(IndexHook())
			defer plain.Close()
			defer hooked.Close()
			var cpu [2]time.Duration
			for b.Loop() {
				for i, ix := range []*index.Index{plain, hooked} {
					c0 := cpuNow()
					if err := ix.Apply(&blk, 1000); err != nil {
						b.Fatal(err)
					}
					cpu[i] += cpuNow() - c0
					if err := ix.Undo(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(100*float64(cpu[1]-cpu[0])/float64(cpu[0]), "added-%")
		})
	}
}
