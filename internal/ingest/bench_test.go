package ingest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Benchmarks on the same bytes: bare btcd wire decoding of every block (from memory) and
// a full ingest into a fresh index (reading the files, decoding, applying, final flush).
// The MB/s of the pair is the comparison bench/run prints.

var benchSets = []struct {
	name  string
	files []string
}{
	{"blk_0_to_14131", []string{"data/btc/blkfiles/blk_0_to_14131.dat"}},
	{"mainnet_481815", []string{"data/btc/mainnet/481815.block"}},
}

func benchFiles(b *testing.B, rel []string) (*source.Files, [][]byte, int64) {
	var paths []string
	for _, r := range rel {
		paths = append(paths, testutil.SharedFile(b, r))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	files, err := source.ScanFiles(paths, source.FileOptions{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	var raws [][]byte
	var n int64
	for _, e := range files.Entries() {
		blk, err := files.ReadBlock(e)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, blk.Raw)
		n += int64(len(blk.Raw))
	}
	return files, raws, n
}

func BenchmarkWireDecode(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			files, raws, n := benchFiles(b, set.files)
			defer files.Close()
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range raws {
					var m wire.MsgBlock
					if err := m.Deserialize(bytes.NewReader(r)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(raws))*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
		})
	}
}

func BenchmarkIngest(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			files, raws, n := benchFiles(b, set.files)
			defer files.Close()
			h := int64(481815)
			var start *int64
			if filepath.Ext(set.files[0]) == ".block" {
				start = &h
			}
			b.SetBytes(n)
			b.ReportAllocs()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			for b.Loop() {
				b.StopTimer()
				ix, err := index.Open(b.TempDir(), index.Options{Network: files.Network()})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := Blocks(context.Background(), FromIndex(ix), FileCandidates(files),
					Options{Params: files.Network(), StartHeight: start, BlockHeight: chain.BlockHeight, Logger: quiet}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				ix.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(len(raws))*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
		})
	}
}

// nullChain keeps only a tip: ingesting into it measures everything but the index.
type nullChain struct {
	memChain
	tip Tip
	ok  bool
}

func (c *nullChain) Apply(b *wire.MsgBlock, _ []chainhash.Hash, h int64) error {
	c.tip, c.ok = Tip{Height: h, Hash: b.Header.BlockHash(), Work: new(big.Int)}, true
	return nil
}

func (c *nullChain) Tip() (Tip, bool) { return c.tip, c.ok }

// BenchmarkPipeline is ingest without the index: scan, read, decode, merkle check, order.
func BenchmarkPipeline(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			files, raws, n := benchFiles(b, set.files)
			defer files.Close()
			h := int64(481815) // a raw block has no height of its own in these files
			var start *int64
			if filepath.Ext(set.files[0]) == ".block" {
				start = &h
			}
			b.SetBytes(n)
			b.ReportAllocs()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			for b.Loop() {
				var c nullChain
				if _, err := Blocks(context.Background(), &c, FileCandidates(files),
					Options{Params: files.Network(), StartHeight: start, Logger: quiet}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raws))*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
		})
	}
}
