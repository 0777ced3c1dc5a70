package index

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
)

func openRO(t testing.TB, dir string) *Index {
	t.Helper()
	ix, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestReadOnlyView: a read-only open beside an open writer sees the writer's
// last commit, nothing after it until Refresh, refuses writes; a second
// writer is refused.
func TestReadOnlyView(t *testing.T) {
	blocks := longChain(t)[:3000]
	dir := filepath.Join(t.TempDir(), "chain")
	w := openTest(t, dir, &chaincfg.MainNetParams)
	defer w.Close()
	applyAll(t, w, blocks[:2000], 0)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	applyAll(t, w, blocks[2000:2500], 2000) // applied, not committed

	r := openRO(t, dir)
	defer r.Close()
	if tip, _ := r.Tip(); tip.Height != 1999 {
		t.Fatalf("reader's tip %d, want the last commit's 1999", tip.Height)
	}
	if wv, _ := w.KindsVersion(); wv == 0 {
		t.Fatal("the writer's kinds have no rules version")
	} else if rv, ok := r.KindsVersion(); !ok || rv != wv {
		t.Fatalf("reader's kinds rules version %d (%v), the writer's %d", rv, ok, wv)
	}
	if got := verify(t, r).Digest; got != cleanDigest(t, longChain(t), 2000) {
		t.Fatal("reader's view differs from a clean build of the committed blocks")
	}
	if err := r.Apply(blocks[2000], 2000); !errors.Is(err, errReadOnly) {
		t.Fatalf("apply on a read-only index: %v", err)
	}
	if err := r.Undo(); !errors.Is(err, errReadOnly) {
		t.Fatalf("undo on a read-only index: %v", err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a second writer opened the index")
	}

	applyAll(t, w, blocks[2500:], 2500)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if tip, _ := r.Tip(); tip.Height != 1999 {
		t.Fatalf("reader moved to %d without a refresh", tip.Height)
	}
	if err := r.Refresh(); err != nil {
		t.Fatal(err)
	}
	if tip, _ := r.Tip(); tip.Height != 2999 {
		t.Fatalf("after refresh the reader's tip is %d, want 2999", tip.Height)
	}
	if got := verify(t, r).Digest; got != cleanDigest(t, longChain(t), 3000) {
		t.Fatal("refreshed view differs from a clean build")
	}
	// Spends committed after a view read as unspent in it.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// With the writer gone the index still opens read-only, and for writing.
	r2 := openRO(t, dir)
	r2.Close()
	w2 := openTest(t, dir, nil)
	w2.Close()
}

// TestReadOnlyAutoRefresh: Options.Refresh follows the writer's commits.
func TestReadOnlyAutoRefresh(t *testing.T) {
	blocks := longChain(t)[:600]
	dir := filepath.Join(t.TempDir(), "chain")
	w := openTest(t, dir, &chaincfg.MainNetParams)
	defer w.Close()
	applyAll(t, w, blocks[:300], 0)
	w.Flush()
	r, err := Open(dir, Options{ReadOnly: true, Refresh: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	applyAll(t, w, blocks[300:], 300)
	w.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if tip, _ := r.Tip(); tip.Height == 599 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reader never moved to the writer's new commit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	verify(t, r)
}

// TestReadersBesideWriterProcess: a child process ingests (committing every
// few blocks) while this process opens read-only views again and again; every
// view verifies and equals a clean build of its blocks; a second writer is
// refused.
func TestReadersBesideWriterProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	blocks := longChain(t)
	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	ix.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReaderWriterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CHAINTRACE_INDEX_WRITER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "ready") {
		t.Fatal("child never became ready")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a second writer opened the index beside the child")
	}
	seen := map[int64]bool{}
	checked := 0
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < 6 && time.Now().Before(deadline) {
		r := openRO(t, dir)
		rep := verify(t, r) // a consistent view, whatever the writer is doing
		tip, ok := r.Tip()
		r.Close()
		if !ok || seen[tip.Height] {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		seen[tip.Height] = true
		if checked < 2 && tip.Height > 0 { // clean builds cost a second each
			if want := cleanDigest(t, blocks, int(tip.Height)+1); rep.Digest != want {
				t.Fatalf("view at height %d differs from a clean build", tip.Height)
			}
			checked++
		}
	}
	if len(seen) < 3 {
		t.Fatalf("saw only %d distinct commits of the writer: %v", len(seen), seen)
	}
	t.Logf("verified views at heights %v", seen)
}

// TestReaderWriterChild is the writer of TestReadersBesideWriterProcess.
func TestReaderWriterChild(t *testing.T) {
	dir := os.Getenv("CHAINTRACE_INDEX_WRITER_DIR")
	if dir == "" {
		t.Skip("child of TestReadersBesideWriterProcess")
	}
	blocks := longChain(t)
	ix, err := Open(dir, Options{CacheBytes: 16 << 20, Kinds: &testKinds})
	if err != nil {
		t.Fatal(err)
	}
	ix.pendBudget = 50000
	fmt.Println("ready")
	for i := range blocks {
		if err := ix.Apply(blocks[i], int64(i)); err != nil {
			t.Fatal(err)
		}
		if i%97 == 0 {
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	ix.Flush()
	time.Sleep(30 * time.Second) // until killed
	ix.Close()
}

// TestReadOnlyMedia: a read-only open writes nothing (every file and folder
// is left as it was, and no file is created) and works in a folder without
// write permission (when the test does not run as root, which ignores it).
func TestReadOnlyMedia(t *testing.T) {
	blocks := longChain(t)[:500]
	dir := filepath.Join(t.TempDir(), "chain")
	w := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, w, blocks, 0)
	w.Flush()
	w.Close()
	snapshot := func() map[string]string {
		m := map[string]string{}
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil {
				m[p] = fmt.Sprint(info.Size(), info.ModTime().UnixNano(), info.Mode())
			}
			return nil
		})
		return m
	}
	chmodAll := func(dirMode, fileMode os.FileMode) {
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil {
				if info.IsDir() {
					os.Chmod(p, dirMode)
				} else {
					os.Chmod(p, fileMode)
				}
			}
			return nil
		})
	}
	chmodAll(0o555, 0o444)
	defer chmodAll(0o755, 0o644)
	before := snapshot()
	r := openRO(t, dir)
	if got := verify(t, r).Digest; got != cleanDigest(t, longChain(t), 500) {
		t.Fatal("read-only view differs from a clean build")
	}
	if _, err := r.Tx(r.mustTxHash(t, 100)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	after := snapshot()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed: %s → %s", p, v, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s created by a read-only open", p)
		}
	}
}

func (ix *Index) mustTxHash(t testing.TB, n uint64) (h [32]byte) {
	t.Helper()
	hh, ok := ix.TxHash(n)
	if !ok {
		t.Fatalf("no tx %d", n)
	}
	return hh
}

// TestReadOnlyViewDuringMapGrowth: the writer doubles the txid and address
// maps (new files renamed over the old) while a view reads them: the view
// keeps answering from its mapping, and a refresh moves it to the new files.
func TestReadOnlyViewDuringMapGrowth(t *testing.T) {
	blocks := longChain(t)[:3000]
	dir := filepath.Join(t.TempDir(), "chain")
	w := openTest(t, dir, &chaincfg.MainNetParams)
	defer w.Close()
	applyAll(t, w, blocks[:1500], 0)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := openRO(t, dir)
	defer r.Close()
	want := cleanDigest(t, longChain(t), 1500)
	txGen, addrGen := w.txMap.gen, w.addrMap.gen
	// Grow at the next insert, several times over.
	for i := range 3 {
		w.txMap.limit, w.addrMap.limit = w.txMap.count, w.addrMap.count
		applyAll(t, w, blocks[1500+500*i:2000+500*i], int64(1500+500*i))
		if i == 1 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if got := verify(t, r).Digest; got != want { // between the writer's growths
			t.Fatalf("round %d: the view's digest changed while the maps grew", i)
		}
	}
	if w.txMap.gen < txGen+3 || w.addrMap.gen < addrGen+3 {
		t.Fatalf("maps grew to generations %d/%d from %d/%d", w.txMap.gen, w.addrMap.gen, txGen, addrGen)
	}
	if !r.txMap.replaced() || !r.addrMap.replaced() {
		t.Fatal("the view does not see the new map files")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(); err != nil {
		t.Fatal(err)
	}
	if r.txMap.gen != w.txMap.gen || r.addrMap.gen != w.addrMap.gen {
		t.Fatalf("after refresh the view maps generations %d/%d, the writer %d/%d", r.txMap.gen, r.addrMap.gen, w.txMap.gen, w.addrMap.gen)
	}
	if got := verify(t, r).Digest; got != cleanDigest(t, longChain(t), 3000) {
		t.Fatal("refreshed view differs from a clean build")
	}
}
