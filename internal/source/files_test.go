package source

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// counts tallies what the MANIFEST reports for a set of blocks.
type counts struct{ blocks, txs, inputs, outputs int }

func countEntries(t *testing.T, f *Files, entries []Entry) counts {
	t.Helper()
	var c counts
	for _, e := range entries {
		b, err := f.ReadBlock(e)
		if err != nil {
			t.Fatal(err)
		}
		m, err := b.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if m.BlockHash() != e.Hash {
			t.Fatalf("%s: decoded hash %s, entry %s", b.Origin, m.BlockHash(), e.Hash)
		}
		c.blocks++
		c.txs += len(m.Transactions)
		for _, tx := range m.Transactions {
			c.inputs += len(tx.TxIn)
			c.outputs += len(tx.TxOut)
		}
	}
	return c
}

// TestManifestBlkFiles checks every framed file against the figures of
// ../shared/data/btc/MANIFEST.md.
func TestManifestBlkFiles(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "data", "btc", "blkfiles")
	tests := []struct {
		files      []string
		want       counts
		first      string // hash of the first block, when the MANIFEST gives it
		last       string
		paddingEnd bool
	}{
		{files: []string{"blk_0_to_14131.dat"}, want: counts{14132, 14247, 14997, 14282},
			first: chaincfg.MainNetParams.GenesisHash.String(),
			last:  "00000000b3e750f37fdb42e1018799a9f44b546d393b130b369590a072430a1c"},
		{files: []string{"blocks1-256.dat"}, want: counts{255, 262, 262, 267}},
		{files: []string{"blk_0_to_4.dat"}, want: counts{5, 9, 9, 10},
			first: chaincfg.MainNetParams.GenesisHash.String(),
			last:  "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"},
		{files: []string{"blk00000.dat"}, want: counts{300, 307, 307, 312}, first: chaincfg.MainNetParams.GenesisHash.String()},
		{files: []string{"blk00001.dat"}, want: counts{300, 309, 318, 315}},
		{files: []string{"blk00000.dat", "blk00001.dat"}, want: counts{600, 616, 625, 627}},
		{files: []string{"blk_277647.dat"}, want: counts{1, 213, 733, 769},
			first: "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8"},
		{files: []string{"blk_3A.dat"}, want: counts{1, 3, 3, 3}},
		{files: []string{"blk_4A.dat"}, want: counts{1, 1, 1, 1}},
		{files: []string{"blk_5A.dat"}, want: counts{1, 2, 2, 2},
			last: "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.files, "+"), func(t *testing.T) {
			var paths []string
			for _, f := range tt.files {
				paths = append(paths, filepath.Join(dir, f))
			}
			f, err := ScanFiles(paths, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if chain.NetworkName(f.Network()) != "mainnet" {
				t.Errorf("network %s, want mainnet", chain.NetworkName(f.Network()))
			}
			if len(f.Warnings()) != 0 {
				t.Errorf("warnings: %v", f.Warnings())
			}
			es := f.Entries()
			got := countEntries(t, f, es)
			if got != tt.want {
				t.Errorf("counted %+v, MANIFEST says %+v", got, tt.want)
			}
			if tt.first != "" && es[0].Hash.String() != tt.first {
				t.Errorf("first block %s, want %s", es[0].Hash, tt.first)
			}
			if tt.last != "" && es[len(es)-1].Hash.String() != tt.last {
				t.Errorf("last block %s, want %s", es[len(es)-1].Hash, tt.last)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "data", "btc", "blkfiles")
	// incompleteblk.dat is blk00001.dat, one stray zero byte, one more
	// whole block and zero padding. By default: a clear error at the stray
	// byte; with Resync: the 301 blocks and a warning naming the offset.
	_, err := ScanFiles([]string{filepath.Join(dir, "incompleteblk.dat")}, FileOptions{})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != 70449 || !strings.HasSuffix(fe.File, "incompleteblk.dat") || !errors.Is(err, ErrStrayBytes) {
		t.Fatalf("incompleteblk.dat: error %v, want a FormatError at offset 70449", err)
	}
	t.Logf("incompleteblk.dat: %v", err)
	f, err := ScanFiles([]string{filepath.Join(dir, "incompleteblk.dat")}, FileOptions{Resync: true})
	if err != nil {
		t.Fatalf("incompleteblk.dat with Resync: %v", err)
	}
	// The block after the stray byte is a copy of one already in the file.
	if len(f.Warnings()) != 2 || !errors.As(f.Warnings()[0], &fe) || fe.Offset != 70449 ||
		!errors.As(f.Warnings()[1], &fe) || fe.Offset != 70450 || !strings.Contains(fe.Error(), "more than once") {
		t.Fatalf("incompleteblk.dat with Resync: warnings %v, want garbage at 70449 and a duplicate at 70450", f.Warnings())
	}
	if n := len(f.Entries()); n != 300 {
		t.Errorf("incompleteblk.dat with Resync: %d blocks, want the 300 of blk00001.dat", n)
	}
	countEntries(t, f, f.Entries())

	_, err = ScanFiles([]string{filepath.Join(dir, "rev00000.dat")}, FileOptions{})
	if !errors.As(err, &fe) || fe.Offset != 0 {
		t.Errorf("rev00000.dat: error %v, want a FormatError at offset 0", err)
	}
	t.Logf("rev00000.dat: %v", err)
}

// TestForkFiles checks the links the MANIFEST states for the competing
// branch blk_3A/4A/5A.dat of blk_0_to_4.dat.
func TestForkFiles(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "data", "btc", "blkfiles")
	var paths []string
	for _, n := range []string{"blk_0_to_4.dat", "blk_3A.dat", "blk_4A.dat", "blk_5A.dat"} {
		paths = append(paths, filepath.Join(dir, n))
	}
	f, err := ScanFiles(paths, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	es := f.Entries()
	if len(es) != 8 || len(f.Warnings()) != 0 {
		t.Fatalf("%d blocks, warnings %v", len(es), f.Warnings())
	}
	main, fork := es[:5], es[5:]
	if !strings.HasPrefix(main[2].Hash.String(), "00000000952ccb1bf9b7") || fork[0].Header.PrevBlock != main[2].Hash {
		t.Errorf("3A's parent %s, want the height-2 block %s (00000000952ccb1bf9b7…)", fork[0].Header.PrevBlock, main[2].Hash)
	}
	for i := 1; i < 5; i++ {
		if main[i].Header.PrevBlock != main[i-1].Hash {
			t.Errorf("blk_0_to_4.dat: block %d does not link to block %d", i, i-1)
		}
	}
	if fork[1].Header.PrevBlock != fork[0].Hash || fork[2].Header.PrevBlock != fork[1].Hash {
		t.Error("4A/5A do not link to 3A/4A")
	}
	if fork[2].Hash.String() != "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e" {
		t.Errorf("5A = %s", fork[2].Hash)
	}
}
