package cluster

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// TestKill9 ingests and clusters block by block in a child process (index
// flushes followed by cluster commits, undos of committed blocks), kills it
// with SIGKILL at random moments, resumes, and compares the clustering's
// digest with a clean rebuild of the same chain.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	simDir, blocks := simChain(t)
	tmp := t.TempDir()
	clean := openIndex(t, filepath.Join(tmp, "clean"), blocks, len(blocks))
	ref := openStore(t, filepath.Join(tmp, "ref"), Options{Change: ChangeOn})
	syncT(t, ref, clean)
	want := digest(t, ref)

	dir := filepath.Join(tmp, "kill")
	ix := openIndex(t, filepath.Join(dir, "chain"), blocks, 1)
	ix.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	killed := 0
	for range 4 {
		env := []string{"CHAINTRACE_CLUSTER_KILL_DIR=" + dir, "CHAINTRACE_CLUSTER_SIM_DIR=" + simDir}
		if testutil.KillChild(t, "TestKill9Child", env, time.Duration(20+rng.IntN(400))*time.Millisecond) {
			killed++
		}
	}
	ix = openIndex(t, filepath.Join(dir, "chain"), blocks, len(blocks))
	s := openStore(t, filepath.Join(dir, "cluster"), Options{Change: ChangeOn})
	syncT(t, s, ix)
	if got := digest(t, s); got != want {
		t.Fatalf("after %d kills the clustering differs from a clean rebuild", killed)
	}
}

// TestKill9Child is the child of TestKill9 (skipped otherwise).
func TestKill9Child(t *testing.T) {
	dir := os.Getenv("CHAINTRACE_CLUSTER_KILL_DIR")
	if dir == "" {
		t.Skip("child of TestKill9")
	}
	_, blocks := simChain(t)
	ix, err := index.Open(filepath.Join(dir, "chain"), index.Options{CacheBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "cluster"), Options{Change: ChangeOn, CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ix, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	tip, _ := ix.Tip()
	fmt.Println("ready", tip.Height)
	apply := func(h int) {
		if err := ix.Apply(blocks[h], int64(h)); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(ix, nil); err != nil {
			t.Fatal(err)
		}
	}
	flush := func() {
		if err := ix.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	undo := func(n int) {
		for range n {
			if err := ix.Undo(); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(ix, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for h := int(tip.Height) + 1; h < len(blocks); h++ {
		apply(h)
		if h%37 == 0 {
			flush()
		}
		if h%200 == 199 {
			undo(3)
			for j := h - 2; j <= h; j++ {
				apply(j)
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		undo(40)
		flush()
		for j := len(blocks) - 40; j < len(blocks); j++ {
			apply(j)
		}
		flush()
	}
}
