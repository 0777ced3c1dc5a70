package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Scheduled refresh over a local server publishing the 2024-05 list, then
// the 2025-02 list, then a challenge page: two versions come in (the second
// with its diff kept), the bad download is recorded and changes nothing.
func TestRefreshKeepsDiffsAndLastGood(t *testing.T) {
	ctx := context.Background()
	shared := testutil.SharedDir(t)
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(shared, "data/sanctions", rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	old := map[string][]byte{"/exports/SDN.CSV": read("ofac-2024-05/sdn.csv")}
	cur := map[string][]byte{
		"/exports/SDN.CSV": read("ofac-2025-02/sdn.csv"), "/exports/ADD.CSV": read("ofac-2025-02/add.csv"),
		"/exports/ALT.CSV": read("ofac-2025-02/alt.csv"), "/exports/SDN_COMMENTS.CSV": read("ofac-2025-02/sdn_comments.csv"),
	}
	// A bad download: the main file is an HTML challenge page. Its siblings
	// stay those of cur, so a round that straddles the switch (the main file
	// fetched before it, the siblings after) sees cur whole, not a mix.
	bad := map[string][]byte{"/exports/SDN.CSV": []byte("<!DOCTYPE html><html><title>Just a moment...</title></html>")}
	for k, v := range cur {
		if k != "/exports/SDN.CSV" {
			bad[k] = v
		}
	}
	var files atomic.Value
	files.Store(old)
	srv := listServer(t, &files)
	s := openTestStore(t)
	reqs := []UpdateRequest{{Source: "ofac", URL: srv.URL + "/exports/SDN.CSV", DataDir: t.TempDir()}}

	// The scheduled loop: a round at once, then one per tick.
	rounds := make(chan []RefreshResult, 10)
	rctx, cancel := context.WithCancel(ctx)
	go s.RunRefresh(rctx, 50*time.Millisecond, reqs, func(r []RefreshResult, err error) {
		if err != nil {
			t.Error(err)
		}
		rounds <- r
	})
	next := func() RefreshResult {
		select {
		case r := <-rounds:
			if len(r) != 1 {
				t.Fatalf("round of %d results", len(r))
			}
			return r[0]
		case <-time.After(60 * time.Second):
			t.Fatal("no refresh round")
		}
		return RefreshResult{}
	}
	r1 := next()
	if r1.Outcome != RefreshImported || r1.From != 0 || r1.To == 0 || r1.Diff != nil {
		t.Fatalf("first round: %+v", r1)
	}
	files.Store(cur)
	var r2 RefreshResult
	for r2 = next(); r2.Outcome == RefreshUnchanged; r2 = next() {
	}
	if r2.Outcome != RefreshImported || r2.From != r1.To || r2.Diff == nil || r2.Diff.To.Addresses != 661 || r2.Diff.From.Entities != 14965 {
		t.Fatalf("second version: %+v", r2)
	}
	files.Store(bad)
	var r3 RefreshResult
	for r3 = next(); r3.Outcome == RefreshUnchanged; r3 = next() {
	}
	cancel()
	if r3.Outcome != RefreshRefused || r3.Error == "" || r3.To != r2.To {
		t.Fatalf("bad download: %+v", r3)
	}
	if c, _ := s.Current(ctx, ListOFAC); c.ID != r2.To || c.Addresses != 661 {
		t.Fatalf("in force after a bad download: %+v", c)
	}
	// Everything is kept, newest first, the diff with its entities.
	kept, err := s.Refreshes(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var imported []RefreshResult
	for _, k := range kept {
		if k.Outcome == RefreshImported {
			imported = append(imported, k)
		}
	}
	if len(imported) != 2 || imported[0].Diff == nil || len(imported[0].Diff.Added) != len(r2.Diff.Added) || len(imported[0].Diff.Added) == 0 {
		t.Fatalf("kept: %d imported %+v", len(imported), imported)
	}
	if kept[0].Outcome != RefreshRefused && kept[0].Outcome != RefreshUnchanged {
		t.Errorf("newest kept outcome %s", kept[0].Outcome)
	}
}
