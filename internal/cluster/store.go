package cluster

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/chaintrace/chaintrace/internal/index"
)

// DirIn returns the cluster store's folder inside a chaintrace data folder.
func DirIn(dataDir string) string { return filepath.Join(dataDir, "cluster") }

// MultiPartyFunc reports whether tx t is a multi-party tx (a CoinJoin or
// another kind whose inputs belong to several owners): such txs are never
// merged on. It is asked only about txs that spend from two or more
// addresses or have inputs whose spent outputs are unknown.
type MultiPartyFunc func(g index.Graph, t uint64) bool

// Labeler names the service (exchange, mixer, …) an address belongs to, for
// the label guard. Service returns "" for an address no service label
// covers. It is asked once per address, when the address first appears.
type Labeler interface {
	Service(addrKey []byte) string
}

// Options configures a Store.
type Options struct {
	// Change selects the change heuristics (the default, ChangeStrict, is
	// the setting that meets the precision goal; see docs/clustering.md).
	// ChangeAny keeps a store's mode (strict for a new one).
	Change ChangeMode
	// MultiParty excludes txs from merging (CoinJoins, …); nil excludes
	// none.
	MultiParty MultiPartyFunc
	// Labeler, when set, feeds the label guard.
	Labeler Labeler
	// SizeLimit: a change merge of two clusters both larger than this is
	// held for review (default 10 000).
	SizeLimit uint64
	// CacheBytes bounds the uncommitted node changes held in memory
	// (default 64 MiB); beyond it Sync commits on its own.
	CacheBytes int64
}

// Store is the on-disk clustering of one chain index: a union-find array
// over the index's address ids, a merge log and the processed blocks. Its
// methods are safe for concurrent use.
type Store struct {
	mu     sync.RWMutex
	dir    string
	opt    Options
	nodes  nodes
	log    *recFile
	spends *recFile // first spends (firstspend.log): addresses given their fingerprint
	blocks *recFile
	txrec  *recFile // per-tx change evidence (txs.col)
	later  walker   // scratch of changeLater
	cp     checkpoint
	txs    uint64 // txs processed
	closed bool

	crashAt int // tests: stop a commit at this stage
}

type checkpoint struct {
	Epoch  uint64
	Blocks uint64
	Log    uint64
	Addrs  uint64
	Txs    uint64
	Spends uint64
	Change ChangeMode
}

const (
	checkpointName    = "checkpoint"
	checkpointVersion = 3
	checkpointLen     = 4 + 6*8 + 1 + 32
)

func (c checkpoint) encode() []byte {
	b := make([]byte, 0, checkpointLen)
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	for _, v := range []uint64{c.Epoch, c.Blocks, c.Log, c.Addrs, c.Txs, c.Spends} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = append(b, byte(c.Change))
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func decodeCheckpoint(b []byte) (checkpoint, error) {
	if len(b) < 4 {
		return checkpoint{}, errors.New("damaged cluster checkpoint; run cluster --rebuild")
	}
	if v := binary.LittleEndian.Uint32(b); v != checkpointVersion {
		return checkpoint{}, fmt.Errorf("cluster store format v%d, this build reads v%d: run cluster --rebuild", v, checkpointVersion)
	}
	if len(b) != checkpointLen {
		return checkpoint{}, errors.New("damaged cluster checkpoint; run cluster --rebuild")
	}
	if h := sha256.Sum256(b[:checkpointLen-32]); !bytes.Equal(h[:], b[checkpointLen-32:]) {
		return checkpoint{}, errors.New("damaged cluster checkpoint (checksum); run cluster --rebuild")
	}
	var v [6]uint64
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[4+8*i:])
	}
	return checkpoint{v[0], v[1], v[2], v[3], v[4], v[5], ChangeMode(b[4+8*len(v)])}, nil
}

var errCrash = errors.New("simulated crash")

// Open opens (creating if absent) the cluster store in dir and recovers it
// to its last committed state. A store built with another change mode is
// refused (run cluster --rebuild) unless it is empty.
func Open(dir string, opt Options) (*Store, error) {
	if opt.SizeLimit == 0 {
		opt.SizeLimit = 10000
	}
	if opt.CacheBytes <= 0 {
		opt.CacheBytes = 64 << 20
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster folder: %w", err)
	}
	s := &Store{dir: dir, opt: opt}
	if err := s.init(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

func (s *Store) init() error {
	b, err := os.ReadFile(filepath.Join(s.dir, checkpointName))
	switch {
	case err == nil:
		if s.cp, err = decodeCheckpoint(b); err != nil {
			return fmt.Errorf("cluster store in %s: %w", s.dir, err)
		}
	case errors.Is(err, os.ErrNotExist):
		s.cp.Change = s.opt.Change
		if s.opt.Change == ChangeAny {
			s.cp.Change = ChangeStrict
		}
	default:
		return fmt.Errorf("read cluster checkpoint: %w", err)
	}
	if s.opt.Change == ChangeAny {
		s.opt.Change = s.cp.Change
	}
	if s.cp.Change != s.opt.Change {
		if s.cp.Blocks > 0 {
			return fmt.Errorf("cluster store in %s was built with --change %s, not %s: run chaintrace cluster --rebuild --change %s",
				s.dir, s.cp.Change, s.opt.Change, s.opt.Change)
		}
		s.cp.Change = s.opt.Change
	}
	if s.nodes.f, err = openRecFile(s.dir, "nodes.col", nodeLen); err != nil {
		return err
	}
	if s.log, err = openRecFile(s.dir, "merges.log", mergeLen); err != nil {
		return err
	}
	if s.spends, err = openRecFile(s.dir, "firstspend.log", spendLen); err != nil {
		return err
	}
	if s.blocks, err = openRecFile(s.dir, "blocks.col", blockLen); err != nil {
		return err
	}
	if s.txrec, err = openRecFile(s.dir, "txs.col", txRecLen); err != nil {
		return err
	}
	// The journal first (it writes records below the committed length),
	// then the tails past the checkpoint go.
	if err := s.nodes.openJournal(s.dir, s.cp.Epoch); err != nil {
		return err
	}
	for _, r := range []struct {
		f *recFile
		n uint64
	}{{s.nodes.f, s.cp.Addrs}, {s.log, s.cp.Log}, {s.spends, s.cp.Spends}, {s.blocks, s.cp.Blocks}, {s.txrec, s.cp.Txs}} {
		if err := r.f.Recover(r.n); err != nil {
			return fmt.Errorf("cluster store in %s: %w", s.dir, err)
		}
	}
	s.nodes.n = s.cp.Addrs
	s.nodes.overlay = make(map[uint64]node)
	s.txs = s.cp.Txs
	return syncDir(s.dir)
}

func (s *Store) closeFiles() error {
	var errs []error
	for _, f := range []*recFile{s.nodes.f, s.log, s.spends, s.blocks, s.txrec} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	if s.nodes.journal != nil {
		errs = append(errs, s.nodes.journal.Close())
	}
	return errors.Join(errs...)
}

// Close commits nothing: work since the last Commit is redone by the next
// Sync.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeFiles()
}

// Commit makes everything processed durable. Order: append the merge log
// and block records; journal the node records about to be overwritten
// (synced); write the node changes; fsync the files; write the new
// checkpoint (temporary file, fsync, rename, fsync the folder) — the commit
// point; then drop bytes past the logical ends. Open undoes a commit that
// died before its checkpoint: the journal restores the nodes, the tails
// past the old checkpoint are cut.
func (s *Store) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("cluster store is closed")
	}
	return s.commit()
}

func (s *Store) dirty() bool {
	return s.nodes.pending() > 0 || s.log.Len() != s.cp.Log || s.spends.Len() != s.cp.Spends || s.blocks.Len() != s.cp.Blocks || s.nodes.n != s.cp.Addrs || s.txs != s.cp.Txs
}

func (s *Store) commit() error {
	if !s.dirty() {
		return nil
	}
	next := checkpoint{Epoch: s.cp.Epoch + 1, Blocks: s.blocks.Len(), Log: s.log.Len(), Addrs: s.nodes.n, Txs: s.txs, Spends: s.spends.Len(), Change: s.cp.Change}
	for _, f := range []*recFile{s.log, s.spends, s.blocks, s.txrec} {
		if err := f.WriteTail(); err != nil {
			return err
		}
	}
	if s.crashAt == 1 {
		return errCrash
	}
	if err := s.nodes.write(s.cp.Epoch, s.crashAt); err != nil {
		return err
	}
	if s.crashAt == 3 {
		return errCrash
	}
	for _, f := range []*recFile{s.nodes.f, s.log, s.spends, s.blocks, s.txrec} {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if s.crashAt == 4 {
		return errCrash
	}
	tmp := filepath.Join(s.dir, checkpointName+".tmp")
	if err := writeSynced(tmp, next.encode()); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, checkpointName)); err != nil {
		return fmt.Errorf("cluster checkpoint: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.cp = next
	clear(s.nodes.overlay)
	for _, f := range []*recFile{s.nodes.f, s.log, s.spends, s.blocks, s.txrec} {
		if err := f.Settle(); err != nil {
			return err
		}
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// --- following the index ------------------------------------------------------

// Height returns the height of the last processed block; ok is false when
// none is.
func (s *Store) Height() (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.blocks.Len() == 0 {
		return 0, false
	}
	return decodeBlock(s.blocks.Rec(s.blocks.Len() - 1)).Height, true
}

// Sync brings the clustering to the index's tip: blocks it processed that
// the index no longer holds (a reorg, or an index that lost uncommitted
// blocks in a crash) are undone from the merge log, then every index block
// past the last processed one is clustered. progress, when non-nil, is
// called after each chunk with the height reached.
func (s *Store) Sync(ix *index.Index, progress func(height, tip int64)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("cluster store is closed")
	}
	// 1. Undo what the index no longer has.
	undone := false
	for s.blocks.Len() > 0 {
		b := decodeBlock(s.blocks.Rec(s.blocks.Len() - 1))
		if h, ok := ix.HashAt(b.Height); ok && h == b.Hash {
			break
		}
		s.undoBlock()
		undone = true
	}
	if undone && (s.log.CutIntoFile() || s.spends.CutIntoFile() || s.blocks.CutIntoFile() || s.txrec.CutIntoFile()) {
		// Committed records were cut: commit now, so that appending never
		// overwrites what the checkpoint still covers.
		if err := s.commit(); err != nil {
			return err
		}
	}
	// 2. Cluster the blocks past the last processed one.
	tip, ok := ix.Tip()
	if !ok {
		return nil
	}
	next, ok := s.nextHeight(ix)
	if !ok {
		return nil
	}
	for next <= tip.Height {
		end := min(tip.Height, next+63)
		hashes := make([][32]byte, 0, end-next+1)
		for h := next; h <= end; h++ {
			hash, ok := ix.HashAt(h)
			if !ok {
				return fmt.Errorf("cluster: index has no block at height %d", h)
			}
			hashes = append(hashes, hash)
		}
		err := ix.View(func(g index.Graph) error {
			for i, hash := range hashes {
				s.applyBlock(g, next+int64(i), hash)
			}
			return nil
		})
		if err != nil {
			return err
		}
		next = end + 1
		if progress != nil {
			progress(end, tip.Height)
		}
		if int64(len(s.nodes.overlay))*96+int64(len(s.nodes.tail))*48 > s.opt.CacheBytes {
			if err := s.commit(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) nextHeight(ix *index.Index) (int64, bool) {
	if n := s.blocks.Len(); n > 0 {
		return decodeBlock(s.blocks.Rec(n-1)).Height + 1, true
	}
	base, _, ok := ix.Base()
	return base, ok
}

// applyBlock clusters the txs of the block at height (the next one).
func (s *Store) applyBlock(g index.Graph, height int64, hash [32]byte) {
	start := s.txs
	n := g.TxCount()
	end := start + uint64(sort.Search(int(n-start), func(i int) bool { return g.TxHeight(start+uint64(i)) > height }))
	rec := blockRec{Hash: hash, Height: height, TxStart: start, LogStart: s.log.Len(), AddrStart: s.nodes.n, SpendStart: s.spends.Len()}
	rec.encode(s.blocks.Add())
	w := walker{height: height}
	for t := start; t < end; t++ {
		s.applyTx(g, t, &w)
	}
	s.txs = end
}

// undoBlock reverts the last processed block from the merge log.
func (s *Store) undoBlock() {
	nb := s.blocks.Len() - 1
	b := decodeBlock(s.blocks.Rec(nb))
	for i := s.log.Len(); i > b.LogStart; i-- {
		s.revert(decodeMerge(s.log.Rec(i - 1)))
	}
	// The block's first spends lose their fingerprints (an address's
	// fingerprint is set once, from 0, so 0 is what it was).
	for i := s.spends.Len(); i > b.SpendStart; i-- {
		a := getU40(s.spends.Rec(i - 1))
		n := s.nodes.get(a)
		n.fp = 0
		s.nodes.set(a, n)
	}
	// Addresses first seen in the block are singletons again (explicitly,
	// so stale file records past the new end never show through).
	for a := b.AddrStart; a < s.nodes.n; a++ {
		s.nodes.set(a, singleton(a))
	}
	s.nodes.n = b.AddrStart
	s.log.Truncate(b.LogStart)
	s.spends.Truncate(b.SpendStart)
	s.blocks.Truncate(nb)
	s.txrec.Truncate(b.TxStart)
	s.txs = b.TxStart
}

func (s *Store) revert(m Merge) {
	if m.Status != Applied {
		return
	}
	c, r := s.nodes.get(m.Child), s.nodes.get(m.Root)
	c.parent, c.merge = m.Child, noID
	c.next, r.next = r.next, c.next
	r.size = m.RootSize
	if m.FP&mergeTagInherited != 0 {
		r.tag = 0
	}
	s.nodes.set(m.Child, c)
	s.nodes.set(m.Root, r)
}

// grow makes sure address a is covered by the node array.
func (s *Store) grow(a uint64) {
	if a >= s.nodes.n {
		s.nodes.n = a + 1
	}
}

// union joins the clusters of a and b on the evidence of tx t, applying the
// guards; it returns whether the clusters were joined.
func (s *Store) union(t, a, b uint64, h Heuristic, score float64) bool {
	ra, rb := s.nodes.find(a), s.nodes.find(b)
	if ra == rb {
		return false
	}
	na, nb := s.nodes.get(ra), s.nodes.get(rb)
	m := Merge{Tx: t, A: a, B: b, Heuristic: h, Score: score}
	switch {
	case na.tag != 0 && nb.tag != 0 && na.tag != nb.tag:
		m.Status = RefusedLabels
		m.ChildSize, m.RootSize = na.size, nb.size
	case h != MultiInput && na.size > s.opt.SizeLimit && nb.size > s.opt.SizeLimit:
		m.Status = HeldSize
		m.ChildSize, m.RootSize = na.size, nb.size
	}
	if m.Status != Applied {
		m.encode(s.log.Add())
		return false
	}
	// Union by size (ties: the higher id becomes the child), no path
	// compression: every union is one log record and reverts exactly.
	child, root, cn, rn := ra, rb, na, nb
	if cn.size > rn.size || (cn.size == rn.size && ra < rb) {
		child, root, cn, rn = rb, ra, nb, na
	}
	m.Child, m.Root, m.ChildSize, m.RootSize = child, root, cn.size, rn.size
	if rn.tag == 0 && cn.tag != 0 {
		rn.tag = cn.tag
		m.FP |= mergeTagInherited
	}
	if child == rb {
		m.FP |= mergeBInChild
	}
	idx := s.log.Len()
	m.encode(s.log.Add())
	cn.parent, cn.merge = root, idx
	cn.next, rn.next = rn.next, cn.next
	rn.size += cn.size
	s.nodes.set(child, cn)
	s.nodes.set(root, rn)
	return true
}

func serviceTag(entity string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(entity))
	return h.Sum32() | 1
}
