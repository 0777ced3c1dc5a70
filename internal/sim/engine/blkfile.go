package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/wire"
)

// blkWriter appends framed blocks (network magic, little-endian size, block) to blkNNNNN.dat files in a
// folder, rolling to the next file when the current one would pass maxSize, as Bitcoin Core does.
type blkWriter struct {
	dir     string
	magic   uint32
	maxSize int64

	file    *os.File
	buf     *bufio.Writer
	num     int   // current file number
	size    int64 // bytes in the current file
	written int64 // bytes written over all files
}

// openBlkWriter creates dir (refusing one that holds anything) and opens blk00000.dat.
func openBlkWriter(dir string, magic wire.BitcoinNet, maxSize int64) (*blkWriter, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return nil, fmt.Errorf("engine: block folder %s is not empty (%d entries, e.g. %s): refusing to overwrite",
			dir, len(entries), entries[0].Name())
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("engine: block folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("engine: create block folder: %w", err)
	}
	w := &blkWriter{dir: dir, magic: uint32(magic), maxSize: maxSize, num: -1}
	if err := w.roll(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *blkWriter) path(n int) string { return filepath.Join(w.dir, fmt.Sprintf("blk%05d.dat", n)) }

// roll finishes the current file (flush, fsync, close) and creates the next one.
func (w *blkWriter) roll() error {
	if err := w.finish(); err != nil {
		return err
	}
	w.num++
	f, err := os.OpenFile(w.path(w.num), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("engine: create block file: %w", err)
	}
	w.file, w.size = f, 0
	if w.buf == nil {
		w.buf = bufio.NewWriterSize(f, 1<<20)
	} else {
		w.buf.Reset(f)
	}
	return nil
}

// finish flushes, syncs and closes the current file, if any.
func (w *blkWriter) finish() error {
	if w.file == nil {
		return nil
	}
	name := w.file.Name()
	err := w.buf.Flush()
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	w.file = nil
	if err != nil {
		return fmt.Errorf("engine: write block file %s: %w", name, err)
	}
	return nil
}

// writeBlock appends one framed block, given as consecutive parts of its serialization.
func (w *blkWriter) writeBlock(parts ...[]byte) error {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	if n > 0xffffffff {
		return fmt.Errorf("engine: block of %d bytes does not fit a blk file frame", n)
	}
	if w.size > 0 && w.size+8+n > w.maxSize {
		if err := w.roll(); err != nil {
			return err
		}
	}
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[0:], w.magic)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(n))
	if _, err := w.buf.Write(hdr[:]); err != nil {
		return fmt.Errorf("engine: write %s at offset %d: %w", w.path(w.num), w.size, err)
	}
	for _, p := range parts {
		if _, err := w.buf.Write(p); err != nil {
			return fmt.Errorf("engine: write %s at offset %d: %w", w.path(w.num), w.size, err)
		}
	}
	w.size += 8 + n
	w.written += 8 + n
	return nil
}

// close flushes and syncs the last file and the folder.
func (w *blkWriter) close() error {
	if err := w.finish(); err != nil {
		return err
	}
	d, err := os.Open(w.dir)
	if err != nil {
		return fmt.Errorf("engine: sync block folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("engine: sync block folder: %w", err)
	}
	return nil
}
