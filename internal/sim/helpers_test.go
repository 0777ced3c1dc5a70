package sim

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// testScale keeps test runs small: three days of activity after the
// 432-block bootstrap, a few transactions per block.
const testScale = 0.05

// simulate runs a scenario into a fresh temporary folder.
func simulate(t testing.TB, scenario string, seed uint64, fast bool) (string, *Header) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sim")
	h, err := Run(context.Background(), Config{Scenario: scenario, Seed: seed, Scale: testScale, Fast: fast, OutDir: dir})
	if err != nil {
		t.Fatalf("simulate %s seed %d: %v", scenario, seed, err)
	}
	return dir, h
}

// runTo runs a scenario at the test scale into dir.
func runTo(dir, scenario string, seed uint64, fast bool) (*Header, error) {
	return Run(context.Background(), Config{Scenario: scenario, Seed: seed, Scale: testScale, Fast: fast, OutDir: dir})
}

// rawBlock is a block as framed in a blk file.
type rawBlock struct {
	raw   []byte
	block *wire.MsgBlock
}

// readBlocks decodes every blk*.dat of dir/blocks independently of the
// engine: magic, little-endian size, block.
func readBlocks(t testing.TB, dir string) []rawBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "blocks", "blk*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no block files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	var out []rawBlock
	magic := uint32(chaincfg.RegressionNetParams.Net)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(b); {
			if len(b)-off < 8 {
				t.Fatalf("%s: %d trailing bytes at offset %d", f, len(b)-off, off)
			}
			m := binary.LittleEndian.Uint32(b[off:])
			if m == 0 { // zero padding
				break
			}
			if m != magic {
				t.Fatalf("%s: bad magic %#x at offset %d", f, m, off)
			}
			n := int(binary.LittleEndian.Uint32(b[off+4:]))
			raw := b[off+8 : off+8+n]
			var blk wire.MsgBlock
			if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
				t.Fatalf("%s: block at offset %d: %v", f, off, err)
			}
			out = append(out, rawBlock{raw: raw, block: &blk})
			off += 8 + n
		}
	}
	return out
}

// readRecords loads truth.jsonl.
func readRecords(t testing.TB, dir string) []*Record {
	t.Helper()
	var recs []*Record
	if err := ReadRecords(dir, func(r *Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}
