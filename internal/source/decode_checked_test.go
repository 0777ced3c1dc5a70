package source_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// TestDecodeCheckedRealBlocks compares the raw-byte txids with btcd's TxHash on every real block
// (legacy and segwit, mainnet and testnet), and checks that a damaged body is caught.
func TestDecodeCheckedRealBlocks(t *testing.T) {
	dir := testutil.SharedDir(t)
	var paths []string
	for _, pat := range []string{"data/btc/mainnet/*.block", "data/btc/testnet/*.block", "data/btc/blkfiles/blk00000.dat", "data/btc/blkfiles/blk_277647.dat"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		paths = append(paths, m...)
	}
	segwit := 0
	for _, p := range paths {
		opts := source.FileOptions{Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
		if strings.Contains(p, "testnet") {
			opts.Network = &chaincfg.TestNet3Params
		}
		files, err := source.ScanFiles([]string{p}, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range files.Entries() {
			b, err := files.ReadBlock(e)
			if err != nil {
				t.Fatal(err)
			}
			m, txids, err := b.DecodeChecked()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for i, tx := range m.Transactions {
				if tx.HasWitness() {
					segwit++
				}
				if txids[i] != tx.TxHash() {
					t.Fatalf("%s: tx %d: raw txid %s, TxHash %s", p, i, txids[i], tx.TxHash())
				}
			}
			var want wire.MsgBlock
			if err := want.Deserialize(bytes.NewReader(b.Raw)); err != nil || want.BlockHash() != m.BlockHash() {
				t.Fatalf("%s: decode differs: %v", p, err)
			}
		}
		files.Close()
	}
	if segwit < 1000 {
		t.Fatalf("only %d segwit txs checked", segwit)
	}

	// A flipped byte inside a transaction's output value: the merkle root no longer matches.
	files, err := source.ScanFiles([]string{testutil.SharedFile(t, "data/btc/mainnet/169482.block")}, source.FileOptions{Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	b, err := files.ReadBlock(files.Entries()[0])
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte(nil), b.Raw...)
	raw[len(raw)-10] ^= 1
	if _, _, err := (&source.Block{Raw: raw, Origin: "damaged"}).DecodeChecked(); err == nil || !strings.Contains(err.Error(), "merkle root") {
		t.Fatalf("damaged block: %v", err)
	}
	if _, _, err := (&source.Block{Raw: append(b.Raw[:len(b.Raw):len(b.Raw)], 0), Origin: "trailing"}).DecodeChecked(); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("trailing byte: %v", err)
	}
}
