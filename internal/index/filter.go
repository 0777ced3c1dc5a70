package index

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// filter is a blocked Bloom filter over every txid and address key the
// index has held, in a memory-mapped file (filter.bloom). Apply asks it
// before a key-value look-up: "absent" is certain, so most look-ups of new
// addresses and of prevouts outside the index skip Pebble.
//
// Bits are only ever set. A bit set for data that is later undone or lost in
// a crash only costs a false positive; every commit syncs the filter before
// its checkpoint, so the filter always covers the committed data.
type filter struct {
	f      *os.File
	mm     []byte
	blocks uint64 // number of 64-byte blocks (a power of two)
	dirty  bool
}

const (
	filterName     = "filter.bloom"
	filterBlockLen = 64
	filterProbes   = 6
)

// openFilter maps dir/filter.bloom, creating it with size bytes (rounded
// down to a power of two, at least 64 KiB) when absent; created reports that
// it is new (and so must be filled from the columns).
func openFilter(dir string, size int64) (*filter, bool, error) {
	path := filepath.Join(dir, filterName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("stat %s: %w", path, err)
	}
	n := st.Size()
	created := false
	if n == 0 || n&(n-1) != 0 || n < 64<<10 {
		// New, or not a size this code writes (a torn creation): start over.
		n = 64 << 10
		for n*2 <= size {
			n *= 2
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("reset %s: %w", path, err)
		}
		if err := f.Truncate(n); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("size %s: %w", path, err)
		}
		created = true
	}
	mm, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("map %s: %w", path, err)
	}
	return &filter{f: f, mm: mm, blocks: uint64(n) / filterBlockLen}, created, nil
}

func (fl *filter) probe(h uint64) (block []byte, h2 uint64) {
	b := (h >> 7) & (fl.blocks - 1)
	return fl.mm[b*filterBlockLen : b*filterBlockLen+filterBlockLen], h * 0x9e3779b97f4a7c15
}

func (fl *filter) add(h uint64) {
	blk, h2 := fl.probe(h)
	for i := range filterProbes {
		bit := (h2 >> (9 * i)) & 511
		blk[bit>>3] |= 1 << (bit & 7)
	}
	fl.dirty = true
}

func (fl *filter) mayHave(h uint64) bool {
	blk, h2 := fl.probe(h)
	for i := range filterProbes {
		bit := (h2 >> (9 * i)) & 511
		if blk[bit>>3]&(1<<(bit&7)) == 0 {
			return false
		}
	}
	return true
}

// sync writes the filter's dirty pages to disk.
func (fl *filter) sync() error {
	if !fl.dirty {
		return nil
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&fl.mm[0])), uintptr(len(fl.mm)), syscall.MS_SYNC)
	if errno != 0 {
		return fmt.Errorf("sync %s: %w", filterName, errno)
	}
	fl.dirty = false
	return nil
}

func (fl *filter) close() error {
	err := syscall.Munmap(fl.mm)
	if cerr := fl.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (fl *filter) size() int64 { return int64(len(fl.mm)) }

// allocated returns the bytes the (sparse) filter file occupies on disk:
// pages no key has touched are never written.
func (fl *filter) allocated() int64 {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(fl.f.Fd()), &st); err != nil {
		return fl.size()
	}
	return st.Blocks * 512
}

// fill adds every committed txid and address key (for a new filter file).
func (ix *Index) fillFilter() error {
	for t := uint64(0); t < ix.txHash.len(); t++ {
		ix.filter.add(txHash64(ix.txHash.rec(t)))
	}
	for a := uint64(0); a < ix.addrOff.len(); a++ {
		ix.filter.add(addrHash(ix.addrKey(a)))
	}
	ix.filter.dirty = true
	return ix.filter.sync()
}
