// Package colfile holds append-only files of fixed-width records read through
// a read-only shared memory map. Records appended since the last commit stay
// in memory until WriteTail; the caller's checkpoint says how many records are
// committed, and Recover drops (or, with Options.Shrink, cuts off) the rest.
// A Journal keeps the old values of records a commit rewrites in place.
package colfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Options say how a file is named in errors and how it may be shortened.
type Options struct {
	// Label names the file in error messages (e.g. "column tx_hash").
	Label string
	// Damaged ends the message of a file shorter than its checkpoint
	// (e.g. "the index is damaged").
	Damaged string
	// Shrink cuts bytes past the committed end off the file in Recover and
	// Settle. Leave it off when readers in other processes may map the file:
	// the bytes then stay until appends overwrite them.
	Shrink bool
	// AlwaysSync makes Sync fsync even when nothing was written through
	// this File since the last Sync.
	AlwaysSync bool
}

// A File is one record file. Record slices alias the map or the buffer: copy
// them before the next append or commit.
type File struct {
	opt   Options
	width int
	f     *os.File
	mm    []byte // read-only shared mapping of the file's first bytes
	fileN uint64 // logical records held by the file
	diskN uint64 // records physically in the file (≥ fileN after a cut into the file)
	buf   []byte // records fileN… not yet written
	dirty bool   // file written since the last sync
}

// Open opens (creating) path for reading and writing. Call Recover before use.
func Open(path string, width int, opt Options) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", opt.Label, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", opt.Label, err)
	}
	c := &File{opt: opt, width: width, f: f}
	c.diskN = uint64(st.Size()) / uint64(width)
	if uint64(st.Size())%uint64(width) != 0 {
		c.diskN++ // a torn record: Recover drops it
	}
	c.fileN = c.diskN
	return c, nil
}

// OpenRO opens path read-only with a view of n records. A missing file is
// accepted when n is 0.
func OpenRO(path string, width int, n uint64, opt Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) && n == 0 {
			f = nil
		} else {
			return nil, fmt.Errorf("open %s: %w", opt.Label, err)
		}
	}
	c := &File{opt: opt, width: width, f: f}
	return c, c.ViewRO(n)
}

// ViewRO sets a read-only file's view to n records and maps them.
func (c *File) ViewRO(n uint64) error {
	if c.f == nil {
		if n > 0 {
			return fmt.Errorf("%s: missing, the checkpoint needs %d records: %s", c.opt.Label, n, c.opt.Damaged)
		}
		return nil
	}
	st, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", c.opt.Label, err)
	}
	if want := int64(n) * int64(c.width); st.Size() < want {
		return fmt.Errorf("%s: file holds %d bytes, the checkpoint needs %d: %s", c.opt.Label, st.Size(), want, c.opt.Damaged)
	}
	c.fileN, c.diskN = n, n
	if len(c.mm) >= int(n)*c.width && c.mm != nil {
		return nil
	}
	return c.Remap()
}

// Recover sets the file to n committed records (anything past them was
// written by a commit that did not complete) and maps it. Without Shrink the
// bytes past them stay: a reader elsewhere may map them; appends overwrite.
func (c *File) Recover(n uint64) error {
	st, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", c.opt.Label, err)
	}
	want := int64(n) * int64(c.width)
	if st.Size() < want {
		return fmt.Errorf("%s: file holds %d bytes, the checkpoint needs %d (%d records of %d bytes): %s",
			c.opt.Label, st.Size(), want, n, c.width, c.opt.Damaged)
	}
	if c.opt.Shrink && st.Size() > want {
		if err := c.f.Truncate(want); err != nil {
			return fmt.Errorf("truncate %s: %w", c.opt.Label, err)
		}
		if err := c.f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", c.opt.Label, err)
		}
	}
	c.fileN, c.diskN = n, n
	c.buf = c.buf[:0]
	return c.Remap()
}

// Remap maps the file's physical records afresh.
func (c *File) Remap() error {
	if c.mm != nil {
		if err := syscall.Munmap(c.mm); err != nil {
			return fmt.Errorf("unmap %s: %w", c.opt.Label, err)
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
		return fmt.Errorf("map %s (%d bytes): %w", c.opt.Label, size, err)
	}
	c.mm = mm
	return nil
}

const mapAlign = 1 << 20

// Close unmaps and closes the file.
func (c *File) Close() error {
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

// Len returns the number of logical records.
func (c *File) Len() uint64 { return c.fileN + uint64(len(c.buf)/c.width) }

// FileN returns the logical records held by the file (not the buffer).
func (c *File) FileN() uint64 { return c.fileN }

// DiskN returns the records physically in the file.
func (c *File) DiskN() uint64 { return c.diskN }

// CutIntoFile reports whether records of the file were cut since the last
// Settle (such a cut must be committed before anything is appended).
func (c *File) CutIntoFile() bool { return c.fileN < c.diskN }

// Dirty reports whether the file was written since the last Sync.
func (c *File) Dirty() bool { return c.dirty }

// Mapped returns the mapping (records below FileN are valid).
func (c *File) Mapped() []byte { return c.mm }

// Rec returns record i; it must be < Len.
func (c *File) Rec(i uint64) []byte {
	w := uint64(c.width)
	if i < c.fileN {
		return c.mm[i*w : i*w+w : i*w+w]
	}
	o := (i - c.fileN) * w
	return c.buf[o : o+w : o+w]
}

// Add appends one zeroed record and returns it for filling.
func (c *File) Add() []byte {
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

// Truncate shortens the file to n records. Cutting into the file only
// lowers FileN: the bytes stay until the next commit has recorded the
// shorter length, so the committed state survives a crash in between.
func (c *File) Truncate(n uint64) {
	if n >= c.fileN {
		c.buf = c.buf[:(n-c.fileN)*uint64(c.width)]
		return
	}
	c.buf = c.buf[:0]
	c.fileN = n
}

// PendingBytes is the size of the unwritten tail.
func (c *File) PendingBytes() int { return len(c.buf) }

// WriteTail appends the buffered records to the file (not synced).
func (c *File) WriteTail() error {
	if len(c.buf) == 0 {
		return nil
	}
	if c.fileN != c.diskN {
		return fmt.Errorf("%s: append at record %d over %d cut records", c.opt.Label, c.fileN, c.diskN)
	}
	if _, err := c.f.WriteAt(c.buf, int64(c.fileN)*int64(c.width)); err != nil {
		return fmt.Errorf("write %s: %w", c.opt.Label, err)
	}
	c.fileN += uint64(len(c.buf) / c.width)
	c.diskN = c.fileN
	c.buf = c.buf[:0]
	c.dirty = true
	return nil
}

// WriteAt overwrites the file from record i with b (whole records; not synced).
func (c *File) WriteAt(i uint64, b []byte) error {
	if _, err := c.f.WriteAt(b, int64(i)*int64(c.width)); err != nil {
		return fmt.Errorf("write %s record %d: %w", c.opt.Label, i, err)
	}
	c.dirty = true
	return nil
}

// Extend grows the file physically to n zeroed records (FileN stays).
func (c *File) Extend(n uint64) error {
	if err := c.f.Truncate(int64(n) * int64(c.width)); err != nil {
		return fmt.Errorf("extend %s: %w", c.opt.Label, err)
	}
	c.diskN = n
	c.dirty = true
	return nil
}

// SetFileN sets the logical records held by the file (≤ DiskN), for a
// caller that writes records with WriteAt; the buffer must be empty.
func (c *File) SetFileN(n uint64) { c.fileN = n }

// Sync fsyncs the file if it was written since the last Sync (always with
// Options.AlwaysSync).
func (c *File) Sync() error {
	if !c.dirty && !c.opt.AlwaysSync {
		return nil
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", c.opt.Label, err)
	}
	c.dirty = false
	return nil
}

// Settle moves the file's committed end to the logical end (after a cut
// into the file has been committed) and maps any growth. With Shrink the
// bytes past it are cut off; otherwise they stay until appends overwrite them.
func (c *File) Settle() error {
	if c.diskN > c.fileN {
		if c.opt.Shrink {
			if err := c.f.Truncate(int64(c.fileN) * int64(c.width)); err != nil {
				return fmt.Errorf("truncate %s: %w", c.opt.Label, err)
			}
		}
		c.diskN = c.fileN
	}
	if len(c.mm) < int(c.diskN)*c.width {
		return c.Remap()
	}
	return nil
}

// Size returns the file's size in bytes (0 if unknown).
func (c *File) Size() int64 {
	st, err := c.f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

// Span returns records [start, end) of a width-1 file.
func (c *File) Span(start, end uint64) []byte {
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

// AppendBytes appends b to a width-1 file.
func (c *File) AppendBytes(b []byte) { c.buf = append(c.buf, b...) }

// ReadAt reads record i from the file itself into dst (one record), also
// past a read-only File's view: records another process appended since.
func (c *File) ReadAt(i uint64, dst []byte) error {
	if c.f == nil {
		return fmt.Errorf("%s record %d: no file", c.opt.Label, i)
	}
	if _, err := c.f.ReadAt(dst[:c.width], int64(i)*int64(c.width)); err != nil {
		return fmt.Errorf("read %s record %d: %w", c.opt.Label, i, err)
	}
	return nil
}

// Width returns the record width in bytes.
func (c *File) Width() int { return c.width }
