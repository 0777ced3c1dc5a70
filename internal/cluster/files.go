package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// recFile is an append-only file of fixed-width records read through a
// read-only shared memory map. Records appended since the last commit live
// in buf; cutting below the file only lowers fileN (the bytes stay until a
// commit has recorded the shorter length).
type recFile struct {
	name  string
	width int
	f     *os.File
	mm    []byte
	fileN uint64 // logical records in the file
	diskN uint64 // physical records in the file
	buf   []byte
}

func openRecFile(dir, name string, width int) (*recFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return &recFile{name: name, width: width, f: f}, nil
}

// recover truncates the file to n committed records and maps it.
func (c *recFile) recover(n uint64) error {
	st, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", c.name, err)
	}
	want := int64(n) * int64(c.width)
	if st.Size() < want {
		return fmt.Errorf("%s holds %d bytes, the checkpoint needs %d (%d records of %d bytes): the cluster store is damaged; run cluster --rebuild",
			c.name, st.Size(), want, n, c.width)
	}
	if st.Size() > want {
		if err := c.f.Truncate(want); err != nil {
			return fmt.Errorf("truncate %s: %w", c.name, err)
		}
		if err := c.f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", c.name, err)
		}
	}
	c.fileN, c.diskN, c.buf = n, n, c.buf[:0]
	return c.remap()
}

func (c *recFile) remap() error {
	if c.mm != nil {
		if err := syscall.Munmap(c.mm); err != nil {
			return fmt.Errorf("unmap %s: %w", c.name, err)
		}
		c.mm = nil
	}
	size := int(c.diskN) * c.width
	if size == 0 {
		return nil
	}
	size = (2*size + mapAlign - 1) / mapAlign * mapAlign
	mm, err := syscall.Mmap(int(c.f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map %s (%d bytes): %w", c.name, size, err)
	}
	c.mm = mm
	return nil
}

const mapAlign = 1 << 20

func (c *recFile) close() error {
	var errs []error
	if c.mm != nil {
		errs = append(errs, syscall.Munmap(c.mm))
		c.mm = nil
	}
	errs = append(errs, c.f.Close())
	return errors.Join(errs...)
}

func (c *recFile) len() uint64 { return c.fileN + uint64(len(c.buf)/c.width) }

// rec returns record i (aliasing the map or the buffer).
func (c *recFile) rec(i uint64) []byte {
	w := uint64(c.width)
	if i < c.fileN {
		return c.mm[i*w : i*w+w : i*w+w]
	}
	o := (i - c.fileN) * w
	return c.buf[o : o+w : o+w]
}

// add appends one zeroed record and returns it.
func (c *recFile) add() []byte {
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

// cut shortens the file to n records.
func (c *recFile) cut(n uint64) {
	if n >= c.fileN {
		c.buf = c.buf[:(n-c.fileN)*uint64(c.width)]
		return
	}
	c.buf = c.buf[:0]
	c.fileN = n
}

// cutIntoFile reports whether records of the file were cut since the last
// commit (such a cut must be committed before anything is appended).
func (c *recFile) cutIntoFile() bool { return c.fileN < c.diskN }

func (c *recFile) writeTail() error {
	if len(c.buf) == 0 {
		return nil
	}
	if c.fileN != c.diskN {
		return fmt.Errorf("%s: append at record %d over %d cut records", c.name, c.fileN, c.diskN)
	}
	if _, err := c.f.WriteAt(c.buf, int64(c.fileN)*int64(c.width)); err != nil {
		return fmt.Errorf("write %s: %w", c.name, err)
	}
	c.fileN += uint64(len(c.buf) / c.width)
	c.diskN = c.fileN
	c.buf = c.buf[:0]
	return nil
}

func (c *recFile) sync() error {
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", c.name, err)
	}
	return nil
}

// settle drops bytes past the logical end and maps any growth.
func (c *recFile) settle() error {
	if c.diskN > c.fileN {
		if err := c.f.Truncate(int64(c.fileN) * int64(c.width)); err != nil {
			return fmt.Errorf("truncate %s: %w", c.name, err)
		}
		c.diskN = c.fileN
	}
	if len(c.mm) < int(c.diskN)*c.width {
		return c.remap()
	}
	return nil
}

// 40-bit little-endian ids, as the index stores them.
func getU40(b []byte) uint64 {
	_ = b[4]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32
}

func putU40(b []byte, v uint64) {
	_ = b[4]
	b[0], b[1], b[2], b[3], b[4] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
