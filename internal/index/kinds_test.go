package index

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/cockroachdb/pebble"
)

func allKinds(t *testing.T, ix *Index) []uint32 {
	t.Helper()
	var out []uint32
	for tx := uint64(0); tx < ix.TxCount(); tx++ {
		v, ok := ix.TxKinds(tx)
		if !ok {
			t.Fatalf("no kinds for tx %d", tx)
		}
		out = append(out, v)
	}
	return out
}

// builtIndex indexes the first n blocks of the long chain in dir (a new
// folder when dir is "") and flushes.
func builtIndex(t *testing.T, dir string, n int) (string, *Index) {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "chain")
	}
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	applyAll(t, ix, longChain(t)[:n], 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	return dir, ix
}

// TestKindsAtIngestMatchRebuild: the kinds stored at ingest are the hook's
// answer on TxFacts read back from the index, and a rebuild with the same
// rules gives a byte-identical index (same digest).
func TestKindsAtIngestMatchRebuild(t *testing.T) {
	dir, ix := builtIndex(t, "", 3000)
	stored := allKinds(t, ix)
	var f TxFacts
	spentKnown := 0
	for tx := range stored {
		if !ix.TxFacts(uint64(tx), &f) {
			t.Fatal("TxFacts failed")
		}
		if want := factsHash(&f); stored[tx] != want {
			t.Fatalf("tx %d: stored kinds %x, hook on its facts %x", tx, stored[tx], want)
		}
		for _, in := range f.Ins {
			if in.Known {
				spentKnown++
			}
		}
	}
	if spentKnown == 0 {
		t.Fatal("no input with a known spent output: the test exercises nothing")
	}
	d0 := verify(t, ix).Digest
	if _, err := ix.RebuildKinds(context.Background(), testKinds, nil); err != nil {
		t.Fatal(err)
	}
	if d := verify(t, ix).Digest; d != d0 {
		t.Error("a rebuild with the same rules changed the digest")
	}
	if v, ok := ix.KindsVersion(); !ok || v != testKinds.Version {
		t.Errorf("kinds version %d %v", v, ok)
	}
	ix.Close()
	// The switch is durable, the old generation's file gone.
	ix = openTest(t, dir, nil)
	defer ix.Close()
	if d := verify(t, ix).Digest; d != d0 {
		t.Error("digest differs after reopening")
	}
	if _, err := os.Stat(filepath.Join(dir, "tx_kind.col")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("generation 0 file still there: %v", err)
	}
}

// TestKindsUndo: undoing blocks (buffered and committed) drops their kinds;
// re-applying restores exactly the clean build.
func TestKindsUndo(t *testing.T) {
	blocks := longChain(t)[:2000]
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks[:1900], 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	applyAll(t, ix, blocks[1900:], 1900)
	want := allKinds(t, ix)
	for i := 0; i < 200; i++ { // 100 buffered, 100 committed
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(allKinds(t, ix)); uint64(n) != ix.TxCount() {
		t.Fatalf("%d kinds for %d txs after undo", n, ix.TxCount())
	}
	applyAll(t, ix, blocks[1800:], 1800)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(allKinds(t, ix), want) {
		t.Error("kinds after undo and re-apply differ")
	}
	if d := verify(t, ix).Digest; d != cleanDigest(t, longChain(t), 2000) {
		t.Error("digest after undo and re-apply differs from a clean build")
	}
}

// TestRebuildInterruptedAndResumed: a rebuild stopped half-way leaves the
// previous kinds in force (also after reopening); run again it resumes and
// ends where an uninterrupted rebuild does.
func TestRebuildInterruptedAndResumed(t *testing.T) {
	defer func(c uint64) { kindsChunk = c }(kindsChunk)
	kindsChunk = 500
	dir, ix := builtIndex(t, "", 3000)
	old := allKinds(t, ix)
	v2 := KindHook{Version: 8, Classify: func(f *TxFacts) uint32 { return factsHash(f) ^ 0x5a5a5a5a }}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := ix.RebuildKinds(ctx, v2, func(done, total uint64) {
		calls++
		if calls == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rebuild: %v", err)
	}
	if !slices.Equal(allKinds(t, ix), old) {
		t.Fatal("an interrupted rebuild changed the kinds in force")
	}
	ix.Close()
	// A kill -9 in the middle of the next chunk leaves records past the
	// recorded progress (here: junk); the resumed rebuild must drop them.
	f, err := os.OpenFile(filepath.Join(dir, "tx_kind.1.col"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x01})
	f.Close()
	ix = openTest(t, dir, nil)
	if v, _ := ix.KindsVersion(); v != 7 || !slices.Equal(allKinds(t, ix), old) {
		t.Fatalf("after reopening: version %d; the previous kinds must stay in force", v)
	}
	// Ingest with other rules than the index's is refused.
	ix.kinds = &v2
	if err := ix.Apply(longChain(t)[3000], 3000); !errors.Is(err, ErrKindsVersion) {
		t.Fatalf("Apply with rules v8 on a v7 index: %v", err)
	}
	resumed, err := ix.RebuildKinds(context.Background(), v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resumed != 1000 {
		t.Errorf("resumed from tx %d, want 1000 (two chunks of 500)", resumed)
	}
	got := allKinds(t, ix)
	for i := range got {
		if got[i] != old[i]^0x5a5a5a5a {
			t.Fatalf("tx %d: rebuilt kinds %x, want %x", i, got[i], old[i]^0x5a5a5a5a)
		}
	}
	if v, _ := ix.KindsVersion(); v != 8 {
		t.Errorf("version %d after the rebuild, want 8", v)
	}
	verify(t, ix)
	ix.Close()
}

// TestUpgradeV3: a v3 index (no kinds column) is refused with the command
// to run; opened for the upgrade, RebuildKinds adds the column and the
// result is the index a v4 ingest builds.
func TestUpgradeV3(t *testing.T) {
	dir, ix := builtIndex(t, "", 1500)
	want := verify(t, ix).Digest
	ix.Close()
	// Write a v3 checkpoint (Close rewrites the checkpoint, so after it).
	db, err := pebble.Open(filepath.Join(dir, "kv"), &pebble.Options{Merger: summaryMerger, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	v, closer, err := db.Get([]byte{kCheckpoint})
	if err != nil {
		t.Fatal(err)
	}
	v3 := append([]byte(nil), v[:checkpointV3Len]...)
	closer.Close()
	v3[0] = 3
	if err := db.Set([]byte{kCheckpoint}, v3, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Remove(filepath.Join(dir, "tx_kind.col")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrUpgradeKinds) {
		t.Fatalf("Open of a v3 index: %v", err)
	}
	ix, err = Open(dir, Options{Upgrade: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.TxKinds(0); ok {
		t.Error("a v3 index reports kinds")
	}
	if err := ix.Apply(longChain(t)[1500], 1500); !errors.Is(err, ErrUpgradeKinds) {
		t.Errorf("Apply on a v3 index: %v", err)
	}
	if _, err := ix.RebuildKinds(context.Background(), testKinds, nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix = openTest(t, dir, nil)
	defer ix.Close()
	if d := verify(t, ix).Digest; d != want {
		t.Error("the upgraded index differs from one ingested with the kinds column")
	}
}

// TestTxsOfKind pages through the txs of a kind bit in chain order (with
// scans in chunks smaller than a page and than the range).
func TestTxsOfKind(t *testing.T) {
	defer func(c uint64) { kindScanChunk = c }(kindScanChunk)
	kindScanChunk = 5
	blocks := longChain(t)[:1000]
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks, 0)
	kinds := allKinds(t, ix)
	var want []uint64
	for tx, k := range kinds {
		if k&1 != 0 && tx > 0 {
			want = append(want, uint64(tx))
		}
	}
	var got []uint64
	var cursor uint64
	for pages := 0; ; pages++ {
		p, err := ix.TxsOfKind(context.Background(), 1, 1, 999, cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Txs...)
		if !p.More {
			break
		}
		cursor = p.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged %d txs, want %d", len(got), len(want))
	}
	all, _ := ix.TxsOfKind(context.Background(), 1, 1, 999, 0, 0)
	if !slices.Equal(all.Txs, want) || all.More {
		t.Error("limit 0 does not return all")
	}
}

// kindsHooks are the rule sets TestKill9Rebuild switches between, by
// version.
var kindsHooks = map[uint32]KindHook{
	7: testKinds,
	8: {Version: 8, Classify: func(f *TxFacts) uint32 { return factsHash(f) ^ 0x5a5a5a5a }},
	9: {Version: 9, Classify: func(f *TxFacts) uint32 { return factsHash(f) * 3 }},
}

// TestKill9Rebuild kills a child process at random moments while it
// rebuilds the kinds again and again (alternating two rule versions, a
// small chunk so progress records are frequent). After every kill the
// index must hold one version's kinds for every tx — the previous
// classification or a completed new one, never a mix — and a last rebuild
// resumes and completes.
func TestKill9Rebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir, ix := builtIndex(t, "", 6000)
	ix.Close()
	seen := map[uint32]int{}
	check := func(round int) {
		ix := openTest(t, dir, nil)
		defer ix.Close()
		v, _ := ix.KindsVersion()
		h, ok := kindsHooks[v]
		if !ok {
			t.Fatalf("round %d: kinds version %d", round, v)
		}
		seen[v]++
		var f TxFacts
		for tx := uint64(0); tx < ix.TxCount(); tx++ {
			got, _ := ix.TxKinds(tx)
			ix.TxFacts(tx, &f)
			if want := h.Classify(&f); got != want {
				t.Fatalf("round %d: tx %d holds %x, rules v%d give %x: a mix of classifications", round, tx, got, v, want)
			}
		}
		verify(t, ix)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for round := range 4 {
		killChild(t, "TestKill9RebuildChild", dir, time.Duration(10+rng.IntN(300))*time.Millisecond)
		check(round)
	}
	if seen[7] == 4 {
		t.Fatal("no rebuild ever completed in the child: the test exercised only the interrupted case")
	}
	t.Logf("kinds versions found after the kills: %v", seen)
	ix = openTest(t, dir, nil)
	if _, err := ix.RebuildKinds(context.Background(), kindsHooks[8], nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	check(99)
}

// TestKill9RebuildChild is the child of TestKill9Rebuild (skipped otherwise).
func TestKill9RebuildChild(t *testing.T) {
	dir := os.Getenv("CHAINTRACE_INDEX_KILL_DIR")
	if dir == "" || !strings.Contains(t.Name(), "Rebuild") {
		t.Skip("child of TestKill9Rebuild")
	}
	kindsChunk = 97
	ix, err := Open(dir, Options{CacheBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	deadline := time.Now().Add(30 * time.Second)
	for v := uint32(8); time.Now().Before(deadline); v = 17 - v { // 8, 9, 8, …
		if _, err := ix.RebuildKinds(context.Background(), kindsHooks[v], nil); err != nil {
			t.Fatal(err)
		}
	}
	ix.Close()
}
