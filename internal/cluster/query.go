package cluster

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrUnknown is returned for an address id or cluster id the store does
// not cover.
var ErrUnknown = errors.New("not clustered")

// ClusterOf returns the cluster id of address id a (the id of its root
// address: it changes when the cluster is merged into a larger one) and the
// cluster's size. ok is false when a is past the clustered addresses.
func (s *Store) ClusterOf(a uint64) (id, size uint64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || a >= s.nodes.n {
		return 0, 0, false
	}
	r := s.nodes.find(a)
	return r, s.nodes.get(r).size, true
}

// SameCluster reports whether address ids a and b are in one cluster.
func (s *Store) SameCluster(a, b uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || a >= s.nodes.n || b >= s.nodes.n {
		return a == b
	}
	return s.nodes.find(a) == s.nodes.find(b)
}

// Members calls fn for the address ids of the cluster holding id, from
// the offset-th on, until fn returns false. The order is the cluster's
// member list (not sorted); it is stable while the cluster does not change.
func (s *Store) Members(id uint64, offset uint64, fn func(a uint64) bool) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || id >= s.nodes.n {
		return fmt.Errorf("cluster %d: %w", id, ErrUnknown)
	}
	r := s.nodes.find(id)
	a := r
	for i := uint64(0); ; i++ {
		if i >= offset && !fn(a) {
			return nil
		}
		a = s.nodes.get(a).next
		if a == r {
			return nil
		}
	}
}

// Step is one merge on the path that joins two addresses: the merge-log
// record whose evidence (tx, heuristic, score) joined the cluster of From
// (on the first address's side) with that of To.
type Step struct {
	Log      uint64 // merge-log record number
	Merge    Merge
	From, To uint64
}

// Explain returns whether address ids a and b are in one cluster and, if
// so, the chain of merges that joined them: the union-find tree's edges
// from a up to the common ancestor and down to b, each one merge-log record.
func (s *Store) Explain(a, b uint64) (bool, []Step) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || a >= s.nodes.n || b >= s.nodes.n {
		return a == b, nil
	}
	up := func(x uint64) (path []uint64, edges []uint64) {
		for {
			path = append(path, x)
			n := s.nodes.get(x)
			if n.parent == x {
				return
			}
			edges = append(edges, n.merge)
			x = n.parent
		}
	}
	pa, ea := up(a)
	pb, eb := up(b)
	if pa[len(pa)-1] != pb[len(pb)-1] {
		return false, nil
	}
	// Strip the common top.
	i, j := len(pa)-1, len(pb)-1
	for i > 0 && j > 0 && pa[i-1] == pb[j-1] {
		i--
		j--
	}
	var steps []Step
	for _, e := range ea[:i] { // up from a: child side first
		m := decodeMerge(s.log.Rec(e))
		c, r := m.sides()
		steps = append(steps, Step{e, m, c, r})
	}
	for k := j - 1; k >= 0; k-- { // down to b: root side first
		m := decodeMerge(s.log.Rec(eb[k]))
		c, r := m.sides()
		steps = append(steps, Step{eb[k], m, r, c})
	}
	return true, steps
}

// Stats summarises the store.
type Stats struct {
	Height     int64  `json:"height"`
	Blocks     uint64 `json:"blocks"`
	Txs        uint64 `json:"txs"`
	Addresses  uint64 `json:"addresses"`
	LogRecords uint64 `json:"merge_log_records"`
	Change     string `json:"change"`
}

// Stats returns the store's counts.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Blocks: s.blocks.Len(), Txs: s.txs, Addresses: s.nodes.n, LogRecords: s.log.Len(), Change: s.cp.Change.String()}
	if st.Blocks > 0 {
		st.Height = decodeBlock(s.blocks.Rec(st.Blocks - 1)).Height
	}
	return st
}

// EachMerge calls fn for every merge-log record from the first, in order,
// until fn returns false.
func (s *Store) EachMerge(fn func(i uint64, m Merge) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := uint64(0); i < s.log.Len(); i++ {
		if !fn(i, decodeMerge(s.log.Rec(i))) {
			return
		}
	}
}

// EachRoot calls fn with the root (cluster id) of every clustered address
// in id order — for evaluation and digests.
func (s *Store) EachRoot(fn func(a, root uint64)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for a := uint64(0); a < s.nodes.n; a++ {
		fn(a, s.nodes.find(a))
	}
}

// Verify checks the union-find invariants (every member list closes on its
// root and holds exactly size members whose root it is; sizes add up to the
// address count) and returns a digest of the clustering: sha256 over every
// address's root and wallet fingerprint, the merge log and the first spends. Equal histories of
// blocks give equal digests whatever the crashes, resumes and reorgs in
// between.
func (s *Store) Verify() (digest [32]byte, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := sha256.New()
	var b [8]byte
	var total uint64
	for a := uint64(0); a < s.nodes.n; a++ {
		r := s.nodes.find(a)
		binary.LittleEndian.PutUint64(b[:], r)
		b[5] = s.nodes.get(a).fp
		h.Write(b[:6])
		if r != a {
			continue
		}
		size := s.nodes.get(r).size
		x, k := r, uint64(0)
		for {
			if s.nodes.find(x) != r {
				return digest, fmt.Errorf("cluster %d: member %d has another root", r, x)
			}
			k++
			if k > size {
				return digest, fmt.Errorf("cluster %d: member list longer than its size %d", r, size)
			}
			x = s.nodes.get(x).next
			if x == r {
				break
			}
		}
		if k != size {
			return digest, fmt.Errorf("cluster %d: %d members listed, size %d", r, k, size)
		}
		total += size
	}
	if total != s.nodes.n {
		return digest, fmt.Errorf("cluster sizes add up to %d, %d addresses", total, s.nodes.n)
	}
	for i := uint64(0); i < s.log.Len(); i++ {
		h.Write(s.log.Rec(i))
	}
	for i := uint64(0); i < s.spends.Len(); i++ {
		h.Write(s.spends.Rec(i))
	}
	copy(digest[:], h.Sum(nil))
	return digest, nil
}
