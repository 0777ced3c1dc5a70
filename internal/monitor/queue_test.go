package monitor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// references returns n distinct transfer references of indexed txs (output 0
// of the txs of successive blocks).
func references(t *testing.T, c *simChain, n int) []string {
	t.Helper()
	var refs []string
	for h := int64(1); len(refs) < n; h++ {
		b, err := c.ix.BlockByHeight(h)
		if err != nil {
			t.Fatalf("only %d references up to height %d: %v", len(refs), h, err)
		}
		for _, txid := range b.Txids {
			if len(refs) < n {
				refs = append(refs, txid+":0")
			}
		}
	}
	return refs
}

// sharedQueue runs two monitors, each with its own connection pool (as two
// server processes would), on one queue: every transfer is screened exactly
// once.
func sharedQueue(t *testing.T, a, b *store.DB) {
	ctx := context.Background()
	c := testChain(t)
	mk := func(db *store.DB, name string) *Service {
		s, err := New(ctx, db, Options{Chain: chainOf(c.ix), Workers: 4, Poll: 10 * time.Millisecond, Worker: name})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sa, sb := mk(a, "A"), mk(b, "B")
	refs := references(t, c, 300)
	for i, ref := range refs {
		s := sa
		if i%2 == 1 {
			s = sb
		}
		if _, _, err := s.Register(ctx, fmt.Sprintf("u%d", i%7), RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: ref, Direction: "received"}); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range []*Service{sa, sb} {
		wg.Add(1)
		go func() { defer wg.Done(); s.RunWorkers(rctx) }()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cn, err := sa.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cn.Transfers[StatusScreened] == len(refs) && cn.Queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all screened: %+v", cn)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	var total, distinct int
	if err := a.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT transfer_id) FROM kyt_screenings`).Scan(&total, &distinct); err != nil {
		t.Fatal(err)
	}
	if total != len(refs) || distinct != len(refs) {
		t.Errorf("%d screenings of %d transfers, want %d of %d (no transfer twice)", total, distinct, len(refs), len(refs))
	}
	if sa.Screenings()+sb.Screenings() != int64(len(refs)) || sa.Screenings() == 0 || sb.Screenings() == 0 {
		t.Errorf("screenings by A %d, by B %d: want both to share %d", sa.Screenings(), sb.Screenings(), len(refs))
	}
	t.Logf("A screened %d, B %d", sa.Screenings(), sb.Screenings())
}

func TestSharedQueuePostgres(t *testing.T) {
	a, open := openPostgres(t)
	b := open()
	// Both pools migrate concurrently-safe: the second finds the schema done.
	sharedQueue(t, a, b)
}

func TestSharedQueueSQLite(t *testing.T) {
	dir := t.TempDir()
	a, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sharedQueue(t, a, b)
}

// A worker that dies mid-screening leaves its transfer pending; it is
// screened by another after the lease expires, and the dead worker's late
// result is dropped.
func TestLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	c := testChain(t)
	db, _ := openSQLite(t)
	lease := 300 * time.Millisecond
	dead, err := New(ctx, db, Options{Chain: chainOf(c.ix), Lease: lease, Worker: "dead"})
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := dead.Register(ctx, "u", RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: references(t, c, 1)[0], Direction: "sent"})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := dead.claim(ctx, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	// The worker "crashes" here. Another process finds the lease held.
	live, err := New(ctx, db, Options{Chain: chainOf(c.ix), Lease: lease, Worker: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := live.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("drain under a held lease: %d %v", n, err)
	}
	if got, _ := live.Transfer(ctx, tr.ExternalID); got.Status != StatusPending {
		t.Fatalf("status %s, want pending", got.Status)
	}
	time.Sleep(lease + 50*time.Millisecond)
	if n, err := live.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("drain after the lease expired: %d %v", n, err)
	}
	// The dead worker wakes up and finishes its stale job: nothing is stored twice.
	if err := dead.runJob(ctx, jobs[0]); err != nil {
		t.Fatal(err)
	}
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM kyt_screenings`).Scan(&n)
	if n != 1 || dead.Screenings() != 0 {
		t.Errorf("%d screenings (dead worker committed %d), want 1 and 0", n, dead.Screenings())
	}
	if got, _ := live.Transfer(ctx, tr.ExternalID); got.Status != StatusScreened {
		t.Errorf("status %s, want screened", got.Status)
	}
}
