package cluster

import (
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/index"
)

// TestUnionUndoTable applies unions to a store without an index and
// reverts them block by block, checking sizes, roots, member lists and the
// merge log after each step.
func TestUnionUndoTable(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{Change: ChangeOff})
	type step struct {
		a, b     uint64
		joined   bool
		wantSize uint64 // size of a's cluster after
	}
	blocks := [][]step{
		{{0, 1, true, 2}, {2, 3, true, 2}, {1, 0, false, 2}},
		{{0, 3, true, 4}, {4, 4, false, 1}, {5, 4, true, 2}},
		{{5, 2, true, 6}},
	}
	s.grow(5)
	var sizesAfter [][6]uint64
	for bi, bl := range blocks {
		blockRec{Height: int64(bi), LogStart: s.log.Len(), AddrStart: s.nodes.n}.encode(s.blocks.Add())
		for _, st := range bl {
			before := s.log.Len()
			got := s.union(uint64(bi), st.a, st.b, MultiInput, 0)
			if got != st.joined {
				t.Fatalf("block %d union(%d,%d) = %v, want %v", bi, st.a, st.b, got, st.joined)
			}
			if st.joined != (s.log.Len() == before+1) {
				t.Fatalf("union(%d,%d): log grew by %d", st.a, st.b, s.log.Len()-before)
			}
			if _, size, _ := s.ClusterOf(st.a); size != st.wantSize {
				t.Fatalf("block %d after union(%d,%d): size %d, want %d", bi, st.a, st.b, size, st.wantSize)
			}
		}
		var sz [6]uint64
		for a := range sz {
			_, sz[a], _ = s.ClusterOf(uint64(a))
		}
		sizesAfter = append(sizesAfter, sz)
		if _, err := s.Verify(); err != nil {
			t.Fatal(err)
		}
	}
	if got := sizesAfter[2]; got != [6]uint64{6, 6, 6, 6, 6, 6} {
		t.Fatalf("sizes after all: %v", got)
	}
	// Members lists every address once.
	seen := map[uint64]bool{}
	if err := s.Members(3, 0, func(a uint64) bool { seen[a] = true; return true }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 6 {
		t.Fatalf("members %v", seen)
	}
	for bi := len(blocks) - 1; bi >= 0; bi-- {
		s.undoBlock()
		if _, err := s.Verify(); err != nil {
			t.Fatalf("after undoing block %d: %v", bi, err)
		}
		if bi > 0 {
			var sz [6]uint64
			for a := range sz {
				_, sz[a], _ = s.ClusterOf(uint64(a))
			}
			if sz != sizesAfter[bi-1] {
				t.Fatalf("after undoing block %d: sizes %v, want %v", bi, sz, sizesAfter[bi-1])
			}
		}
	}
	if s.log.Len() != 0 || s.blocks.Len() != 0 {
		t.Fatalf("log %d, blocks %d after undoing everything", s.log.Len(), s.blocks.Len())
	}
}

// TestGuardRules: differently tagged clusters are never joined; two
// clusters over the size limit are joined on multi-input but held on
// change; refusals and holds are logged and change nothing.
func TestGuardRules(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{Change: ChangeOn, SizeLimit: 2})
	s.grow(11)
	blockRec{AddrStart: s.nodes.n}.encode(s.blocks.Add())
	tag := func(a uint64, e string) { n := s.nodes.get(a); n.tag = serviceTag(e); s.nodes.set(a, n) }
	tag(0, "exchange: A")
	tag(5, "exchange: B")
	for _, p := range [][2]uint64{{0, 1}, {1, 2}, {5, 6}, {6, 7}, {3, 4}, {4, 10}} {
		if !s.union(0, p[0], p[1], MultiInput, 0) {
			t.Fatalf("union %v refused", p)
		}
	}
	logged := func() Merge { return decodeMerge(s.log.Rec(s.log.Len() - 1)) }
	// Exchange A's cluster and exchange B's: refused even on multi-input.
	if s.union(1, 2, 7, MultiInput, 0) || logged().Status != RefusedLabels || s.SameCluster(2, 7) {
		t.Fatalf("label guard: %+v", logged())
	}
	// Two clusters over the limit (A's and the untagged {3,4,10}): a change
	// merge is held, a multi-input one applied, and the root keeps A's tag.
	if s.union(2, 3, 2, Change, 9) || logged().Status != HeldSize || s.SameCluster(3, 2) {
		t.Fatalf("size guard: %+v", logged())
	}
	if !s.union(3, 3, 2, MultiInput, 0) {
		t.Fatalf("multi-input merge of two large clusters: %+v", logged())
	}
	if s.union(4, 10, 6, MultiInput, 0) || logged().Status != RefusedLabels {
		t.Fatalf("inherited tag: %+v", logged())
	}
	tag(8, "exchange: C")
	tag(9, "exchange: C")
	if !s.union(5, 8, 9, MultiInput, 0) {
		t.Fatal("two addresses of one service refused")
	}
	if _, err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	s.undoBlock()
	for a := uint64(0); a < 11; a++ {
		if _, size, _ := s.ClusterOf(a); size != 1 {
			t.Fatalf("address %d in a cluster of %d after undo", a, size)
		}
	}
}

// TestMergeRecordRoundTrip checks the merge-log and block encodings.
func TestMergeRecordRoundTrip(t *testing.T) {
	m := Merge{Tx: 1<<40 - 5, A: 7, B: 1 << 39, Child: 3, Root: 4, ChildSize: 12, RootSize: 1 << 33, Heuristic: Change, Status: HeldSize, Score: 6.43, FP: 1}
	var r [mergeLen]byte
	m.encode(r[:])
	if got := decodeMerge(r[:]); got != m {
		t.Fatalf("got %+v, want %+v", got, m)
	}
	b := blockRec{Hash: [32]byte{1, 2}, Height: 123456, TxStart: 9, LogStart: 10, AddrStart: 11, SpendStart: 12}
	var br [blockLen]byte
	b.encode(br[:])
	if got := decodeBlock(br[:]); got != b {
		t.Fatalf("got %+v, want %+v", got, b)
	}
}

// TestIncrementalReorgCrash: clustering block by block (with commits now
// and then), after reorgs, and after commits stopped at every stage gives
// the same clusters (Verify digest) as one rebuild of the same chain.
func TestIncrementalReorgCrash(t *testing.T) {
	_, blocks := simChain(t)
	n := len(blocks)
	tmp := t.TempDir()
	full := openIndex(t, filepath.Join(tmp, "full"), blocks, n)
	rebuilt := openStore(t, filepath.Join(tmp, "rebuilt"), Options{Change: ChangeOn})
	syncT(t, rebuilt, full)
	want := digest(t, rebuilt)
	if st := rebuilt.Stats(); st.Height != int64(n-1) || st.LogRecords == 0 {
		t.Fatalf("rebuilt: %+v", st)
	}

	// Block by block as ingest does, with a reorg of 3 blocks near the end.
	ix, err := index.Open(filepath.Join(tmp, "inc"), index.Options{Network: full.Network(), CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sdir := filepath.Join(tmp, "inc-cluster")
	s := openStore(t, sdir, Options{Change: ChangeOn})
	var midDigest [32]byte
	for h := 0; h < n; h++ {
		if err := ix.Apply(blocks[h], int64(h)); err != nil {
			t.Fatal(err)
		}
		syncT(t, s, ix)
		if h%97 == 0 {
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if h == n-4 {
			midDigest = digest(t, s)
		}
	}
	if got := digest(t, s); got != want {
		t.Fatal("incremental clustering differs from the rebuild")
	}
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
		syncT(t, s, ix)
	}
	if got := digest(t, s); got != midDigest {
		t.Fatal("undoing 3 blocks does not restore the clustering before them")
	}
	for h := n - 3; h < n; h++ {
		if err := ix.Apply(blocks[h], int64(h)); err != nil {
			t.Fatal(err)
		}
		syncT(t, s, ix)
	}
	if got := digest(t, s); got != want {
		t.Fatal("re-applying after the reorg differs from the rebuild")
	}

	// Commits stopped at each stage, then reopen and catch up; and a store
	// dropped without a commit.
	for stage := 0; stage <= 4; stage++ {
		for range 5 {
			if err := ix.Undo(); err != nil {
				t.Fatal(err)
			}
		}
		syncT(t, s, ix)
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
		for h := n - 5; h < n; h++ {
			if err := ix.Apply(blocks[h], int64(h)); err != nil {
				t.Fatal(err)
			}
		}
		syncT(t, s, ix)
		s.crashAt = stage
		err := s.commit()
		if stage > 0 && err != errCrash {
			t.Fatalf("stage %d: commit returned %v", stage, err)
		}
		s.closeFiles()
		s.closed = true
		s = openStore(t, sdir, Options{Change: ChangeOn})
		syncT(t, s, ix)
		if got := digest(t, s); got != want {
			t.Fatalf("after a commit stopped at stage %d and a resume: clusters differ from the rebuild", stage)
		}
	}
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	// The index lost its last blocks (a crash before its flush): the
	// clustering follows it down and back up.
	for range 2 {
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	syncT(t, s, ix)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := digest(t, s); got == want {
		t.Fatal("clustering of a shorter chain has the full chain's digest")
	}
	// A mode change is refused.
	if err := rebuilt.Commit(); err != nil {
		t.Fatal(err)
	}
	rebuilt.Close()
	if _, err := Open(filepath.Join(tmp, "rebuilt"), Options{Change: ChangeOff}); err == nil {
		t.Fatal("opening a --change on store as off succeeded")
	}
}
