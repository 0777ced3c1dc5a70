package main

import (
	"context"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
)

// nullChain is an ingest.Chain that keeps only its tip: ingesting into it measures
// everything ingest does except the index (scan, read, decode, merkle check, ordering).
type nullChain struct {
	base, height int64
	hash         chainhash.Hash
	work         *big.Int
	n            int
}

func (c *nullChain) Tip() (ingest.Tip, bool) {
	return ingest.Tip{Height: c.height, Hash: c.hash, Work: c.work}, c.n > 0
}
func (c *nullChain) Base() (int64, bool) { return c.base, c.n > 0 }
func (c *nullChain) HashAt(int64) (chainhash.Hash, error) {
	return chainhash.Hash{}, io.EOF
}
func (c *nullChain) HeightOf(chainhash.Hash) (int64, bool, error) { return 0, false, nil }
func (c *nullChain) WorkAt(int64) (*big.Int, error)               { return nil, io.EOF }
func (c *nullChain) Apply(b *wire.MsgBlock, _ []chainhash.Hash, h int64) error {
	if c.n == 0 {
		c.base, c.work = h, new(big.Int)
	}
	c.n++
	c.height, c.hash = h, b.BlockHash()
	return nil
}
func (c *nullChain) Undo() error  { return io.EOF }
func (c *nullChain) Flush() error { return nil }

// pipelineRun times ingest.Blocks from the files into a nullChain (best of three).
func pipelineRun(data string, path string, start int64) (row, error) {
	r := row{what: "ingest pipeline into a no-op index (in process: scan, read, decode, merkle check, order)", data: data}
	best := time.Duration(1<<63 - 1)
	bestCPU := time.Duration(1<<63 - 1)
	for pass := 0; pass < 3; pass++ {
		t, c0 := time.Now(), cpuTime()
		files, err := source.ScanFiles([]string{path}, source.FileOptions{Logger: quiet})
		if err != nil {
			return r, err
		}
		var c nullChain
		s, err := ingest.Blocks(context.Background(), &c, ingest.FileCandidates(files),
			ingest.Options{Params: files.Network(), StartHeight: &start, BlockHeight: chain.BlockHeight, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		files.Close()
		if err != nil {
			return r, err
		}
		best, bestCPU = min(best, time.Since(t)), min(bestCPU, cpuTime()-c0)
		r.blocks, r.bytes = s.Applied, s.Bytes
	}
	r.secs, r.cpu = best.Seconds(), bestCPU.Seconds()
	return r, nil
}
