package colfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
)

// A Journal is the undo journal of records a commit rewrites in place: the
// old records, tagged with the epoch of the checkpoint they belong to, and a
// sha256 trailer. The commit writes and syncs it before overwriting; Open
// (Pending) finds a whole journal of the current epoch when the commit died
// before its checkpoint, and the caller restores the old records. A torn
// journal means nothing was overwritten yet; one of another epoch belongs to
// a commit that completed. On disk: epoch (u64 LE), the caller's entries,
// sha256 of both.
type Journal struct {
	f    *os.File
	path string
}

// OpenJournal opens (creating if absent) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Journal{f: f, path: path}, nil
}

// Path returns the journal's file name, for error messages.
func (j *Journal) Path() string { return j.path }

// Pending returns the entries of a whole journal written at epoch, or nil
// when there is none (empty, torn or of another epoch).
func (j *Journal) Pending(epoch uint64) ([]byte, error) {
	data, err := os.ReadFile(j.path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", j.path, err)
	}
	if len(data) < 8+32 {
		return nil, nil
	}
	body, sum := data[:len(data)-32], data[len(data)-32:]
	if h := sha256.Sum256(body); !bytes.Equal(h[:], sum) {
		return nil, nil
	}
	if binary.LittleEndian.Uint64(body) != epoch {
		return nil, nil
	}
	return body[8:], nil
}

// Write replaces the journal with entries for epoch and syncs it.
func (j *Journal) Write(epoch uint64, entries []byte) error {
	b := make([]byte, 8, 8+len(entries)+32)
	binary.LittleEndian.PutUint64(b, epoch)
	b = append(b, entries...)
	sum := sha256.Sum256(b)
	b = append(b, sum[:]...)
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if _, err := j.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Clear empties the journal and syncs it.
func (j *Journal) Clear() error {
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", j.path, err)
	}
	return nil
}

// Close closes the journal's file.
func (j *Journal) Close() error { return j.f.Close() }
