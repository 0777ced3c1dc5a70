package index

import (
	"encoding/binary"
	"fmt"
	"github.com/chaintrace/chaintrace/internal/colfile"
	"log/slog"
	"path/filepath"
	"slices"
)

// In-place updates and their undo journal.
//
// Two columns are rewritten in place: out_spent_by (a commit sets the
// spender of outputs already in the file, an undo clears it) and addr_head
// (the head of an address's list, when it is paid again or an undo takes
// that back). Before overwriting, the commit writes
// the old records to spent.journal, tagged with the epoch of the checkpoint
// they apply to, and syncs it: the epoch (u64), then per record its column's
// tag (1 byte: 's' out_spent_by, 'a' addr_head), its number (u64) and its
// old bytes (the column's width), and a sha256 trailer. If the commit then dies
// before its checkpoint, Open finds a journal of the current epoch and
// restores the old records in reverse order.
const journalName = "spent.journal"

const (
	tagSpent = 's'
	tagAddr  = 'a'
)

// journalCol returns the in-place column of a journal tag.
func (ix *Index) journalCol(tag byte) *column {
	switch tag {
	case tagSpent:
		return ix.outSpent
	case tagAddr:
		return ix.addrHead
	}
	return nil
}

// inPlace is one record to overwrite.
type inPlace struct {
	tag      byte
	rec      uint64
	old, new []byte
}

func (ix *Index) recoverJournal() error {
	j, err := colfile.OpenJournal(filepath.Join(ix.dir, journalName))
	if err != nil {
		return err
	}
	ix.journal = j
	body, err := j.Pending(ix.cp.Epoch)
	if err != nil || body == nil {
		// None, torn (its commit had not yet overwritten anything) or of
		// another epoch (its commit completed).
		if err == nil {
			err = j.Clear()
		}
		return err
	}
	path := j.Path()
	var changes []inPlace
	for o := 0; o < len(body); {
		c := ix.journalCol(body[o])
		if c == nil || o+9 > len(body) || o+9+c.Width() > len(body) {
			return fmt.Errorf("%s: bad record at byte %d: the index is damaged", path, 8+o)
		}
		rec := binary.LittleEndian.Uint64(body[o+1:])
		changes = append(changes, inPlace{tag: body[o], rec: rec, old: body[o+9 : o+9+c.Width()]})
		o += 9 + c.Width()
	}
	n := 0
	for i := len(changes) - 1; i >= 0; i-- {
		ch := changes[i]
		c := ix.journalCol(ch.tag)
		if ch.rec >= c.FileN() {
			continue // beyond the committed column: truncated already
		}
		if err := c.WriteAt(ch.rec, ch.old); err != nil {
			return err
		}
		n++
	}
	for _, c := range []*column{ix.outSpent, ix.addrHead} {
		if c == nil {
			continue
		}
		if err := c.Sync(); err != nil {
			return err
		}
	}
	slog.Info("index: restored in-place records of an interrupted commit", "dir", ix.dir, "records", n)
	return j.Clear()
}

// inPlaceChanges lists the records of the files to overwrite at this
// commit, with their old values, by column and record number.
func (ix *Index) inPlaceChanges() []inPlace {
	var changes []inPlace
	var v [5]byte
	for out, nv := range ix.spentPend {
		if out >= ix.outSpent.FileN() {
			continue
		}
		if old := ix.outSpent.Rec(out); getU40(old) != nv {
			putU40(v[:], nv)
			changes = append(changes, inPlace{tagSpent, out, slices.Clone(old), slices.Clone(v[:])})
		}
	}
	for a, nh := range ix.addrPend {
		if a >= ix.addrHead.FileN() {
			continue
		}
		if old := ix.addrHead.Rec(a); getU40(old) != nh {
			putU40(v[:], nh)
			changes = append(changes, inPlace{tagAddr, a, slices.Clone(old), slices.Clone(v[:])})
		}
	}
	slices.SortFunc(changes, func(a, b inPlace) int {
		if a.tag != b.tag {
			return int(a.tag) - int(b.tag)
		}
		return cmpU64(a.rec, b.rec)
	})
	return changes
}

// journalInPlace writes the old values of changes to the journal and syncs it.
func (ix *Index) journalInPlace(changes []inPlace) error {
	n := 0
	for _, c := range changes {
		n += 9 + len(c.old)
	}
	j := make([]byte, 0, n)
	for _, c := range changes {
		j = append(j, c.tag)
		j = binary.LittleEndian.AppendUint64(j, c.rec)
		j = append(j, c.old...)
	}
	return ix.journal.Write(ix.cp.Epoch, j)
}

// inPlaceGap: changes of one column closer than this many bytes are written
// with one write of the span between them (its bytes read from the map).
// Within a page the disk writes the same; the span saves system calls.
const inPlaceGap = 4096

// overwriteInPlace writes the new values of changes (sorted by column and
// record).
func (ix *Index) overwriteInPlace(changes []inPlace) error {
	var span []byte
	for i := 0; i < len(changes); {
		c := ix.journalCol(changes[i].tag)
		w := uint64(c.Width())
		j := i + 1
		for j < len(changes) && changes[j].tag == changes[i].tag && (changes[j].rec-changes[j-1].rec)*w <= inPlaceGap {
			j++
		}
		first, last := changes[i].rec, changes[j-1].rec
		if j == i+1 {
			span = append(span[:0], changes[i].new...)
		} else {
			span = span[:0]
			for r := first; r <= last; r++ {
				span = append(span, c.Rec(r)...)
			}
			for _, ch := range changes[i:j] {
				copy(span[(ch.rec-first)*w:], ch.new)
			}
		}
		if err := c.WriteAt(first, span); err != nil {
			return err
		}
		i = j
	}
	return nil
}
