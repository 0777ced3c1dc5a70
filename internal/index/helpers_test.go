package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// readFramed decodes a Bitcoin Core block file (magic, LE size, block),
// stopping at the zero padding of a preallocated file.
func readFramed(t testing.TB, rel string) []*wire.MsgBlock {
	t.Helper()
	data, err := os.ReadFile(testutil.SharedFile(t, filepath.Join("data", "btc", rel)))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*wire.MsgBlock
	for off := 0; off+8 <= len(data); {
		magic := binary.LittleEndian.Uint32(data[off:])
		if magic == 0 {
			break
		}
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		if off+8+size > len(data) {
			t.Fatalf("%s: truncated block at offset %d", rel, off)
		}
		var blk wire.MsgBlock
		if err := blk.Deserialize(bytes.NewReader(data[off+8 : off+8+size])); err != nil {
			t.Fatalf("%s: block at offset %d: %v", rel, off, err)
		}
		blocks = append(blocks, &blk)
		off += 8 + size
	}
	return blocks
}

// readRaw decodes a file holding one serialized block.
func readRaw(t testing.TB, rel string) *wire.MsgBlock {
	t.Helper()
	data, err := os.ReadFile(testutil.SharedFile(t, filepath.Join("data", "btc", rel)))
	if err != nil {
		t.Fatal(err)
	}
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(data)); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return &blk
}

func openTest(t testing.TB, dir string, net *chaincfg.Params) *Index {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "chain")
	}
	ix, err := Open(dir, Options{Network: net, CacheBytes: 64 << 20, Kinds: &testKinds})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// applyAll applies blocks at consecutive heights from start.
func applyAll(t testing.TB, ix *Index, blocks []*wire.MsgBlock, start int64) {
	t.Helper()
	for i, b := range blocks {
		if err := ix.Apply(b, start+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t testing.TB, ix *Index) *VerifyReport {
	t.Helper()
	rep, err := ix.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// counts totals txs, inputs and outputs of blocks straight from wire data.
func counts(blocks []*wire.MsgBlock) (txs, ins, outs uint64) {
	for _, b := range blocks {
		for _, tx := range b.Transactions {
			txs++
			ins += uint64(len(tx.TxIn))
			outs += uint64(len(tx.TxOut))
		}
	}
	return
}

// testKinds stands in for the classifier: a deterministic function of
// everything TxFacts holds (spent values, types, keys), so the kinds column
// and the digest that covers it catch a wrong spend link or a lost undo.
var testKinds = KindHook{Version: 7, Classify: factsHash}

func factsHash(f *TxFacts) uint32 {
	x := uint32(len(f.Ins))*31 + uint32(len(f.Outs)) + uint32(f.Version)*7 + f.LockTime
	for _, in := range f.Ins {
		if in.Known {
			x = x*1000003 ^ uint32(in.Value) ^ uint32(in.Type)<<24 ^ uint32(len(in.Key))
			if len(in.Key) > 1 {
				x ^= uint32(in.Key[1]) << 8
			}
		}
	}
	for _, o := range f.Outs {
		x = x*999983 ^ uint32(o.Value) ^ uint32(o.Type)<<20 ^ uint32(len(o.Key))
	}
	if f.Coinbase {
		x |= 1
	}
	return x
}
