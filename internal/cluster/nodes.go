package cluster

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/chaintrace/chaintrace/internal/colfile"
)

// node is one address's union-find record. In the file (nodes.col) it is
// nodeLen bytes, encoded so that an all-zero record is a singleton: parent+1
// (0 = itself), size−1, next+1 (0 = itself), merge+1 (0 = none), the
// address's wallet fingerprint (0 = unknown) and its cluster's service tag
// (0 = none; meaningful at roots).
type node struct {
	parent uint64 // parent address id (itself at a root)
	size   uint64 // addresses in the cluster (at a root)
	next   uint64 // next member in the cluster's circular list
	merge  uint64 // merge-log record that made this node a child, noID at a root
	fp     uint8
	tag    uint32
}

const nodeLen = 5 + 5 + 5 + 5 + 1 + 4

const noID = 1<<40 - 1

func singleton(a uint64) node { return node{parent: a, size: 1, next: a, merge: noID} }

func decodeNode(a uint64, r []byte) node {
	n := node{parent: getU40(r), size: getU40(r[5:]) + 1, next: getU40(r[10:]), merge: getU40(r[15:]), fp: r[20], tag: binary.LittleEndian.Uint32(r[21:])}
	if n.parent == 0 {
		n.parent = a
	} else {
		n.parent--
	}
	if n.next == 0 {
		n.next = a
	} else {
		n.next--
	}
	if n.merge == 0 {
		n.merge = noID
	} else {
		n.merge--
	}
	return n
}

func (n node) encode(a uint64, r []byte) {
	p, nx, m := n.parent+1, n.next+1, n.merge+1
	if n.parent == a {
		p = 0
	}
	if n.next == a {
		nx = 0
	}
	if n.merge == noID {
		m = 0
	}
	putU40(r, p)
	putU40(r[5:], n.size-1)
	putU40(r[10:], nx)
	putU40(r[15:], m)
	r[20] = n.fp
	binary.LittleEndian.PutUint32(r[21:], n.tag)
}

// nodes is the union-find array: a file of node records indexed by address
// id, read through a read-only map, with the changes since the last commit
// in memory (so the file only ever holds committed states or the states a
// journal can restore): records in the file changed in an overlay map,
// records past the file (addresses new since the commit, dense) in a slice.
// Addresses past both are singletons.
type nodes struct {
	f       *recFile
	n       uint64 // logical count (the index's addresses covered)
	overlay map[uint64]node
	tail    []node // records fileN… (grown on demand)
	journal *colfile.Journal
}

// pending is the number of node records held in memory.
func (ns *nodes) pending() int { return len(ns.overlay) + len(ns.tail) }

func (ns *nodes) get(a uint64) node {
	if a >= ns.f.FileN() {
		if i := a - ns.f.FileN(); i < uint64(len(ns.tail)) {
			return ns.tail[i]
		}
		return singleton(a)
	}
	if v, ok := ns.overlay[a]; ok {
		return v
	}
	return decodeNode(a, ns.f.Rec(a))
}

// parent is get(a).parent without decoding the rest.
func (ns *nodes) parent(a uint64) uint64 {
	if a >= ns.f.FileN() {
		if i := a - ns.f.FileN(); i < uint64(len(ns.tail)) {
			return ns.tail[i].parent
		}
		return a
	}
	if len(ns.overlay) > 0 {
		if v, ok := ns.overlay[a]; ok {
			return v.parent
		}
	}
	p := getU40(ns.f.Mapped()[a*nodeLen:])
	if p == 0 {
		return a
	}
	return p - 1
}

func (ns *nodes) set(a uint64, v node) {
	if a < ns.f.FileN() {
		ns.overlay[a] = v
		return
	}
	i := a - ns.f.FileN()
	for uint64(len(ns.tail)) <= i {
		ns.tail = append(ns.tail, singleton(ns.f.FileN()+uint64(len(ns.tail))))
	}
	ns.tail[i] = v
}

func (ns *nodes) find(a uint64) uint64 {
	for {
		p := ns.parent(a)
		if p == a {
			return a
		}
		a = p
	}
}

// The journal (nodes.journal) holds the old records of the node file that a
// commit is about to overwrite, tagged with the epoch of the checkpoint they
// belong to and a sha256 trailer. Open restores them when the journal is
// whole and its epoch is the checkpoint's (the commit died before its
// checkpoint); a torn journal means nothing was overwritten yet.
const journalName = "nodes.journal"

func (ns *nodes) openJournal(dir string, epoch uint64) error {
	j, err := colfile.OpenJournal(filepath.Join(dir, journalName))
	if err != nil {
		return err
	}
	ns.journal = j
	const ent = 8 + nodeLen
	body, err := j.Pending(epoch)
	if err != nil {
		return err
	}
	if body == nil || len(body)%ent != 0 {
		return j.Clear()
	}
	for o := len(body) - ent; o >= 0; o -= ent {
		a := binary.LittleEndian.Uint64(body[o:])
		if err := ns.f.WriteAt(a, body[o+8:o+ent]); err != nil {
			return fmt.Errorf("restore node %d: %w", a, err)
		}
	}
	if err := ns.f.Sync(); err != nil {
		return err
	}
	return j.Clear()
}

// write journals and then writes the overlay into the file, extending or
// (logically) shortening it to n records. Not synced.
func (ns *nodes) write(epoch uint64, crashAt int) error {
	old := ns.f.FileN()
	ids := make([]uint64, 0, len(ns.overlay))
	for a := range ns.overlay {
		if a < ns.n {
			ids = append(ids, a)
		}
	}
	slices.Sort(ids)
	j := make([]byte, 0, (8+nodeLen)*len(ids))
	for _, a := range ids {
		if a >= old {
			break
		}
		j = binary.LittleEndian.AppendUint64(j, a)
		j = append(j, ns.f.Rec(a)...)
	}
	if len(j) > 0 {
		if err := ns.journal.Write(epoch, j); err != nil {
			return err
		}
	}
	if crashAt == 2 {
		return errCrash
	}
	if ns.n > ns.f.DiskN() {
		if err := ns.f.Extend(ns.n); err != nil {
			return err
		}
	}
	tail := ns.tail
	if n := ns.n - min(ns.n, old); uint64(len(tail)) > n {
		tail = tail[:n]
	}
	ns.f.SetFileN(ns.n)
	ns.tail = ns.tail[:0]
	// The new records past the old end, at once (records past the tail are
	// singletons: zeros, as the extension left them).
	if len(tail) > 0 {
		buf := make([]byte, nodeLen*len(tail))
		for i, v := range tail {
			v.encode(old+uint64(i), buf[i*nodeLen:])
		}
		if err := ns.f.WriteAt(old, buf); err != nil {
			return err
		}
	}
	// Adjacent records are written together.
	var buf []byte
	start := uint64(0)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := ns.f.WriteAt(start, buf)
		buf = buf[:0]
		return err
	}
	var r [nodeLen]byte
	for i, a := range ids {
		if i == 0 || a != ids[i-1]+1 {
			if err := flush(); err != nil {
				return err
			}
			start = a
		}
		ns.overlay[a].encode(a, r[:])
		buf = append(buf, r[:]...)
	}
	return flush()
}
