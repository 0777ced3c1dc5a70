package source

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// splitFramed cuts a framed file into pieces of per blocks each.
func splitFramed(data []byte, per int) [][]byte {
	var out [][]byte
	start, n := 0, 0
	for off := 0; off+8 <= len(data); {
		if binary.LittleEndian.Uint32(data[off:]) == 0 {
			break
		}
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		off += 8 + size
		n++
		if n == per {
			out = append(out, data[start:off])
			start, n = off, 0
		}
	}
	return out // a last piece of fewer than per blocks is dropped
}

// TestReadBlockConcurrent reads every block of a folder of more files than
// ReadBlock keeps open, from several goroutines (run with -race).
func TestReadBlockConcurrent(t *testing.T) {
	data := readShared(t, "blkfiles/blk_0_to_14131.dat")
	per := 100
	if testing.Short() {
		per = 200
	}
	dir := t.TempDir()
	pieces := splitFramed(data, per)
	for i, p := range pieces {
		writeFile(t, dir, fmt.Sprintf("blk%05d.dat", i), p)
	}
	if len(pieces) <= maxOpenFiles {
		t.Fatalf("only %d files: eviction is not exercised", len(pieces))
	}
	f, err := ScanFiles([]string{dir}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	es := f.Entries()
	if len(es) != 14132-14132%per {
		t.Fatalf("%d blocks", len(es))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// Each goroutine walks the files in a different order.
			for i := range es {
				e := es[(i*7919+g*1231)%len(es)]
				b, err := f.ReadBlock(e)
				if err != nil {
					errs <- err
					return
				}
				if _, _, err := b.DecodeChecked(); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadBlock(es[0]); err == nil {
		t.Error("ReadBlock after Close succeeded")
	}
	if _, err := f.ReadBlock(Entry{File: filepath.Join(dir, "other.dat")}); err == nil {
		t.Error("ReadBlock of an unknown file succeeded")
	}
}

// BenchmarkScanFiles catalogs the 14,132 blocks (16 MiB) of blk_0_to_14131.dat.
func BenchmarkScanFiles(b *testing.B) {
	p := shared(b, "blkfiles/blk_0_to_14131.dat")
	b.SetBytes(16 << 20)
	for i := 0; i < b.N; i++ {
		f, err := ScanFiles([]string{p}, FileOptions{})
		if err != nil || len(f.Entries()) != 14132 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(14132*b.N)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkReadBlock reads and decodes (with the merkle check) blk_277647.dat's block.
func BenchmarkReadBlock(b *testing.B) {
	f, err := ScanFiles([]string{shared(b, "blkfiles/blk_277647.dat")}, FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := f.Entries()[0]
	b.SetBytes(int64(e.Size))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		blk, err := f.ReadBlock(e)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := blk.DecodeChecked(); err != nil {
			b.Fatal(err)
		}
	}
}
