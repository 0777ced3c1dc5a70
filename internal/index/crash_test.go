package index

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

var (
	chainOnce   sync.Once
	chainBlocks []*wire.MsgBlock
)

// longChain returns blocks 0–14131 (865 spends of indexed outputs).
func longChain(t testing.TB) []*wire.MsgBlock {
	chainOnce.Do(func() { chainBlocks = readFramed(t, "blkfiles/blk_0_to_14131.dat") })
	if chainBlocks == nil {
		t.Fatal("blk_0_to_14131.dat not loaded")
	}
	return chainBlocks
}

var (
	cleanMu      sync.Mutex
	cleanDigests = map[int]string{}
)

// cleanDigest builds blocks[:n] in one go and returns its digest.
func cleanDigest(t testing.TB, blocks []*wire.MsgBlock, n int) string {
	t.Helper()
	cleanMu.Lock()
	defer cleanMu.Unlock()
	key := n
	if len(blocks) != len(chainBlocks) {
		key = -n
	}
	if d, ok := cleanDigests[key]; ok {
		return d
	}
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks[:n], 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	d := verify(t, ix).Digest
	cleanDigests[key] = d
	return d
}

// resume opens dir and applies blocks from the recovered tip to n.
func resume(t testing.TB, dir string, blocks []*wire.MsgBlock, n int) *Index {
	t.Helper()
	ix := openTest(t, dir, nil)
	verify(t, ix)
	next := 0
	if tip, ok := ix.Tip(); ok {
		next = int(tip.Height) + 1
	}
	applyAll(t, ix, blocks[next:n], int64(next))
	return ix
}

func TestDigestIndependentOfFlushes(t *testing.T) {
	blocks := longChain(t)
	n := len(blocks)
	if testing.Short() {
		n = 4000
	}
	want := cleanDigest(t, blocks, n)

	t.Run("flush every block", func(t *testing.T) {
		ix := openTest(t, "", &chaincfg.MainNetParams)
		defer ix.Close()
		for i, b := range blocks[:min(n, 400)] {
			if err := ix.Apply(b, int64(i)); err != nil {
				t.Fatal(err)
			}
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		applyAll(t, ix, blocks[min(n, 400):n], int64(min(n, 400)))
		if got := verify(t, ix).Digest; got != want {
			t.Fatalf("digest %s, clean build %s", got, want)
		}
	})
	t.Run("automatic commits", func(t *testing.T) {
		ix := openTest(t, "", &chaincfg.MainNetParams)
		defer ix.Close()
		ix.pendBudget = 150000 // commit every few hundred blocks
		applyAll(t, ix, blocks[:n], 0)
		if ix.cp.Epoch < 10 {
			t.Fatalf("only %d automatic commits", ix.cp.Epoch)
		}
		if got := verify(t, ix).Digest; got != want {
			t.Fatalf("digest %s, clean build %s", got, want)
		}
	})
	t.Run("maps grown often", func(t *testing.T) {
		defer func(l float64) { htMaxLoad = l }(htMaxLoad)
		htMaxLoad = 0.9 // long probe runs, and growth at every doubling
		ix := openTest(t, "", &chaincfg.MainNetParams)
		defer ix.Close()
		ix.pendBudget = 100000
		applyAll(t, ix, blocks[:n], 0)
		if ix.txMap.gen < 2 || ix.addrMap.gen < 2 {
			t.Fatalf("maps grew %d and %d times, want several", ix.txMap.gen, ix.addrMap.gen)
		}
		if got := verify(t, ix).Digest; got != want {
			t.Fatalf("digest %s, clean build %s", got, want)
		}
	})
	t.Run("dropped without flush", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		dir := filepath.Join(t.TempDir(), "chain")
		openTest(t, dir, &chaincfg.MainNetParams).Close()
		for round := range 3 {
			ix := openTest(t, dir, nil)
			verify(t, ix)
			next := 0
			if tip, ok := ix.Tip(); ok {
				next = int(tip.Height) + 1
			}
			flushAt := next + rng.IntN(n/4)
			stopAt := flushAt + 1 + rng.IntN(n/4)
			applyAll(t, ix, blocks[next:flushAt], int64(next))
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			applyAll(t, ix, blocks[flushAt:stopAt], int64(flushAt))
			ix.Close() // no Flush: blocks flushAt… are lost
			ix = openTest(t, dir, nil)
			if tip, _ := ix.Tip(); tip.Height != int64(flushAt-1) {
				t.Fatalf("round %d: recovered tip %d, want the checkpoint %d", round, tip.Height, flushAt-1)
			}
			ix.Close()
		}
		ix := resume(t, dir, blocks, n)
		defer ix.Close()
		if got := verify(t, ix).Digest; got != want {
			t.Fatalf("digest %s, clean build %s", got, want)
		}
	})
	// A commit that dies at each step of its protocol.
	for stage := 1; stage <= 4; stage++ {
		t.Run(fmt.Sprintf("crash in commit step %d", stage), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "chain")
			ix := openTest(t, dir, &chaincfg.MainNetParams)
			cut := n / 2
			applyAll(t, ix, blocks[:cut], 0)
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			applyAll(t, ix, blocks[cut:n-100], int64(cut))
			if len(ix.spentPend) == 0 {
				t.Fatal("no spends of committed outputs: the journal path is not exercised")
			}
			ix.crashAt = stage
			if err := ix.Flush(); !errors.Is(err, errCrash) {
				t.Fatalf("flush: %v", err)
			}
			ix.Close()
			ix = openTest(t, dir, nil)
			if tip, _ := ix.Tip(); tip.Height != int64(cut-1) {
				t.Fatalf("recovered tip %d, want %d", tip.Height, cut-1)
			}
			if got := verify(t, ix).Digest; got != cleanDigest(t, blocks, cut) {
				t.Fatalf("recovered state differs from a clean build of %d blocks", cut)
			}
			ix.Close()
			ix = resume(t, dir, blocks, n)
			defer ix.Close()
			if got := verify(t, ix).Digest; got != want {
				t.Fatalf("digest %s, clean build %s", got, want)
			}
		})
	}
}

func TestUndoReapply(t *testing.T) {
	blocks := longChain(t)
	n := len(blocks)
	if testing.Short() {
		n = 4000
	}
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks[:n-150], 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	applyAll(t, ix, blocks[n-150:n], int64(n-150))
	full := verify(t, ix).Digest
	if full != cleanDigest(t, blocks, n) {
		t.Fatal("build differs from the clean build")
	}
	// 150 buffered blocks and 50 committed ones.
	for range 200 {
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if got := verify(t, ix).Digest; got != cleanDigest(t, blocks, n-200) {
		t.Fatal("undo 200 differs from a clean build of the shorter chain")
	}
	applyAll(t, ix, blocks[n-200:n], int64(n-200))
	if got := verify(t, ix).Digest; got != full {
		t.Fatal("undo then re-apply changed the digest")
	}
	// Undo everything: an empty index, then a new base.
	ix2 := openTest(t, "", &chaincfg.MainNetParams)
	defer ix2.Close()
	applyAll(t, ix2, blocks[:60], 0)
	ix2.Flush()
	applyAll(t, ix2, blocks[60:80], 60)
	for range 80 {
		if err := ix2.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := ix2.Tip(); ok || ix2.Stats().Txs != 0 || ix2.Stats().Addresses != 0 {
		t.Fatalf("after undoing everything: %+v", ix2.Stats())
	}
	if err := ix2.Undo(); err == nil {
		t.Fatal("undo on an empty index succeeded")
	}
	verify(t, ix2)
	applyAll(t, ix2, blocks[100:200], 100)
	if base, _, _ := ix2.Base(); base != 100 {
		t.Fatalf("new base %d", base)
	}
	verify(t, ix2)
}

// TestUndoCrash: an undo of a committed block whose commit dies leaves the
// block in place; the index then undoes and re-applies cleanly.
func TestUndoCrash(t *testing.T) {
	blocks := longChain(t)[:3000]
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, ix, blocks, 0)
	ix.Flush()
	for range 5 {
		ix.Undo()
	}
	ix.crashAt = 3
	if err := ix.Undo(); !errors.Is(err, errCrash) {
		t.Fatalf("undo: %v", err)
	}
	ix.Close()
	ix = openTest(t, dir, nil)
	defer ix.Close()
	if tip, _ := ix.Tip(); tip.Height != 2994 {
		t.Fatalf("tip %d after a crashed undo, want 2994", tip.Height)
	}
	if verify(t, ix).Digest != cleanDigest(t, longChain(t), 2995) {
		t.Fatal("state after a crashed undo differs from a clean build")
	}
}

// TestKill9 ingests in a child process, kills it with SIGKILL at random
// moments, resumes, and compares the digest with a clean build.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	blocks := longChain(t)
	want := cleanDigest(t, blocks, len(blocks))
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	ix.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killed := 0
	for range 4 {
		if killChild(t, "TestKill9Child", dir, time.Duration(20+rng.IntN(400))*time.Millisecond) {
			killed++
		}
	}
	ix = resume(t, dir, blocks, len(blocks))
	defer ix.Close()
	if got := verify(t, ix).Digest; got != want {
		t.Fatalf("after %d kills: digest %s, clean build %s", killed, got, want)
	}
}

// killChild runs test (a child test of this binary) on the index in dir and
// kills it after d (testutil.KillChild); it reports whether the kill landed.
func killChild(t *testing.T, test, dir string, d time.Duration) bool {
	t.Helper()
	return testutil.KillChild(t, test, []string{"CHAINTRACE_INDEX_KILL_DIR=" + dir}, d)
}

// TestKill9Child is the child of TestKill9 (skipped otherwise).
func TestKill9Child(t *testing.T) {
	dir := os.Getenv("CHAINTRACE_INDEX_KILL_DIR")
	if dir == "" {
		t.Skip("child of TestKill9")
	}
	blocks := longChain(t)
	ix, err := Open(dir, Options{CacheBytes: 16 << 20, Kinds: &testKinds})
	if err != nil {
		t.Fatal(err)
	}
	ix.pendBudget = 50000
	if _, err := ix.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	next := 0
	if tip, ok := ix.Tip(); ok {
		next = int(tip.Height) + 1
	}
	fmt.Println("ready " + strconv.Itoa(next))
	for i := next; i < len(blocks); i++ {
		if err := ix.Apply(blocks[i], int64(i)); err != nil {
			t.Fatal(err)
		}
		if i%37 == 0 {
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		// Exercise undo of committed blocks too.
		if i%500 == 499 {
			for range 3 {
				if err := ix.Undo(); err != nil {
					t.Fatal(err)
				}
			}
			for j := i - 2; j <= i; j++ {
				if err := ix.Apply(blocks[j], int64(j)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// At the end, keep undoing and re-applying (with flushes) until killed,
	// so the kill always lands mid-work however fast the machine.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for range 40 {
			if err := ix.Undo(); err != nil {
				t.Fatal(err)
			}
		}
		ix.Flush()
		for j := len(blocks) - 40; j < len(blocks); j++ {
			if err := ix.Apply(blocks[j], int64(j)); err != nil {
				t.Fatal(err)
			}
		}
		ix.Flush()
	}
	ix.Close()
}
