package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// A column is an append-only file of fixed-width little-endian records, read
// through a shared read-only memory map. Records appended since the last
// commit live in buf and reach the file only inside commit, so a crash can
// leave at most a tail past the committed length, which Open truncates.
type column struct {
	name  string
	width int
	f     *os.File
	mm    []byte // read-only shared mapping of the file's first mapped bytes
	fileN uint64 // logical records held by the file
	diskN uint64 // records physically in the file (≥ fileN after an undo into the file)
	buf   []byte // records fileN… not yet written
	dirty bool   // file written since the last sync
	ro    bool   // opened read-only (f may be nil: no file yet)
}

func openColumn(dir, name string, width int) (*column, error) {
	f, err := os.OpenFile(filepath.Join(dir, name+".col"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open column %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat column %s: %w", name, err)
	}
	c := &column{name: name, width: width, f: f}
	c.diskN = uint64(st.Size()) / uint64(width)
	if uint64(st.Size())%uint64(width) != 0 {
		c.diskN++ // a torn record: recover truncates it
	}
	c.fileN = c.diskN
	return c, nil
}

// recover truncates the file to n committed records (anything past them was
// written by a commit that did not complete) and maps it.
func (c *column) recover(n uint64) error {
	st, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("stat column %s: %w", c.name, err)
	}
	want := int64(n) * int64(c.width)
	if st.Size() < want {
		return fmt.Errorf("column %s: file holds %d bytes, the checkpoint needs %d (%d records of %d bytes): the index is damaged",
			c.name, st.Size(), want, n, c.width)
	}
	// Bytes past the committed records (a commit that did not complete) are
	// not cut off: a reader in another process may map them (readonly.go);
	// the next appends overwrite them.
	c.fileN, c.diskN = n, n
	c.buf = c.buf[:0]
	return c.remap()
}

func (c *column) remap() error {
	if c.mm != nil {
		if err := syscall.Munmap(c.mm); err != nil {
			return fmt.Errorf("unmap column %s: %w", c.name, err)
		}
		c.mm = nil
	}
	size := int(c.diskN) * c.width
	if size == 0 {
		return nil
	}
	// Map twice the file (address space is cheap) so most commits that grow
	// the file need no new mapping; only bytes below the file's end are read.
	size = (2*size + mapAlign - 1) / mapAlign * mapAlign
	mm, err := syscall.Mmap(int(c.f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map column %s (%d bytes): %w", c.name, size, err)
	}
	c.mm = mm
	return nil
}

const mapAlign = 1 << 20

func (c *column) close() error {
	var errs []error
	if c.mm != nil {
		errs = append(errs, syscall.Munmap(c.mm))
		c.mm = nil
	}
	if c.f != nil {
		errs = append(errs, c.f.Close())
	}
	return errors.Join(errs...)
}

// len returns the number of logical records.
func (c *column) len() uint64 { return c.fileN + uint64(len(c.buf)/c.width) }

// rec returns record i; it must be < len. The slice aliases the map or the
// buffer: copy it before the next append or commit.
func (c *column) rec(i uint64) []byte {
	w := uint64(c.width)
	if i < c.fileN {
		return c.mm[i*w : i*w+w : i*w+w]
	}
	o := (i - c.fileN) * w
	return c.buf[o : o+w : o+w]
}

// add appends one zeroed record and returns it for filling.
func (c *column) add() []byte {
	n := len(c.buf)
	if cap(c.buf)-n < c.width {
		nb := make([]byte, n, 2*cap(c.buf)+c.width*1024)
		copy(nb, c.buf)
		c.buf = nb
	}
	c.buf = c.buf[:n+c.width]
	r := c.buf[n : n+c.width : n+c.width]
	clear(r)
	return r
}

// truncate shortens the column to n records. Cutting into the file only
// lowers fileN: the bytes stay until the next commit has recorded the
// shorter length, so the committed state survives a crash in between.
func (c *column) truncate(n uint64) {
	if n >= c.fileN {
		c.buf = c.buf[:(n-c.fileN)*uint64(c.width)]
		return
	}
	c.buf = c.buf[:0]
	c.fileN = n
}

// pendingBytes is the size of the unwritten tail.
func (c *column) pendingBytes() int { return len(c.buf) }

// writeTail appends buf to the file (not synced).
func (c *column) writeTail() error {
	if len(c.buf) == 0 {
		return nil
	}
	if c.fileN != c.diskN {
		return fmt.Errorf("column %s: append at record %d over %d uncommitted-undone records", c.name, c.fileN, c.diskN)
	}
	if _, err := c.f.WriteAt(c.buf, int64(c.fileN)*int64(c.width)); err != nil {
		return fmt.Errorf("write column %s: %w", c.name, err)
	}
	c.fileN += uint64(len(c.buf) / c.width)
	c.diskN = c.fileN
	c.buf = c.buf[:0]
	c.dirty = true
	return nil
}

// writeAt overwrites record i of the file (used for spend links).
func (c *column) writeAt(i uint64, r []byte) error {
	if _, err := c.f.WriteAt(r, int64(i)*int64(c.width)); err != nil {
		return fmt.Errorf("write column %s record %d: %w", c.name, i, err)
	}
	c.dirty = true
	return nil
}

func (c *column) sync() error {
	if !c.dirty {
		return nil
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync column %s: %w", c.name, err)
	}
	c.dirty = false
	return nil
}

// settle moves the file's committed end to the logical end (after an undo
// into the file has been committed) and maps any growth. The bytes past it
// stay (a reader in another process may map them) until appends overwrite
// them.
func (c *column) settle() error {
	if c.diskN > c.fileN {
		c.diskN = c.fileN
	}
	if len(c.mm) < int(c.diskN)*c.width {
		return c.remap()
	}
	return nil
}

func (c *column) size() int64 {
	st, err := c.f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

// Fixed-width integer helpers. Ids are 40-bit (5 bytes): 2^40 ≈ 1.1·10^12,
// over 300× the outputs of today's chain.
const (
	idWidth = 5
	maxID   = 1<<40 - 3
	// noID marks an unspent output, an output without an address, and an
	// input whose spent output is not in the index.
	noID = 1<<40 - 1
	// coinbaseID marks a coinbase input.
	coinbaseID = 1<<40 - 2
)

func getU40(b []byte) uint64 {
	_ = b[4]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32
}

func putU40(b []byte, v uint64) {
	_ = b[4]
	b[0], b[1], b[2], b[3], b[4] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32)
}

// putU40BE writes v big-endian, for Pebble keys that must sort numerically.
func putU40BE(b []byte, v uint64) {
	_ = b[4]
	b[0], b[1], b[2], b[3], b[4] = byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func getU40BE(b []byte) uint64 {
	_ = b[4]
	return uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
}

func (c *column) u40(i uint64) uint64   { return getU40(c.rec(i)) }
func (c *column) u64(i uint64) uint64   { return binary.LittleEndian.Uint64(c.rec(i)) }
func (c *column) addU40(v uint64)       { putU40(c.add(), v) }
func (c *column) addU64(v uint64)       { binary.LittleEndian.PutUint64(c.add(), v) }
func (c *column) addU8(v uint8)         { c.add()[0] = v }
func (c *column) u8(i uint64) uint8     { return c.rec(i)[0] }
func (c *column) inFile(i uint64) bool  { return i < c.fileN }
func (c *column) setBufU40(i, v uint64) { putU40(c.rec(i), v) }

// span returns bytes [start, end) of a width-1 column.
func (c *column) span(start, end uint64) []byte {
	switch {
	case end <= c.fileN:
		return c.mm[start:end:end]
	case start >= c.fileN:
		return c.buf[start-c.fileN : end-c.fileN : end-c.fileN]
	}
	out := make([]byte, 0, end-start)
	out = append(out, c.mm[start:c.fileN]...)
	return append(out, c.buf[:end-c.fileN]...)
}

// appendBytes appends b to a width-1 column.
func (c *column) appendBytes(b []byte) { c.buf = append(c.buf, b...) }
