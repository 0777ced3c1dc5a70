package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// TestPostgresStore runs the store against a real PostgreSQL server when
// CHAINTRACE_TEST_POSTGRES holds a DSN URL (e.g.
// postgres://postgres@127.0.0.1:5432/postgres); each run uses its own schema.
func TestPostgresStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, testutil.PostgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// The same code path as SQLite: import, refuse, screen, pin, diff.
	old := parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2024-05/sdn.csv")
	cur := parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02")
	v1, _, err := s.Import(ctx, old, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v2, _, err := s.Import(ctx, cur, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Import(ctx, old, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "fewer than 90%") {
		t.Errorf("shrunken list accepted: %v", err)
	}
	if c, _ := s.Current(ctx, ListOFAC); c.ID != v2.ID || c.Addresses != 661 {
		t.Errorf("current = %+v", c)
	}
	r, err := s.ScreenAddress(ctx, "0x098b716b8aaf21512996dc57eb0615e2383e2f96")
	if err != nil || !r.Sanctioned || r.Matches[0].EntityID != "ofac:27307" {
		t.Errorf("screen: %+v %v", r, err)
	}
	r, err = s.ScreenAddressAt(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", v1.ID)
	if err != nil || !r.Sanctioned {
		t.Errorf("pinned screen: %+v %v", r, err)
	}
	d, err := s.Diff(ctx, v1.ID, v2.ID)
	if err != nil {
		t.Fatal(err)
	}
	sq := openTestStore(t)
	mustImport(t, sq, old)
	mustImport(t, sq, cur)
	dq, err := sq.Diff(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != len(dq.Added) || len(d.Removed) != len(dq.Removed) || len(d.Changed) != len(dq.Changed) {
		t.Errorf("PostgreSQL diff +%d -%d ~%d differs from SQLite +%d -%d ~%d",
			len(d.Added), len(d.Removed), len(d.Changed), len(dq.Added), len(dq.Removed), len(dq.Changed))
	}
	ents, err := s.Entities(ctx)
	if err != nil || len(ents) != 16989 {
		t.Errorf("entities in force: %d, %v", len(ents), err)
	}
	// A streamed watchlist import whose rows of one id fall in different
	// batches (merged in the store).
	defer func(n int) { watchlistBatch = n }(watchlistBatch)
	watchlistBatch = 1
	path := filepath.Join(t.TempDir(), "w.csv")
	os.WriteFile(path, []byte("id,name,address,ticker\na,Acme,,\nb,Bravo,,\na,Acme Ltd,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,XBT\n"), 0o644)
	wv, _, _, err := s.ImportFile(ctx, FormatWatchlist, path, ParseOptions{Name: "w"}, ImportOptions{})
	if err != nil || wv.Entities != 2 || wv.Addresses != 1 {
		t.Errorf("streamed watchlist: %+v %v, want 2 entities, 1 address", wv, err)
	}
	if e, _, err := s.EntityByID(ctx, "watchlist:w:a"); err != nil || len(e.Aliases) != 1 || len(e.CryptoAddresses) != 1 {
		t.Errorf("merged entity: %+v %v", e, err)
	}
}
