package cluster

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/colfile"
)

// recFile is an append-only file of fixed-width records (internal/colfile).
// No other process maps the cluster's files, so bytes past the committed end
// are cut off (Shrink), and every commit fsyncs each file (AlwaysSync).
type recFile struct {
	*colfile.File
	name string
}

func openRecFile(dir, name string, width int) (*recFile, error) {
	f, err := colfile.Open(filepath.Join(dir, name), width, colfile.Options{
		Label:      name,
		Damaged:    "the cluster store is damaged; run cluster --rebuild",
		Shrink:     true,
		AlwaysSync: true,
	})
	if err != nil {
		return nil, err
	}
	return &recFile{File: f, name: name}, nil
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
