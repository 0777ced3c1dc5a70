package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func sdnIDs(t *testing.T, path string) map[string]bool { return testutil.SDNEntNums(t, path) }

var (
	diffOnce   sync.Once
	diffParsed [2]*sanctions.Parsed // ofac-sdn 2024-05, 2025-02
	diffErr    error
)

// listDiffServer serves a store holding the two real OFAC SDN versions
// (2024-05, then 2025-02) and a one-entry watchlist, and returns their
// versions.
func listDiffServer(t *testing.T) (*httptest.Server, [3]sanctions.Version) {
	t.Helper()
	old := testutil.SharedFile(t, "data/sanctions/ofac-2024-05/sdn.csv")
	cur := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	diffOnce.Do(func() {
		for i, p := range []string{old, cur} {
			if diffParsed[i], diffErr = sanctions.ParseFile(sanctions.FormatOFACCSV, p, ""); diffErr != nil {
				return
			}
		}
	})
	if diffErr != nil {
		t.Fatal(diffErr)
	}
	dir := t.TempDir()
	st, err := sanctions.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wl := filepath.Join(dir, "desk.csv")
	if err := os.WriteFile(wl, []byte("id,name,address,ticker,category,source\n1,Fake Exchange,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,BTC,scam,tip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wp, err := sanctions.ParseFile(sanctions.FormatWatchlist, wl, "desk")
	if err != nil {
		t.Fatal(err)
	}
	var vs [3]sanctions.Version
	for i, p := range []*sanctions.Parsed{diffParsed[0], diffParsed[1], wp} {
		if vs[i], _, err = st.Import(context.Background(), p, sanctions.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var cfg Config
	cfg.Sanctions = st
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv, vs
}

type diffAnswer struct {
	From, To struct {
		ID      int64  `json:"id"`
		List    string `json:"list"`
		Source  string `json:"source"`
		InForce bool   `json:"in_force"`
	}
	Counts                  map[string]int
	Added, Removed, Changed []struct {
		ID, Name, Type string
		Fields         []string
	}
	AddedAddresses []struct{ EntityID, Ticker, Address string } `json:"added_addresses"`
	Notes          []string
	Truncated      bool
}

func TestListDiffRoute(t *testing.T) { checkListDiffRoute(t, newValidator(t)) }

// The diff of the real OFAC SDN versions of 2024-05 and 2025-02 by entry:
// the added and delisted ids are exactly those of the two files' ent_num
// sets, computed here from the raw CSV.
func checkListDiffRoute(t *testing.T, v *validator) {
	srv, diffVers := listDiffServer(t)
	a := sdnIDs(t, testutil.SharedFile(t, "data/sanctions/ofac-2024-05/sdn.csv"))
	b := sdnIDs(t, testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv"))
	added, removed := map[string]bool{}, map[string]bool{}
	for id := range b {
		if !a[id] {
			added[id] = true
		}
	}
	for id := range a {
		if !b[id] {
			removed[id] = true
		}
	}
	if len(added) == 0 || len(removed) == 0 {
		t.Fatalf("independent sets: +%d -%d; expected both between 2024-05 and 2025-02", len(added), len(removed))
	}
	getDiff := func(query string, want int) (diffAnswer, map[string]any) {
		t.Helper()
		code, b := v.do("GET", srv.URL+"/v1/lists/ofac-sdn/diff"+query, "", nil)
		var d diffAnswer
		var m map[string]any
		json.Unmarshal(b, &d)
		json.Unmarshal(b, &m)
		if code != want {
			t.Fatalf("diff%s: %d, want %d: %.300s", query, code, want, b)
		}
		return d, m
	}
	// Defaults: the version in force against the one before it.
	d, _ := getDiff("", 200)
	if d.From.ID != diffVers[0].ID || d.To.ID != diffVers[1].ID || d.From.InForce || !d.To.InForce {
		t.Errorf("default versions: from %+v to %+v", d.From, d.To)
	}
	if strings.Contains(d.From.Source, "/") || strings.Contains(d.To.Source, "/") {
		t.Errorf("the diff shows a local path: %q %q", d.From.Source, d.To.Source)
	}
	if len(d.Added) != len(added) || len(d.Removed) != len(removed) || d.Counts["added"] != len(added) || d.Counts["removed"] != len(removed) {
		t.Errorf("diff: +%d -%d (counts %v); the ent_num sets: +%d -%d", len(d.Added), len(d.Removed), d.Counts, len(added), len(removed))
	}
	for _, e := range d.Added {
		if !added[e.ID] || e.Name == "" || e.Type == "" {
			t.Errorf("added %+v: not new in 2025-02, or unnamed", e)
		}
	}
	for _, e := range d.Removed {
		if !removed[e.ID] || e.Name == "" {
			t.Errorf("removed %+v: still in 2025-02, or unnamed", e)
		}
	}
	if len(d.Changed) == 0 || d.Counts["changed"] != len(d.Changed) || len(d.AddedAddresses) == 0 {
		t.Errorf("diff: %d changed (count %d), %d added addresses: want some", len(d.Changed), d.Counts["changed"], len(d.AddedAddresses))
	}
	for _, c := range d.Changed {
		if !a[c.ID] || !b[c.ID] || len(c.Fields) == 0 {
			t.Errorf("changed %+v: not in both files, or no field", c)
		}
	}
	if len(d.Notes) == 0 { // 2024-05 is sdn.csv alone: no aliases or postal addresses compared
		t.Error("no note on the fields left out")
	}
	// Explicit versions, in any spelling; reversed, additions and delistings swap.
	r, _ := getDiff("?from=ofac-sdn@"+idStr(diffVers[1].ID)+"&to=v"+idStr(diffVers[0].ID), 200)
	if len(r.Added) != len(removed) || len(r.Removed) != len(added) {
		t.Errorf("reversed diff: +%d -%d, want +%d -%d", len(r.Added), len(r.Removed), len(removed), len(added))
	}
	// limit cuts each part; the counts stay whole.
	l, _ := getDiff("?limit=5&from="+idStr(diffVers[0].ID), 200)
	if !l.Truncated || len(l.Added) != 5 || len(l.Removed) != 5 || l.Counts["added"] != len(added) || l.Added[0].ID != d.Added[0].ID {
		t.Errorf("limit 5: truncated %v, %d added, %d removed, counts %v", l.Truncated, len(l.Added), len(l.Removed), l.Counts)
	}
	if d.Truncated {
		t.Error("a whole diff says truncated")
	}
	// Errors name what is wrong.
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/v1/lists/nope/diff", 404, `list "nope" has never been imported (lists: ofac-sdn, watchlist:desk)`},
		{"/v1/lists/ofac-sdn/diff?from=x", 400, `from: version "x"`},
		{"/v1/lists/ofac-sdn/diff?to=999999", 404, "no such list version"},
		{"/v1/lists/ofac-sdn/diff?from=" + idStr(diffVers[2].ID), 400, "is of list watchlist:desk, not ofac-sdn"},
		{"/v1/lists/ofac-sdn/diff?to=" + idStr(diffVers[0].ID), 404, "first version"},
		{"/v1/lists/watchlist:desk/diff", 404, "first version"},
		{"/v1/lists/ofac-sdn/diff?limit=0", 400, "limit"},
	} {
		code, b := v.do("GET", srv.URL+c.path, "", nil)
		var m map[string]any
		json.Unmarshal(b, &m)
		if e, _ := m["error"].(string); code != c.status || !strings.Contains(e, c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.path, code, b, c.status, c.want)
		}
	}
	empty := httptest.NewServer(New(Config{}))
	defer empty.Close()
	if code, _ := v.do("GET", empty.URL+"/v1/lists/ofac-sdn/diff", "", nil); code != 503 {
		t.Errorf("no store: %d, want 503", code)
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
