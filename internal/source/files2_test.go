package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func shared(t testing.TB, rel string) string {
	t.Helper()
	return testutil.SharedFile(t, filepath.Join("data", "btc", rel))
}

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func xorBytes(data, key []byte) []byte {
	out := bytes.Clone(data)
	for i := range out {
		out[i] ^= key[i%len(key)]
	}
	return out
}

func frame(magic wire.BitcoinNet, block []byte) []byte {
	var h [8]byte
	binary.LittleEndian.PutUint32(h[:4], uint32(magic))
	binary.LittleEndian.PutUint32(h[4:], uint32(len(block)))
	return append(h[:], block...)
}

func hashes(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Hash.String())
	}
	return out
}

// TestRawBlocks checks every one-block file against the MANIFEST.
func TestRawBlocks(t *testing.T) {
	tests := []struct {
		file    string
		hash    string
		net     *chaincfg.Params
		want    counts
		warning bool
	}{
		{"mainnet/169482.block", "0000000000000756935f1ee9d5987857b604046f846d3df56d024cdb5f368665", nil, counts{1, 14, 60, 231}, true},
		{"mainnet/227835.block", "00000000000001aa077d7aa84c532a4d69bdbff519609d1da0835261b7a74eb6", nil, counts{1, 122, 263, 229}, true},
		{"mainnet/227836.block", "00000000000000d0dfd4c9d588d325dce4f32c1b31b7c0064cba7025a9b9adcc", &chaincfg.MainNetParams, counts{1, 100, 191, 188}, false},
		{"mainnet/252860.block", "000000000000000ec6e641c32857ce4987411284f7fcd5d22bd569e2fc5c0f7b", &chaincfg.MainNetParams, counts{1, 615, 1119, 1401}, false},
		{"mainnet/300025.block", "0000000000000000821c4e0acc40f88bedbce3b73ba2358b5ade58a9022cc78c", &chaincfg.MainNetParams, counts{1, 461, 1428, 1226}, false},
		{"mainnet/363703.block", "0000000000000000011b2a4cb91b63886ffe0d2263fd17ac5a9b902a219e0a14", &chaincfg.MainNetParams, counts{1, 587, 3043, 1418}, false},
		{"mainnet/370661.block", "00000000000000001416a613602d73bbe5c79170fd8f39d509896b829cf9021e", &chaincfg.MainNetParams, counts{1, 708, 2006, 1823}, false},
		{"mainnet/383616.block", "00000000000000000aab6a2b34e979b09ca185584bd1aecf204f24d150ff55e9", &chaincfg.MainNetParams, counts{1, 1731, 3620, 4307}, false},
		{"mainnet/413567.block", "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069", &chaincfg.MainNetParams, counts{1, 1557, 4887, 3581}, false},
		{"mainnet/426884.block", "00000000000000000431d0ead6e0bd9f90ff0d469e9b05d51e3d04971f472973", &chaincfg.MainNetParams, counts{1, 409, 6032, 798}, false},
		{"mainnet/481815.block", "000000000000000000893c019d81f2d48ee33892c12428f3121bbd16ed6db926", &chaincfg.MainNetParams, counts{1, 2097, 4699, 4659}, false},
		{"mainnet/481829.block", "000000000000000000917cba69f69b758fe396c8e30ae97bbcf08c4eb975e726", &chaincfg.MainNetParams, counts{1, 2020, 5247, 5146}, false},
		{"mainnet/482683.block", "000000000000000000c238240ef6dcb26c37e75e16514e6ffc0aef7eee73e747", &chaincfg.MainNetParams, counts{1, 12, 52, 25}, false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			f, err := ScanFiles([]string{shared(t, tt.file)}, FileOptions{Network: tt.net})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := hashes(f.Entries()); len(got) != 1 || got[0] != tt.hash {
				t.Fatalf("hashes %v, want [%s]", got, tt.hash)
			}
			if c := countEntries(t, f, f.Entries()); c != tt.want {
				t.Errorf("counted %+v, MANIFEST says %+v", c, tt.want)
			}
			if f.Network() != &chaincfg.MainNetParams {
				t.Errorf("network %s", chain.NetworkName(f.Network()))
			}
			if got := len(f.Warnings()) > 0; got != tt.warning {
				t.Errorf("warnings %v, want some: %v", f.Warnings(), tt.warning)
			}
		})
	}
	// The testnet blocks: with the network given, consecutive ones link.
	f, err := ScanFiles([]string{shared(t, "testnet/928848.block"), shared(t, "testnet/928849.block"), shared(t, "testnet/700000.block")},
		FileOptions{Network: &chaincfg.TestNet3Params})
	if err != nil {
		t.Fatal(err)
	}
	es := f.Entries()
	if len(es) != 3 || es[1].Header.PrevBlock != es[0].Hash || f.Network() != &chaincfg.TestNet3Params || len(f.Warnings()) != 0 {
		t.Errorf("testnet raw blocks: %v, %v", hashes(es), f.Warnings())
	}
	for _, e := range es {
		b, err := f.ReadBlock(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.DecodeChecked(); err != nil {
			t.Error(err)
		}
	}
}

// TestFolderXOR builds a Core ≥ 28 blocks folder: obfuscated blk files,
// xor.dat, an undo file, and files numbered past 99999 to check numeric order.
func TestFolderXOR(t *testing.T) {
	b0 := readShared(t, "blkfiles/blk00000.dat")
	b1 := readShared(t, "blkfiles/blk00001.dat")
	rev := readShared(t, "blkfiles/rev00000.dat")
	key := []byte{0x8a, 0x01, 0xff, 0x00, 0x3c, 0x5a, 0xa5, 0x10}
	want := counts{600, 616, 625, 627}

	dir := t.TempDir()
	writeFile(t, dir, "blk99999.dat", xorBytes(b0, key))
	writeFile(t, dir, "blk100000.dat", xorBytes(b1, key))
	writeFile(t, dir, "rev99999.dat", xorBytes(rev, key))
	writeFile(t, dir, "xor.dat", key)
	f, err := ScanFiles([]string{dir}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := countEntries(t, f, f.Entries()); c != want {
		t.Errorf("xor'ed folder: counted %+v, MANIFEST says %+v", c, want)
	}
	if es := f.Entries(); es[0].Hash != *chaincfg.MainNetParams.GenesisHash || !strings.HasSuffix(es[300].File, "blk100000.dat") {
		t.Errorf("folder order: first %s, 301st in %s", es[0].Hash, es[300].File)
	}
	if len(f.Warnings()) != 0 {
		t.Errorf("warnings: %v", f.Warnings())
	}
	f.Close()

	// A single blk file beside its xor.dat is read with the key too.
	f, err = ScanFiles([]string{filepath.Join(dir, "blk100000.dat")}, FileOptions{})
	if err != nil || len(f.Entries()) != 300 {
		t.Errorf("single xor'ed blk file: %v", err)
	}

	// An explicit key overrides xor.dat (here: a file that is not xor'ed).
	plain := writeFile(t, dir, "blk00007.dat", b1)
	if _, err := ScanFiles([]string{plain}, FileOptions{}); err == nil {
		t.Error("plain file beside xor.dat read without error")
	}
	f, err = ScanFiles([]string{plain}, FileOptions{XORKey: make([]byte, 8)})
	if err != nil || len(f.Entries()) != 300 {
		t.Errorf("zero explicit key: %v", err)
	}
	os.Remove(plain)

	// A wrong key: a FormatError at offset 0 hinting at the key.
	os.WriteFile(filepath.Join(dir, "xor.dat"), []byte{1, 2, 3, 4, 5, 6, 7, 8}, 0o644)
	_, err = ScanFiles([]string{dir}, FileOptions{})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != 0 || !strings.Contains(err.Error(), "obfuscation key") || !strings.HasSuffix(fe.File, "blk99999.dat") {
		t.Errorf("wrong key: %v", err)
	}
	// No key at all: the hint names xor.dat.
	os.Remove(filepath.Join(dir, "xor.dat"))
	_, err = ScanFiles([]string{dir}, FileOptions{})
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "xor.dat") {
		t.Errorf("missing key: %v", err)
	}
	// A key file of the wrong size.
	os.WriteFile(filepath.Join(dir, "xor.dat"), []byte{1, 2, 3}, 0o644)
	if _, err = ScanFiles([]string{dir}, FileOptions{}); !errors.As(err, &fe) || !strings.Contains(err.Error(), "3 bytes") {
		t.Errorf("short key: %v", err)
	}
	if _, err = ScanFiles([]string{dir}, FileOptions{XORKey: []byte{1}}); err == nil {
		t.Error("1-byte explicit key accepted")
	}
	// A zero key (Core with -blocksxor=0) is no obfuscation.
	dir2 := t.TempDir()
	writeFile(t, dir2, "blk00000.dat", b0)
	writeFile(t, dir2, "xor.dat", make([]byte, 8))
	if f, err := ScanFiles([]string{dir2}, FileOptions{}); err != nil || len(f.Entries()) != 300 {
		t.Errorf("zero xor.dat: %v", err)
	}
	// A folder without blk files.
	if _, err := ScanFiles([]string{t.TempDir()}, FileOptions{}); err == nil || !strings.Contains(err.Error(), "no blk") {
		t.Errorf("empty folder: %v", err)
	}
	// A Core data folder given instead of its blocks folder: the error names the latter.
	datadir := t.TempDir()
	if err := os.Mkdir(filepath.Join(datadir, "blocks"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(datadir, "blocks"), "blk00000.dat", b0)
	if _, err := ScanFiles([]string{datadir}, FileOptions{}); err == nil || !strings.Contains(err.Error(), "give its blocks folder: "+filepath.Join(datadir, "blocks")) {
		t.Errorf("Core data folder: %v", err)
	}
	if _, err := ScanFiles(nil, FileOptions{}); err == nil {
		t.Error("no paths accepted")
	}
	if _, err := ScanFiles([]string{filepath.Join(dir2, "missing.dat")}, FileOptions{}); err == nil {
		t.Error("missing file accepted")
	}
}

// TestPaddingAndJunk: zeros end a file; bytes after the zeros are a warning.
func TestPaddingAndJunk(t *testing.T) {
	b := readShared(t, "blkfiles/blk_0_to_4.dat")
	dir := t.TempDir()
	padded := append(bytes.Clone(b), make([]byte, 100000)...)
	f, err := ScanFiles([]string{writeFile(t, dir, "padded.dat", padded)}, FileOptions{})
	if err != nil || len(f.Entries()) != 5 || len(f.Warnings()) != 0 {
		t.Fatalf("padded: %v %v", err, f.Warnings())
	}
	junk := append(bytes.Clone(padded), 0x42)
	f, err = ScanFiles([]string{writeFile(t, dir, "junk.dat", junk)}, FileOptions{})
	var fe *FormatError
	if err != nil || len(f.Entries()) != 5 || len(f.Warnings()) != 1 || !errors.As(f.Warnings()[0], &fe) || fe.Offset != int64(len(padded)) {
		t.Fatalf("junk after padding: %v %v", err, f.Warnings())
	}
	// A file of zeros only holds no blocks: nothing to ingest is an error
	// that says what was read.
	_, err = ScanFiles([]string{writeFile(t, dir, "zeros.dat", make([]byte, 4096))}, FileOptions{})
	if !errors.Is(err, ErrNoBlocks) || !strings.Contains(err.Error(), "1 zero-filled") || !strings.Contains(err.Error(), "zero padding only") {
		t.Fatalf("zeros: %v", err)
	}
	_, err = ScanFiles([]string{writeFile(t, dir, "empty.dat", nil)}, FileOptions{})
	if !errors.Is(err, ErrNoBlocks) || !strings.Contains(err.Error(), "1 empty") {
		t.Fatalf("empty: %v", err)
	}
	// So is a blocks folder holding only preallocated files.
	zfolder := t.TempDir()
	writeFile(t, zfolder, "blk00000.dat", make([]byte, 1<<16))
	writeFile(t, zfolder, "blk00001.dat", make([]byte, 1<<16))
	writeFile(t, zfolder, "blk00002.dat", nil)
	if _, err := ScanFiles([]string{zfolder}, FileOptions{}); !errors.Is(err, ErrNoBlocks) || !strings.Contains(err.Error(), "3 file(s) read, 2 zero-filled (preallocated space), 1 empty") {
		t.Errorf("folder of zero-filled files: %v", err)
	}
	// In a blocks folder, Core's newest file may be empty or preallocated
	// zeros: that is normal, not worth a warning.
	folder := t.TempDir()
	writeFile(t, folder, "blk00000.dat", b)
	writeFile(t, folder, "blk00001.dat", make([]byte, 1<<20))
	writeFile(t, folder, "blk00002.dat", nil)
	var calls [][3]int
	f, err = ScanFiles([]string{folder}, FileOptions{Progress: func(done, total, blocks int) {
		calls = append(calls, [3]int{done, total, blocks})
	}})
	if err != nil || len(f.Entries()) != 5 || len(f.Warnings()) != 0 {
		t.Fatalf("folder with preallocated files: %v %v", err, f.Warnings())
	}
	if want := [][3]int{{1, 3, 5}, {2, 3, 5}, {3, 3, 5}}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
}

// TestMixedNetworks: a testnet3 block framed with its magic after mainnet blocks.
func TestMixedNetworks(t *testing.T) {
	dir := t.TempDir()
	tb := writeFile(t, dir, "testnet.dat", frame(wire.TestNet3, readShared(t, "testnet/700000.block")))
	mainFile := shared(t, "blkfiles/blk_0_to_4.dat")
	f, err := ScanFiles([]string{tb}, FileOptions{})
	if err != nil || f.Network() != &chaincfg.TestNet3Params || len(f.Entries()) != 1 {
		t.Fatalf("framed testnet block: %v", err)
	}
	_, err = ScanFiles([]string{mainFile, tb}, FileOptions{})
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.HasSuffix(fe.File, "testnet.dat") || !strings.Contains(err.Error(), "mixed networks") {
		t.Errorf("mixed: %v", err)
	}
	_, err = ScanFiles([]string{mainFile}, FileOptions{Network: chain.TestNet4Params})
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "testnet4") {
		t.Errorf("mainnet file as testnet4: %v", err)
	}
	// A raw file takes the network of framed files.
	f, err = ScanFiles([]string{shared(t, "testnet/928848.block"), tb}, FileOptions{})
	if err != nil || f.Network() != &chaincfg.TestNet3Params || len(f.Warnings()) != 0 {
		t.Errorf("raw + framed testnet: %v %v", err, f.Warnings())
	}
	// A raw regtest block without its network: mainnet is assumed, and the
	// proof-of-work limit refuses it with a hint.
	regGenesis := new(bytes.Buffer)
	chaincfg.RegressionNetParams.GenesisBlock.Serialize(regGenesis)
	rp := writeFile(t, dir, "regtest.block", regGenesis.Bytes())
	if _, err := ScanFiles([]string{rp}, FileOptions{}); !errors.As(err, &fe) || !strings.Contains(err.Error(), "give its network") {
		t.Errorf("raw regtest block as mainnet: %v", err)
	}
	if f, err := ScanFiles([]string{rp}, FileOptions{Network: &chaincfg.RegressionNetParams}); err != nil || len(f.Entries()) != 1 ||
		f.Entries()[0].Hash != *chaincfg.RegressionNetParams.GenesisHash {
		t.Errorf("raw regtest block: %v", err)
	}
	// The same block twice is listed once.
	f, err = ScanFiles([]string{mainFile, shared(t, "blkfiles/blk00000.dat")}, FileOptions{})
	if err != nil || len(f.Entries()) != 5+299 || len(f.Warnings()) != 1 {
		t.Errorf("duplicate genesis: %d entries, %v, %v", len(f.Entries()), err, f.Warnings())
	}
}

// TestNotBlocks: files that are not blocks give a FormatError at offset 0.
func TestNotBlocks(t *testing.T) {
	dir := t.TempDir()
	hdr := make([]byte, 200)
	for i := range hdr {
		hdr[i] = byte(i*7 + 3)
	}
	// A framed "block" whose header fails proof of work.
	fake := frame(wire.MainNet, append(hdr[:80:80], 0x00))
	for _, tt := range []struct{ name, path, want string }{
		{"reorgtest.hex", shared(t, "blkfiles/reorgtest.hex"), "bad magic"},
		{"rev00000.dat", shared(t, "blkfiles/rev00000.dat"), "implausible block size"},
		{"utxostore", shared(t, "mainnet/277647.utxostore"), "bad magic"},
		{"garbage", writeFile(t, dir, "garbage", hdr), "bad magic"},
		{"fake header", writeFile(t, dir, "fake.dat", fake), "proof of work"},
	} {
		_, err := ScanFiles([]string{tt.path}, FileOptions{})
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != tt.path || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a FormatError naming the file and %q", tt.name, err, tt.want)
		}
	}
}

// TestTruncationAndCorruption cuts and corrupts a framed file at every
// offset: ScanFiles never panics, stops cleanly at the last whole block or
// reports a FormatError, and every block it lists reads back (damaged bodies
// are caught by DecodeChecked).
func TestTruncationAndCorruption(t *testing.T) {
	full := readShared(t, "blkfiles/blk_0_to_4.dat")
	ref, err := ScanFiles([]string{shared(t, "blkfiles/blk_0_to_4.dat")}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ends := map[int]int{} // block end offset → blocks before it
	for i, e := range ref.Entries() {
		ends[int(e.Offset)+int(e.Size)] = i + 1
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "blk00000.dat")
	for n := 1; n <= len(full); n++ {
		os.WriteFile(p, full[:n], 0o644)
		f, err := ScanFiles([]string{p}, FileOptions{})
		whole, atEnd := ends[n]
		if !atEnd {
			for end, k := range ends {
				if end < n && k > whole {
					whole = k
				}
			}
		}
		if whole == 0 {
			// Not one whole block: nothing to ingest, said as an error.
			if !errors.Is(err, ErrNoBlocks) || !strings.Contains(err.Error(), "1 without a whole block") {
				t.Fatalf("cut at %d: %v, want ErrNoBlocks", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		if len(f.Entries()) != whole || (len(f.Warnings()) == 0) == !atEnd {
			t.Fatalf("cut at %d: %d blocks, warnings %v; want %d blocks, warning %v", n, len(f.Entries()), f.Warnings(), whole, !atEnd)
		}
		countEntries(t, f, f.Entries())
	}
	step := 1
	if testing.Short() {
		step = 7
	}
	for off := 0; off < len(full); off += step {
		for _, x := range [][]byte{{0x01}, {0x80}, {0xff}}[off%3] {
			c := bytes.Clone(full)
			c[off] ^= x
			os.WriteFile(p, c, 0o644)
			for _, resync := range []bool{false, true} {
				f, err := ScanFiles([]string{p}, FileOptions{Resync: resync})
				if err != nil {
					var fe *FormatError
					if !errors.As(err, &fe) {
						t.Fatalf("corrupt byte %d: error is not a FormatError: %v", off, err)
					}
					continue
				}
				for _, e := range f.Entries() {
					b, err := f.ReadBlock(e)
					if err != nil {
						t.Fatalf("corrupt byte %d: ReadBlock of a listed block: %v", off, err)
					}
					m, _, err := b.DecodeChecked()
					if err == nil && m.BlockHash() != e.Hash {
						t.Fatalf("corrupt byte %d: wrong block", off)
					}
					// Damage inside a body must not pass DecodeChecked unless
					// the block is one of the originals.
					if err == nil && int64(off) >= e.Offset && int64(off) < e.Offset+int64(e.Size) {
						t.Fatalf("corrupt byte %d inside block %s passed DecodeChecked", off, e.Hash)
					}
				}
			}
		}
	}
}

func FuzzScanFiles(f *testing.F) {
	f.Add(readShared(f, "blkfiles/blk_0_to_4.dat"))
	f.Add(readShared(f, "blkfiles/blk_4A.dat"))
	f.Add(readShared(f, "blkfiles/rev00000.dat"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "blk00000.dat")
		os.WriteFile(p, data, 0o644)
		for _, resync := range []bool{false, true} {
			fs, err := ScanFiles([]string{p}, FileOptions{Resync: resync})
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error is not a FormatError: %v", err)
				}
				continue
			}
			for _, e := range fs.Entries() {
				b, err := fs.ReadBlock(e)
				if err != nil {
					t.Fatalf("ReadBlock of a listed block: %v", err)
				}
				b.DecodeChecked()
			}
			fs.Close()
		}
	})
}
