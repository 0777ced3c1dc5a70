package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/source"
)

// TestMain lets the kill -9 test re-run this binary as an ingest child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("CHAINTRACE_INGEST_CHILD_DIR"); dir != "" {
		if err := childIngest(dir, os.Getenv("CHAINTRACE_INGEST_CHILD_FILE")); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// heightPrinter reports every 256th applied height on stdout, for the parent to time its kill.
type heightPrinter struct{}

func (heightPrinter) Begin(int, int64) {}
func (heightPrinter) End()             {}
func (heightPrinter) Advance(h int64, _ int64) {
	if h%256 == 0 {
		fmt.Printf("height %d\n", h)
	}
}

func childIngest(dir, file string) error {
	files, err := source.ScanFiles([]string{file}, source.FileOptions{})
	if err != nil {
		return err
	}
	defer files.Close()
	ix, err := index.Open(dir, index.Options{Network: files.Network(), CacheBytes: 32 << 20})
	if err != nil {
		return err
	}
	defer ix.Close()
	// Small flushes so that kills land between, and inside, many checkpoints.
	_, err = Blocks(context.Background(), FromIndex(ix), FileCandidates(files),
		Options{Params: files.Network(), BlockHeight: chain.BlockHeight, FlushBytes: 96 << 10, Progress: heightPrinter{}})
	return err
}

// TestKillResume kills an ingest of blk_0_to_14131.dat with SIGKILL several times at
// growing heights, resumes it to the end and checks that the result verifies and has the
// same digest as a clean build.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 14,132 blocks three times")
	}
	file := blk(t, "blk_0_to_14131.dat")
	dir := t.TempDir()
	kills := 0
	for _, at := range []int64{1024, 3072, 6144, 9216, 12288} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CHAINTRACE_INGEST_CHILD_DIR="+dir, "CHAINTRACE_INGEST_CHILD_FILE="+file)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killed := false
		for sc.Scan() {
			h, _ := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "height "), 10, 64)
			if h >= at {
				_ = cmd.Process.Kill() // SIGKILL
				killed = true
				break
			}
		}
		for sc.Scan() {
		}
		err = cmd.Wait()
		if !killed && err != nil {
			t.Fatalf("child failed: %v\n%s", err, stderr.String())
		}
		if killed {
			kills++
		}
		// Reopening recovers to the last checkpoint.
		ix, err := index.Open(dir, index.Options{})
		if err != nil {
			t.Fatalf("reopen after kill at %d: %v", at, err)
		}
		tip, _ := ix.Tip()
		ix.Close()
		t.Logf("killed at height ≥ %d: index resumes from %d", at, tip.Height)
	}
	if kills < 3 {
		t.Fatalf("only %d of 5 runs were killed mid-way", kills)
	}
	if _, err := ingestPaths(t, dir, nil, nil, file); err != nil {
		t.Fatal(err)
	}
	checkFacts(t, dir, facts{14132, 14247, 14997, 14282, 14131, "00000000b3e750f37fdb42e1018799a9f44b546d393b130b369590a072430a1c"})

	clean := t.TempDir()
	if _, err := ingestPaths(t, clean, nil, nil, file); err != nil {
		t.Fatal(err)
	}
	a, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := index.Open(clean, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Fatalf("digest after kills %s, clean build %s", da, db)
	}
}
