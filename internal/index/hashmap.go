package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// htable is an on-disk open-addressing hash table from a key's 64-bit hash to
// a 40-bit value (a tx number, an address id), memory-mapped from one file.
// It stores no keys: each 8-byte slot holds a 24-bit tag (the hash's low 24
// bits, never 0) above the value, 0 marks an empty slot, and a key's home
// slot is its hash's top bits. Probing is linear. A tag match is only a
// candidate: the caller confirms it against the columns (the key stored for
// that value), so a slot left behind by an undo or a crash is harmless.
//
// Slots are only ever filled, never moved or emptied in place, so a reader
// probing the file beside the writer (another process's mapping) sees every
// entry written before the commit it reads up to. Growth writes the doubled
// table to a new file in one pass over the old slots in order (with the home
// taken from the top hash bits, old slot i's entries land near new slot 2i,
// so the new file is written almost sequentially) and renames it over the
// old one; mappings of the old file stay valid, and a reader moves to the
// new file when it refreshes its view.
//
// File layout: a 4096-byte header (magic, log2 of the slot count, occupied
// slots, generation; little-endian), then 2^log slots of 8 bytes.
type htable struct {
	path  string
	f     *os.File
	mm    []byte
	slots []uint64
	log   uint
	count uint64 // occupied slots (live and stale)
	limit uint64 // grow when count would pass it
	gen   uint64
	ino   uint64
	ro    bool
	dirty bool
	// hashOf returns the hash of the key of value v, false when v is not a
	// live value (growth drops such slots, and slots whose tag differs).
	hashOf func(v uint64) (uint64, bool)
}

const (
	htMagic     = "CTHMAP01"
	htHeaderLen = 4096
	htValMask   = 1<<40 - 1
	htMinLog    = 12 // 4096 slots (32 KiB) for a new table
)

// htMaxLoad is the share of occupied slots past which the table doubles
// (so the load stays between htMaxLoad/2 and htMaxLoad). See docs/scale.md
// for the measurement behind it (BenchmarkHTableLoad).
var htMaxLoad = 0.7

func htTag(h uint64) uint64 {
	t := h & (1<<24 - 1)
	if t == 0 {
		t = 1
	}
	return t << 40
}

func (t *htable) home(h uint64) uint64 { return h >> (64 - t.log) }
func (t *htable) mask() uint64         { return uint64(len(t.slots)) - 1 }

// htProbe walks the probe run of one hash, yielding the values whose tag
// matches.
type htProbe struct {
	i, tag uint64
	n      uint64 // slots looked at (a full table cannot loop forever)
}

func (t *htable) probe(h uint64) htProbe {
	if t == nil || len(t.slots) == 0 {
		return htProbe{n: ^uint64(0)}
	}
	return htProbe{i: t.home(h), tag: htTag(h)}
}

// next returns the next candidate value of p's run, false at its end.
func (t *htable) next(p *htProbe) (uint64, bool) {
	if p.n == ^uint64(0) {
		return 0, false
	}
	m := t.mask()
	for ; p.n <= m; p.n++ {
		s := atomic.LoadUint64(&t.slots[p.i])
		p.i = (p.i + 1) & m
		if s == 0 {
			p.n = ^uint64(0)
			return 0, false
		}
		if s&^htValMask == p.tag {
			p.n++
			return s & htValMask, true
		}
	}
	p.n = ^uint64(0)
	return 0, false
}

// insert adds h → v (a no-op when that exact slot is already there), growing
// the table first when it is full.
func (t *htable) insert(h, v uint64) error {
	if t.count+1 > t.limit {
		if err := t.grow(); err != nil {
			return err
		}
	}
	added, full := t.put(h, v)
	if full {
		// The count was behind the slots (a power loss can leave the
		// header's older than the slots' pages): recount and double.
		t.recount()
		if err := t.grow(); err != nil {
			return err
		}
		if added, full = t.put(h, v); full {
			return fmt.Errorf("%s: no empty slot in 2^%d after doubling: damaged table, remove it to rebuild it", t.path, t.log)
		}
	}
	if added {
		t.count++
		// The header's count is kept current (a killed process leaves it
		// right in the page cache); Open recounts after an unclean stop.
		binary.LittleEndian.PutUint64(t.mm[16:], t.count)
		t.dirty = true
	}
	return nil
}

// put stores h → v in the first empty slot of its run; added is false when
// the same slot value is already in the run, full when no slot is empty.
func (t *htable) put(h, v uint64) (added, full bool) {
	want := htTag(h) | v
	m := t.mask()
	i := t.home(h)
	for range len(t.slots) {
		switch s := t.slots[i]; s {
		case want:
			return false, false
		case 0:
			atomic.StoreUint64(&t.slots[i], want)
			return true, false
		}
		i = (i + 1) & m
	}
	return false, true
}

// recount sets the count of occupied slots from the slots themselves (after
// an unclean stop the header's may be behind them).
func (t *htable) recount() {
	n := uint64(0)
	for _, s := range t.slots {
		if s != 0 {
			n++
		}
	}
	t.count = n
	binary.LittleEndian.PutUint64(t.mm[16:], n)
}

func htSize(log uint) int64 { return htHeaderLen + 8<<log }

func htLimit(log uint) uint64 { return uint64(float64(uint64(1)<<log) * htMaxLoad) }

// openHTable maps the table at path for writing, creating an empty one
// (through a temporary file and a rename: a reader may map the old one) when
// it is absent or not a file this code wrote, sized for expect entries at
// half the maximum load; created reports that.
func openHTable(path string, hashOf func(uint64) (uint64, bool), expect uint64) (t *htable, created bool, err error) {
	_ = os.Remove(path + ".tmp") // a growth or creation that died
	t, err = mapHTable(path, false)
	if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, errHTBad) {
		return nil, false, err
	}
	if err != nil {
		log := uint(htMinLog)
		for float64(expect) > htMaxLoad/2*float64(uint64(1)<<log) {
			log++
		}
		if err := writeHTable(path, log, 0, func(*htable) {}); err != nil {
			return nil, false, err
		}
		if t, err = mapHTable(path, false); err != nil {
			return nil, false, err
		}
		created = true
	}
	t.hashOf = hashOf
	return t, created, nil
}

var errHTBad = errors.New("not a hash table file")

// mapHTable maps an existing table file (read-only for a reader's view).
func mapHTable(path string, ro bool) (*htable, error) {
	flag, prot := os.O_RDWR, syscall.PROT_READ|syscall.PROT_WRITE
	if ro {
		flag, prot = os.O_RDONLY, syscall.PROT_READ
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	var hdr [32]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil || string(hdr[:8]) != htMagic {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, errHTBad)
	}
	log := uint(binary.LittleEndian.Uint64(hdr[8:]))
	if log < 1 || log > 48 || st.Size() != htSize(log) {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes for 2^%d slots: %w", path, st.Size(), log, errHTBad)
	}
	mm, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), prot, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	t := &htable{path: path, f: f, mm: mm, log: log, ro: ro, limit: htLimit(log)}
	t.slots = unsafe.Slice((*uint64)(unsafe.Pointer(&mm[htHeaderLen])), 1<<log)
	t.count = binary.LittleEndian.Uint64(hdr[16:])
	t.gen = binary.LittleEndian.Uint64(hdr[24:])
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		t.ino = sys.Ino
	}
	return t, nil
}

// writeHTable creates path (through path.tmp, synced, then renamed) as a
// table of 2^log slots filled by fill.
func writeHTable(path string, log uint, gen uint64, fill func(*htable)) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Truncate(htSize(log)); err != nil {
		return fail(fmt.Errorf("size %s: %w", tmp, err))
	}
	mm, err := syscall.Mmap(int(f.Fd()), 0, int(htSize(log)), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fail(fmt.Errorf("map %s: %w", tmp, err))
	}
	nt := &htable{mm: mm, log: log, gen: gen}
	nt.slots = unsafe.Slice((*uint64)(unsafe.Pointer(&mm[htHeaderLen])), 1<<log)
	fill(nt)
	copy(mm, htMagic)
	binary.LittleEndian.PutUint64(mm[8:], uint64(log))
	binary.LittleEndian.PutUint64(mm[16:], nt.count)
	binary.LittleEndian.PutUint64(mm[24:], gen)
	err = msync(mm)
	if uerr := syscall.Munmap(mm); err == nil {
		err = uerr
	}
	if err != nil {
		return fail(fmt.Errorf("write %s: %w", tmp, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// grow doubles the table: one pass over the old slots, starting after an
// empty one (so each run is met from its start), drops stale slots and
// re-inserts the rest by their key's hash, one bit longer.
func (t *htable) grow() error {
	if t.ro {
		return errReadOnly
	}
	m := t.mask()
	start := uint64(0)
	for start <= m && t.slots[start] != 0 {
		start++
	}
	err := writeHTable(t.path, t.log+1, t.gen+1, func(nt *htable) {
		for k := uint64(0); k <= m; k++ {
			s := t.slots[(start+k)&m]
			if s == 0 {
				continue
			}
			v := s & htValMask
			h, ok := t.hashOf(v)
			if !ok || htTag(h) != s&^htValMask {
				continue
			}
			if added, _ := nt.put(h, v); added {
				nt.count++
			}
		}
	})
	if err != nil {
		return err
	}
	nt, err := mapHTable(t.path, false)
	if err != nil {
		return err
	}
	nt.hashOf = t.hashOf
	old := *t
	*t = *nt
	_ = old.unmap()
	return nil
}

// sync writes the table's dirty pages (and its header's count) to disk.
func (t *htable) sync() error {
	if t == nil || !t.dirty {
		return nil
	}
	binary.LittleEndian.PutUint64(t.mm[16:], t.count)
	if err := msync(t.mm); err != nil {
		return fmt.Errorf("sync %s: %w", t.path, err)
	}
	t.dirty = false
	return nil
}

// replaced reports whether path now holds another file than the mapped one
// (the writer grew the table).
func (t *htable) replaced() bool {
	st, err := os.Stat(t.path)
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && sys.Ino != t.ino
}

func (t *htable) unmap() error {
	if t == nil || t.mm == nil {
		return nil
	}
	if !t.ro {
		binary.LittleEndian.PutUint64(t.mm[16:], t.count)
	}
	err := syscall.Munmap(t.mm)
	t.mm, t.slots = nil, nil
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *htable) close() error { return t.unmap() }

func (t *htable) size() int64 {
	if t == nil {
		return 0
	}
	return int64(len(t.mm))
}

func msync(mm []byte) error {
	if len(mm) == 0 {
		return nil
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&mm[0])), uintptr(len(mm)), syscall.MS_SYNC)
	if errno != 0 {
		return errno
	}
	return nil
}
