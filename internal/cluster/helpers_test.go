package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// A small simulated lazarus chain, built once per test binary.
var simOnce struct {
	sync.Once
	dir    string
	blocks []*wire.MsgBlock
	err    error
}

func simChain(t testing.TB) (string, []*wire.MsgBlock) {
	t.Helper()
	simOnce.Do(func() {
		dir := os.Getenv("CHAINTRACE_CLUSTER_SIM_DIR") // a kill-9 child reuses its parent's
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "cluster-sim-"); err != nil {
				simOnce.err = err
				return
			}
			simOnce.dir = dir
			if _, err := sim.Run(context.Background(), sim.Config{Scenario: sim.ScenarioLazarus, Seed: 3, Scale: 0.15, Fast: true, OutDir: dir}); err != nil {
				simOnce.err = err
				return
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, "blocks", "blk00000.dat"))
		if err != nil {
			simOnce.err = err
			return
		}
		for off := 0; off+8 <= len(data); {
			if binary.LittleEndian.Uint32(data[off:]) == 0 {
				break
			}
			size := int(binary.LittleEndian.Uint32(data[off+4:]))
			var b wire.MsgBlock
			if err := b.Deserialize(bytes.NewReader(data[off+8 : off+8+size])); err != nil {
				simOnce.err = err
				return
			}
			simOnce.blocks = append(simOnce.blocks, &b)
			off += 8 + size
		}
	})
	if simOnce.err != nil {
		t.Fatal(simOnce.err)
	}
	if d := os.Getenv("CHAINTRACE_CLUSTER_SIM_DIR"); d != "" {
		return d, simOnce.blocks
	}
	return simOnce.dir, simOnce.blocks
}

func TestMain(m *testing.M) {
	code := m.Run()
	if simOnce.dir != "" {
		os.RemoveAll(simOnce.dir)
	}
	os.Exit(code)
}

// openIndex opens an index in dir holding blocks[:n] (genesis at height 0).
func openIndex(t testing.TB, dir string, blocks []*wire.MsgBlock, n int) *index.Index {
	t.Helper()
	ix, err := index.Open(dir, index.Options{Network: &chaincfg.RegressionNetParams, CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	tip, ok := ix.Tip()
	h := 0
	if ok {
		h = int(tip.Height) + 1
	}
	for ; h < n; h++ {
		if err := ix.Apply(blocks[h], int64(h)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	return ix
}

func openStore(t testing.TB, dir string, opt Options) *Store {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func syncT(t testing.TB, s *Store, ix *index.Index) {
	t.Helper()
	if err := s.Sync(ix, nil); err != nil {
		t.Fatal(err)
	}
}

func digest(t testing.TB, s *Store) [32]byte {
	t.Helper()
	d, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// truthMultiParty is an oracle classifier from the simulator's truth: the
// txs it made as CoinJoins (the real classifier is tested on its own).
func truthMultiParty(t testing.TB, simDir string, ix *index.Index) MultiPartyFunc {
	t.Helper()
	multi := map[uint64]bool{}
	err := sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type != "tx" {
			return nil
		}
		switch r.Kind {
		case "coinjoin:wasabi1", "coinjoin:wasabi2", "coinjoin:whirlpool", "coinjoin:joinmarket":
			h, err := chainhash.NewHashFromStr(r.Txid)
			if err != nil {
				return err
			}
			if n, ok := ix.TxNumOf(*h); ok {
				multi[n] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(_ index.Graph, tx uint64) bool { return multi[tx] }
}
