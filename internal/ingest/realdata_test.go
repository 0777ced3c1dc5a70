package ingest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// facts are what MANIFEST.md says about a chain: the independent truth these tests check.
type facts struct {
	blocks, txs, inputs, outputs int64
	height                       int64
	hash                         string // "" when MANIFEST gives none
}

// manifestMainnet parses the mainnet/ table of MANIFEST.md: file | height | hash | txs | inputs | outputs.
func manifestMainnet(t *testing.T) map[string]facts {
	t.Helper()
	f, err := os.Open(testutil.SharedFile(t, "data/btc/MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]facts{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 8 || !strings.HasSuffix(strings.TrimSpace(cells[1]), ".block") {
			continue
		}
		num := func(i int) int64 {
			n, err := strconv.ParseInt(strings.TrimSpace(cells[i]), 10, 64)
			if err != nil {
				t.Fatalf("MANIFEST row %q: column %d: %v", sc.Text(), i, err)
			}
			return n
		}
		out[strings.TrimSpace(cells[1])] = facts{blocks: 1, height: num(2), hash: strings.TrimSpace(cells[3]), txs: num(4), inputs: num(5), outputs: num(6)}
	}
	if len(out) < 13 {
		t.Fatalf("parsed %d mainnet rows from MANIFEST.md, want 13", len(out))
	}
	return out
}

// ingestPaths scans paths and ingests them into the index under dir.
func ingestPaths(t *testing.T, dir string, net *chaincfg.Params, start *int64, paths ...string) (Summary, error) {
	t.Helper()
	files, err := source.ScanFiles(paths, source.FileOptions{Network: net, Logger: quietLogger(t)})
	if err != nil {
		return Summary{}, err
	}
	defer files.Close()
	ix, err := index.Open(dir, index.Options{Network: files.Network(), CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	side, err := OpenSideStore(SideDirIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	return Blocks(context.Background(), FromIndex(ix), FileCandidates(files),
		Options{Params: files.Network(), StartHeight: start, BlockHeight: chain.BlockHeight, Logger: quietLogger(t), Side: side})
}

// checkFacts reopens the index under dir and compares its stats and tip with want.
func checkFacts(t *testing.T, dir string, want facts) {
	t.Helper()
	ix, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	st := ix.Stats()
	got := facts{blocks: int64(st.Blocks), txs: int64(st.Txs), inputs: int64(st.Inputs), outputs: int64(st.Outputs)}
	tip, ok := ix.Tip()
	if !ok {
		t.Fatalf("index in %s is empty", dir)
	}
	got.height = tip.Height
	if want.hash != "" {
		got.hash = tip.Hash.String()
	}
	if got != want {
		t.Fatalf("index holds %+v, MANIFEST says %+v", got, want)
	}
}

func blk(t *testing.T, name string) string { return testutil.SharedFile(t, "data/btc/blkfiles/"+name) }

func TestRealBlockFiles(t *testing.T) {
	// Counts and hashes from the blkfiles/ table of MANIFEST.md.
	tests := []struct {
		name  string
		files []string
		want  facts
	}{
		{"blk_0_to_14131", []string{"blk_0_to_14131.dat"}, facts{14132, 14247, 14997, 14282, 14131, "00000000b3e750f37fdb42e1018799a9f44b546d393b130b369590a072430a1c"}},
		{"blocks1-256", []string{"blocks1-256.dat"}, facts{255, 262, 262, 267, 255, ""}},
		{"blk_0_to_4", []string{"blk_0_to_4.dat"}, facts{5, 9, 9, 10, 4, "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"}},
		{"blk00000+blk00001", []string{"blk00000.dat", "blk00001.dat"}, facts{600, 307 + 309, 307 + 318, 312 + 315, 599, ""}},
		{"blk00001+blk00000 (out of order)", []string{"blk00001.dat", "blk00000.dat"}, facts{600, 307 + 309, 307 + 318, 312 + 315, 599, ""}},
		{"blk_277647", []string{"blk_277647.dat"}, facts{1, 213, 733, 769, 277647, "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8"}},
		// A competing branch: 3A 4A 5A beat 3 4; the best chain holds 6 blocks, 10 txs, 10 inputs, 11 outputs.
		{"fork in one run", []string{"blk_0_to_4.dat", "blk_3A.dat", "blk_4A.dat", "blk_5A.dat"}, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"}},
		{"fork first", []string{"blk_5A.dat", "blk_4A.dat", "blk_3A.dat", "blk_0_to_4.dat"}, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.want.blocks > 1000 {
				t.Skip("short")
			}
			var paths []string
			for _, f := range tc.files {
				paths = append(paths, blk(t, f))
			}
			dir := t.TempDir()
			if _, err := ingestPaths(t, dir, nil, nil, paths...); err != nil {
				t.Fatal(err)
			}
			checkFacts(t, dir, tc.want)
			// Running it again changes nothing.
			s, err := ingestPaths(t, dir, nil, nil, paths...)
			if err != nil {
				t.Fatal(err)
			}
			if s.Applied != 0 || s.Undone != 0 {
				t.Fatalf("second run applied %d, undid %d", s.Applied, s.Undone)
			}
			checkFacts(t, dir, tc.want)
		})
	}
}

func TestRealReorgAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	if _, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat")); err != nil {
		t.Fatal(err)
	}
	checkFacts(t, dir, facts{5, 9, 9, 10, 4, "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"})
	s, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_3A.dat"), blk(t, "blk_4A.dat"), blk(t, "blk_5A.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Undone != 2 || s.Applied != 3 {
		t.Fatalf("undone %d applied %d, want a reorg of depth 2 then 3 blocks", s.Undone, s.Applied)
	}
	checkFacts(t, dir, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"})

	// The old branch again: it has less work, nothing changes.
	s, err = ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat"))
	if err != nil || s.Applied != 0 || s.Undone != 0 || s.Stale != 2 {
		t.Fatalf("old branch: %+v, %v", s, err)
	}
	checkFacts(t, dir, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"})

	// Each block of the side branch in its own run: 3A and 4A do not beat 3-4 (4A ties, and
	// the first seen wins) and are remembered; 5A, in a third run, reorganises onto them.
	dir = t.TempDir()
	if _, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat")); err != nil {
		t.Fatal(err)
	}
	tip4 := facts{5, 9, 9, 10, 4, "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"}
	for _, f := range []string{"blk_3A.dat", "blk_4A.dat"} {
		if s, err := ingestPaths(t, dir, nil, nil, blk(t, f)); err != nil || s.Applied != 0 || s.Stale != 1 {
			t.Fatalf("%s alone: %+v, %v", f, s, err)
		}
		checkFacts(t, dir, tip4)
	}
	side, err := OpenSideStore(SideDirIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	if n := side.Len(); n != 2 {
		t.Fatalf("side-block store holds %d blocks after 3A and 4A, want 2", n)
	}
	s, err = ingestPaths(t, dir, nil, nil, blk(t, "blk_5A.dat"))
	if err != nil || s.Undone != 2 || s.Applied != 3 {
		t.Fatalf("5A: %+v, %v; want 2 undone, 3 applied", s, err)
	}
	checkFacts(t, dir, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"})
	if n := side.Len(); n != 0 {
		t.Fatalf("side-block store holds %d blocks after the reorg, want 0", n)
	}

	// A block whose parent is in no run yet is remembered, not an error on later runs:
	// 5A alone is an orphan; 3A then 4A connect it.
	dir = t.TempDir()
	if _, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat")); err != nil {
		t.Fatal(err)
	}
	_, err = ingestPaths(t, dir, nil, nil, blk(t, "blk_5A.dat"))
	var oe *OrphanError
	if !errors.As(err, &oe) || oe.Count != 1 {
		t.Fatalf("5A alone: got %v, want an OrphanError over 1 block", err)
	}
	if s, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_3A.dat")); err != nil || s.Applied != 0 {
		t.Fatalf("3A after 5A: %+v, %v", s, err)
	}
	if s, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_4A.dat")); err != nil || s.Applied != 3 || s.Undone != 2 {
		t.Fatalf("4A after 5A and 3A: %+v, %v; want the reorg onto 5A", s, err)
	}
	checkFacts(t, dir, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"})
}

// failAfter is a Chain whose Apply fails (as a kill would stop it) after n blocks.
type failAfter struct {
	Chain
	n int
}

var errKilled = errors.New("killed")

func (c *failAfter) Apply(b *wire.MsgBlock, txids []chainhash.Hash, h int64) error {
	if c.n == 0 {
		return errKilled
	}
	c.n--
	return c.Chain.Apply(b, txids, h)
}

// Flush fails once killed: nothing applied after the last flush survives.
func (c *failAfter) Flush() error {
	if c.n == 0 {
		return errKilled
	}
	return c.Chain.Flush()
}

func TestRealReorgCrashResumes(t *testing.T) {
	dir := t.TempDir()
	if _, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat")); err != nil {
		t.Fatal(err)
	}
	files, err := source.ScanFiles([]string{blk(t, "blk_3A.dat"), blk(t, "blk_4A.dat"), blk(t, "blk_5A.dat")}, source.FileOptions{Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	side, err := OpenSideStore(SideDirIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Params: files.Network(), BlockHeight: chain.BlockHeight, Logger: quietLogger(t), Side: side}
	// The reorg dies after undoing 4 and 3 and applying 3A (never flushed): Close drops it.
	ix, err := index.Open(dir, index.Options{CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Blocks(context.Background(), &failAfter{FromIndex(ix), 1}, FileCandidates(files), opts)
	if !errors.Is(err, errKilled) {
		t.Fatalf("got %v, want the simulated kill", err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if ix, err = index.Open(dir, index.Options{}); err != nil {
		t.Fatal(err)
	}
	tip, _ := ix.Tip()
	ix.Close()
	if tip.Height != 2 {
		t.Fatalf("after the kill the tip is at height %d, want the fork point 2", tip.Height)
	}
	// The next run, given no blocks at all, finishes the reorg from the store.
	ix, err = index.Open(dir, index.Options{CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Resume(context.Background(), FromIndex(ix), opts)
	if cerr := ix.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || s.Applied != 3 {
		t.Fatalf("resume: %+v, %v", s, err)
	}
	checkFacts(t, dir, facts{6, 10, 10, 11, 5, "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"})
	if n := side.Len(); n != 0 {
		t.Fatalf("side-block store holds %d blocks after the resumed reorg, want 0", n)
	}
}

func TestRealOrphanAndTruncated(t *testing.T) {
	// blk_277647 has no parent in blk_0_to_4's chain: after 0..4 are applied it is reported.
	dir := t.TempDir()
	_, err := ingestPaths(t, dir, nil, nil, blk(t, "blk_0_to_4.dat"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ingestPaths(t, dir, nil, nil, blk(t, "blk_5A.dat"), blk(t, "blk_277647.dat"))
	var oe *OrphanError
	if !errors.As(err, &oe) || oe.Count != 2 {
		t.Fatalf("got %v, want an OrphanError over 2 blocks", err)
	}
	checkFacts(t, dir, facts{5, 9, 9, 10, 4, "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"})

	// Into an empty index, the genesis chain is applied and the unrelated block reported.
	dir = t.TempDir()
	_, err = ingestPaths(t, dir, nil, nil, blk(t, "blk_277647.dat"), blk(t, "blk_0_to_4.dat"))
	if !errors.As(err, &oe) || oe.Count != 1 || oe.Hash.String() != "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8" {
		t.Fatalf("got %v, want an OrphanError naming block 277647", err)
	}
	checkFacts(t, dir, facts{5, 9, 9, 10, 4, "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"})

	// Two unrelated chain starts without the genesis: a clear error, nothing applied.
	dir = t.TempDir()
	_, err = ingestPaths(t, dir, nil, nil, blk(t, "blocks1-256.dat"), blk(t, "blk_277647.dat"))
	if err == nil || !strings.Contains(err.Error(), "unknown parents") || !strings.Contains(err.Error(), "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8") {
		t.Fatalf("got %v, want an error naming both chain starts", err)
	}

	// incompleteblk.dat holds blk00001.dat's blocks (heights 300–599), then a stray byte and
	// a truncated copy of a block. Without resync the scan stops with an error naming the
	// file and offset and the index is unchanged; with resync (as Core's -reindex) the whole
	// blocks are indexed: blk00000.dat + blk00001.dat's counts from MANIFEST.
	dir = t.TempDir()
	file := blk(t, "incompleteblk.dat")
	if _, err := ingestPaths(t, dir, nil, nil, blk(t, "blk00000.dat")); err != nil {
		t.Fatal(err)
	}
	_, err = ingestPaths(t, dir, nil, nil, file)
	var fe *source.FormatError
	if !errors.As(err, &fe) || fe.File != file {
		t.Fatalf("got %v, want a FormatError naming %s", err, file)
	}
	checkFacts(t, dir, facts{300, 307, 307, 312, 299, ""})
	s, err := ingestResync(t, dir, file)
	if err != nil {
		t.Fatal(err)
	}
	if s.Applied != 300 {
		t.Fatalf("resync: applied %d blocks, want 300", s.Applied)
	}
	checkFacts(t, dir, facts{600, 307 + 309, 307 + 318, 312 + 315, 599, ""})
}

func ingestResync(t *testing.T, dir, file string) (Summary, error) {
	files, err := source.ScanFiles([]string{file}, source.FileOptions{Resync: true, Logger: quietLogger(t)})
	if err != nil {
		return Summary{}, err
	}
	defer files.Close()
	ix, err := index.Open(dir, index.Options{Network: files.Network(), CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	return Blocks(context.Background(), FromIndex(ix), FileCandidates(files), Options{Params: files.Network(), BlockHeight: chain.BlockHeight, Logger: quietLogger(t)})
}

func TestRealMainnetBlocks(t *testing.T) {
	want := manifestMainnet(t)
	for name, f := range want {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var start *int64
			_, err := ingestPaths(t, dir, nil, nil, testutil.SharedFile(t, "data/btc/mainnet/"+name))
			if err != nil && f.height < 227931 && strings.Contains(err.Error(), "--start-height") {
				// Before BIP34 activation (height 227,931) a coinbase need not carry its
				// height: the CLI asks for --start-height, as we do here.
				h := f.height
				start = &h
				_, err = ingestPaths(t, dir, nil, start, testutil.SharedFile(t, "data/btc/mainnet/"+name))
			}
			if err != nil {
				t.Fatal(err)
			}
			checkFacts(t, dir, f)
		})
	}
	// Two consecutive blocks into one index, one run after the other.
	// 227835 precedes BIP34 activation: its height comes from MANIFEST via --start-height.
	dir := t.TempDir()
	a, b := want["227835.block"], want["227836.block"]
	if _, err := ingestPaths(t, dir, nil, &a.height, testutil.SharedFile(t, "data/btc/mainnet/227835.block")); err != nil {
		t.Fatal(err)
	}
	if _, err := ingestPaths(t, dir, nil, nil, testutil.SharedFile(t, "data/btc/mainnet/227836.block")); err != nil {
		t.Fatal(err)
	}
	checkFacts(t, dir, facts{2, a.txs + b.txs, a.inputs + b.inputs, a.outputs + b.outputs, b.height, b.hash})
}

func TestRealTestnetBlocks(t *testing.T) {
	// Heights from the testnet/ table of MANIFEST.md.
	for _, tc := range []struct {
		files  []string
		blocks int64
		height int64
	}{
		{[]string{"700000.block"}, 1, 700000},
		{[]string{"928848.block"}, 1, 928848},
		{[]string{"928849.block", "928848.block"}, 2, 928849},
	} {
		t.Run(strings.Join(tc.files, "+"), func(t *testing.T) {
			var paths []string
			for _, f := range tc.files {
				paths = append(paths, testutil.SharedFile(t, "data/btc/testnet/"+f))
			}
			dir := t.TempDir()
			if _, err := ingestPaths(t, dir, &chaincfg.TestNet3Params, nil, paths...); err != nil {
				t.Fatal(err)
			}
			ix, err := index.Open(dir, index.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tip, _ := ix.Tip()
			st, net := ix.Stats(), ix.Network()
			ix.Close()
			if int64(st.Blocks) != tc.blocks || tip.Height != tc.height || net.Net != chaincfg.TestNet3Params.Net {
				t.Fatalf("blocks %d tip %d network %s", st.Blocks, tip.Height, net.Name)
			}
			// A mainnet ingest into this testnet index is refused by the index.
			_, err = index.Open(dir, index.Options{Network: &chaincfg.MainNetParams})
			if err == nil {
				t.Fatal("opening a testnet index as mainnet succeeded")
			}
		})
	}
}
