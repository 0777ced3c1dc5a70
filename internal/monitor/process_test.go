package monitor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/store"
)

// Environment of a child worker process (this test binary re-run).
const (
	childEnv     = "CHAINTRACE_KYT_CHILD"       // "work" or "hang"
	childDSN     = "CHAINTRACE_KYT_CHILD_DSN"   // PostgreSQL, with search_path
	childSimDir  = "CHAINTRACE_KYT_CHILD_SIM"   // the simulated chain's blocks
	childLeaseMS = "CHAINTRACE_KYT_CHILD_LEASE" // lease in milliseconds
)

// childWorker is a second server process: it indexes the simulated chain
// into its own index (servers hold their own copies) and screens the shared
// PostgreSQL queue until it is empty ("work"), or claims a batch and hangs
// until killed ("hang": a crash mid-screening).
func childWorker() error {
	ctx := context.Background()
	net := &chaincfg.RegressionNetParams
	files, err := source.ScanFiles([]string{filepath.Join(os.Getenv(childSimDir), "blocks")}, source.FileOptions{Network: net})
	if err != nil {
		return err
	}
	defer files.Close()
	dir, err := os.MkdirTemp("", "kyt-child-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ix, err := index.Open(dir, index.Options{Network: net, CacheBytes: 16 << 20, Kinds: classify.IndexHook()})
	if err != nil {
		return err
	}
	defer ix.Close()
	if _, err := ingest.Blocks(ctx, ingest.FromIndex(ix), ingest.FileCandidates(files),
		ingest.Options{Params: net, BlockHeight: chain.BlockHeight}); err != nil {
		return err
	}
	db, err := store.OpenPostgres(ctx, os.Getenv(childDSN))
	if err != nil {
		return err
	}
	defer db.Close()
	lease, _ := strconv.Atoi(os.Getenv(childLeaseMS))
	svc, err := New(ctx, db, Options{Chain: chainOf(ix), Workers: 4, Poll: 10 * time.Millisecond,
		Lease: time.Duration(lease) * time.Millisecond, Worker: fmt.Sprintf("child-%d", os.Getpid())})
	if err != nil {
		return err
	}
	if os.Getenv(childEnv) == "hang" {
		jobs, err := svc.claim(ctx, 50)
		if err != nil {
			return err
		}
		fmt.Printf("claimed %d\n", len(jobs))
		select {} // killed here, its jobs leased
	}
	fmt.Println("ready")
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); svc.RunWorkers(rctx) }()
	for idle := 0; idle < 20; {
		c, err := svc.Counts(ctx)
		if err != nil {
			return err
		}
		if c.Queued == 0 {
			idle++
		} else {
			idle = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	fmt.Printf("screened %d\n", svc.Screenings())
	return nil
}

// Two server processes with their own chain indexes share one PostgreSQL
// queue; a third, killed with SIGKILL while holding leased jobs, loses
// nothing: every transfer is screened exactly once.
func TestProcessesSharePostgresQueue(t *testing.T) {
	c := testChain(t)
	a, _ := openPostgres(t)
	ctx := context.Background()
	var schema string
	if err := a.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	dsn := testPostgresDSN(t, schema)
	svc, err := New(ctx, a, Options{Chain: chainOf(c.ix)})
	if err != nil {
		t.Fatal(err)
	}
	refs := references(t, c, 400)
	for i, ref := range refs {
		if _, _, err := svc.Register(ctx, "u"+strconv.Itoa(i%13), RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: ref, Direction: "received"}); err != nil {
			t.Fatal(err)
		}
	}
	start := func(mode string) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+mode, childDSN+"="+dsn, childSimDir+"="+filepath.Join(c.dir, "sim"), childLeaseMS+"=1500")
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out)
	}
	// The process that crashes mid-screening.
	hang, hangOut := start("hang")
	if !hangOut.Scan() || !strings.HasPrefix(hangOut.Text(), "claimed ") || hangOut.Text() == "claimed 0" {
		t.Fatalf("hanging child: %q", hangOut.Text())
	}
	hang.Process.Signal(syscall.SIGKILL)
	hang.Wait()
	// Two live servers.
	w1, out1 := start("work")
	w2, out2 := start("work")
	var counts []int
	for _, p := range []struct {
		cmd *exec.Cmd
		out *bufio.Scanner
	}{{w1, out1}, {w2, out2}} {
		n := -1
		for p.out.Scan() {
			if v, ok := strings.CutPrefix(p.out.Text(), "screened "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
		counts = append(counts, n)
	}
	var total, distinct, screened int
	a.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT transfer_id) FROM kyt_screenings`).Scan(&total, &distinct)
	a.QueryRowContext(ctx, `SELECT COUNT(*) FROM kyt_transfers WHERE status = 'screened'`).Scan(&screened)
	t.Logf("processes screened %v", counts)
	if total != len(refs) || distinct != len(refs) || screened != len(refs) || counts[0]+counts[1] != len(refs) {
		t.Errorf("%d screenings of %d transfers, %d screened, processes %v: want %d each, once", total, distinct, screened, counts, len(refs))
	}
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("one process did all the work: %v", counts)
	}
}
