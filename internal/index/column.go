package index

import (
	"encoding/binary"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/colfile"
)

// A column is an append-only file of fixed-width little-endian records
// (internal/colfile). Records appended since the last commit reach the file
// only inside commit, so a crash can leave at most a tail past the committed
// length, which Open drops. A column file is never shortened: a reader in
// another process may map it (readonly.go).
type column struct {
	*colfile.File
	name string
}

func columnOptions(name string) colfile.Options {
	return colfile.Options{Label: "column " + name, Damaged: "the index is damaged"}
}

func openColumn(dir, name string, width int) (*column, error) {
	f, err := colfile.Open(filepath.Join(dir, name+".col"), width, columnOptions(name))
	if err != nil {
		return nil, err
	}
	return &column{File: f, name: name}, nil
}

// openColumnRO opens a column file for reading n records.
func openColumnRO(dir, name string, width int, n uint64) (*column, error) {
	f, err := colfile.OpenRO(filepath.Join(dir, name+".col"), width, n, columnOptions(name))
	if err != nil {
		return nil, err
	}
	return &column{File: f, name: name}, nil
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

func (c *column) u40(i uint64) uint64   { return getU40(c.Rec(i)) }
func (c *column) u64(i uint64) uint64   { return binary.LittleEndian.Uint64(c.Rec(i)) }
func (c *column) addU40(v uint64)       { putU40(c.Add(), v) }
func (c *column) addU64(v uint64)       { binary.LittleEndian.PutUint64(c.Add(), v) }
func (c *column) addU8(v uint8)         { c.Add()[0] = v }
func (c *column) u8(i uint64) uint8     { return c.Rec(i)[0] }
func (c *column) inFile(i uint64) bool  { return i < c.FileN() }
func (c *column) setBufU40(i, v uint64) { putU40(c.Rec(i), v) }

func (c *column) span(start, end uint64) []byte { return c.Span(start, end) }
func (c *column) appendBytes(b []byte)          { c.AppendBytes(b) }
