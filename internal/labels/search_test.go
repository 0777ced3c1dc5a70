package labels

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// searchAll pages through a search with the given page size and returns
// every label, failing on a repeated label or a page larger than asked.
func searchAll(t *testing.T, s *Store, q, match string, limit int) []Label {
	t.Helper()
	var out []Label
	seen := map[searchKey]bool{}
	after := ""
	for pages := 0; ; pages++ {
		r, err := s.Search(context.Background(), q, SearchOptions{Match: match, Limit: limit, After: after})
		if err != nil {
			t.Fatalf("search %q (%s, limit %d, page %d): %v", q, match, limit, pages, err)
		}
		if len(r.Labels) > limit {
			t.Fatalf("page of %d labels, limit %d", len(r.Labels), limit)
		}
		for i := range r.Labels {
			k := keyOf(&r.Labels[i])
			if seen[k] {
				t.Fatalf("search %q: %+v on two pages", q, k)
			}
			seen[k] = true
		}
		out = append(out, r.Labels...)
		if r.Next == "" {
			return out
		}
		if len(r.Labels) != limit {
			t.Fatalf("a page of %d labels (limit %d) with a next cursor", len(r.Labels), limit)
		}
		after = r.Next
		if pages > 10000 {
			t.Fatal("search pages do not end")
		}
	}
}

// storedLabels reads every stored (address, label) straight from the table,
// for brute-force expectations.
func storedLabels(t *testing.T, s *Store) [][2]string {
	t.Helper()
	rows, err := s.db.Query(`SELECT address, label FROM labels`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var a, l string
		if err := rows.Scan(&a, &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{a, l})
	}
	return out
}

// searchSuite runs the label search checks on s (joined to sanc, empty):
// the real TagPacks and OFAC list, a hand-made CSV of awkward labels.
func searchSuite(t *testing.T, s *Store, sanc *sanctions.Store) {
	ctx := context.Background()
	files, _ := filepath.Glob(filepath.Join(testutil.SharedFile(t, "data/labels/tagpacks"), "*.yaml"))
	var ins []Input
	for _, p := range files {
		ins = append(ins, fileInput(t, FormatTagPack, p))
	}
	ins = append(ins, textInput("awkward.csv", FormatCSV, "address,label,category\n"+
		"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,ÉCOLE 100%_sure,exchange\n"+
		"1BoatSLRHtKNngkdXEeobR76b53LETtpyT,école 100x sure,exchange\n"+
		"bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew,École,scam\n"))
	mustImport(t, s, ImportOptions{}, ins...)
	all := storedLabels(t, s)

	// Blender.io: the TagPack's 45 addresses (shared/README.md).
	got := searchAll(t, s, "blender", MatchPrefix, 50)
	if len(got) != 45 {
		t.Errorf("search blender: %d labels, want the TagPack's 45", len(got))
	}
	for _, l := range got {
		if l.Label != "Blender.io" || l.Category != Mixer || l.Source == "" || l.Dataset != "blender_io.yaml" {
			t.Errorf("search blender: %+v", l)
			break
		}
	}
	// Case-insensitive, prefix and contains, paged any way: the same labels as
	// a brute-force filter over the whole table.
	for _, c := range []struct{ q, match string }{
		{"BITFINEX", MatchPrefix}, {"Bitfinex hack", MatchPrefix}, {"mixer", MatchContains},
		{" hack", MatchContains}, {"école", MatchPrefix}, {"ÉCOLE 100%", MatchPrefix}, {"0%_s", MatchContains},
		{"%", MatchContains}, {"_", MatchContains}, {"zzz no such label", MatchPrefix},
	} {
		fq := strings.ToLower(strings.TrimSpace(c.q))
		want := map[[2]string]bool{}
		for _, r := range all {
			l := strings.ToLower(r[1])
			if c.match == MatchPrefix && strings.HasPrefix(l, fq) || c.match == MatchContains && strings.Contains(l, fq) {
				want[r] = true
			}
		}
		for _, limit := range []int{1, 7, MaxSearchLimit} {
			got := searchAll(t, s, c.q, c.match, limit)
			gotSet := map[[2]string]bool{}
			for i, l := range got {
				gotSet[[2]string{l.Address, l.Label}] = true
				if i > 0 && keyOf(&got[i]).less(keyOf(&got[i-1])) {
					t.Errorf("search %q: results out of order at %d", c.q, i)
				}
			}
			if len(got) != len(want) || len(gotSet) != len(want) {
				t.Errorf("search %q (%s, limit %d): %d labels, want %d", c.q, c.match, limit, len(got), len(want))
				continue
			}
			for r := range want {
				if !gotSet[r] {
					t.Errorf("search %q (%s): %v missing", c.q, c.match, r)
				}
			}
		}
	}
	if n := len(searchAll(t, s, "école", MatchPrefix, 10)); n != 3 {
		t.Errorf("école: %d labels, want 3 (É folds to é)", n)
	}
	if n := len(searchAll(t, s, "bitfinex", MatchPrefix, 100)); n < 100 {
		t.Errorf("bitfinex: %d labels: the packs hold over 100 (Bitfinex, Bitfinex hack, …)", n)
	}

	// Sanctioned names: the Bitcoin addresses of the list in force are found
	// under the listed name: BLENDER.IO's (ent_num 37070), counted
	// independently from the raw files (sdn.csv and its comments' spill-over,
	// keeping the strings the independent XBT list holds: one in sdn.csv is a
	// fragment cut at the field's end).
	facts := xbtFacts(t)
	blender := map[string]bool{}
	xbt := regexp.MustCompile(`XBT ([0-9A-Za-z]+)`)
	for _, f := range []string{"sdn.csv", "sdn_comments.csv"} {
		b, err := os.ReadFile(testutil.SharedFile(t, "data/sanctions/ofac-2025-02/"+f))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "37070,") {
				for _, m := range xbt.FindAllStringSubmatch(line, -1) {
					if facts[m[1]] {
						blender[m[1]] = true
					}
				}
			}
		}
	}
	if len(blender) < 40 {
		t.Fatalf("independent count: BLENDER.IO has %d Bitcoin addresses in the raw files", len(blender))
	}
	if _, _, _, err := sanc.ImportFile(ctx, sanctions.FormatOFACCSV, testutil.SharedFile(t, "data/sanctions/ofac-2025-02"),
		sanctions.ParseOptions{}, sanctions.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got = searchAll(t, s, "Blender", MatchPrefix, 20)
	var listed int
	for _, l := range got {
		if l.Category == Sanctions {
			listed++
			if l.Label != "BLENDER.IO" || l.Ref != "ofac:37070" || !strings.HasPrefix(l.Source, "ofac-sdn@") || !blender[l.Address] {
				t.Errorf("sanctions label: %+v", l)
			}
		}
	}
	if listed != len(blender) || len(got) != 45+len(blender) {
		t.Errorf("search Blender with OFAC in force: %d labels, %d of the list; want 45 + %d", len(got), listed, len(blender))
	}
	// LAZARUS GROUP is listed with Ethereum addresses only: the TagPacks'
	// "Lazarus group" labels are found, no label of the list.
	got = searchAll(t, s, "lazarus group", MatchPrefix, 10)
	if len(got) == 0 {
		t.Error("search lazarus group: the TagPacks' labels not found")
	}
	for _, l := range got {
		if l.Format == FormatSanctions {
			t.Errorf("a non-Bitcoin listing became a label: %+v", l)
		}
	}

	// Bad requests name what is wrong.
	for _, c := range []struct {
		q    string
		opts SearchOptions
		want string
	}{
		{"  ", SearchOptions{}, "empty query"},
		{strings.Repeat("x", MaxSearchQuery+1), SearchOptions{}, "at most"},
		{"a", SearchOptions{Match: "regex"}, "match"},
		{"a", SearchOptions{Limit: -1}, "limit"},
		{"a", SearchOptions{Limit: MaxSearchLimit + 1}, "limit"},
		{"a", SearchOptions{After: "not-a-cursor"}, "cursor"},
	} {
		_, err := s.Search(ctx, c.q, c.opts)
		if !errors.Is(err, ErrSearch) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("search %.20q %+v: %v, want ErrSearch about %q", c.q, c.opts, err, c.want)
		}
	}
}

func TestSearch(t *testing.T) {
	s, sanc, _ := openWithSanctions(t)
	searchSuite(t, s, sanc)
}

func TestSearchPostgres(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, testutil.PostgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sanc, err := sanctions.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, db, Options{Sanctions: sanc})
	if err != nil {
		t.Fatal(err)
	}
	searchSuite(t, s, sanc)
}

// A store made before the search (migration 1 only, labels without
// label_key) is migrated and its labels filled in on open.
func TestSearchMigratesOldStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "labels", migrations[:1]); err != nil {
		t.Fatal(err)
	}
	for i, l := range []string{"Huobi.com", "HUOBI cold wallet", "Kraken"} {
		c, key, err := CanonicalAddress([]string{"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"}[i], &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO labels (address, addr_key, label, category, source, confidence, dataset, format, imported)
			VALUES (?, ?, ?, 'exchange', 'old', 0.5, 'old.csv', 'csv', '2026-01-01T00:00:00Z')`, c, key, l); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := searchAll(t, s, "huobi", MatchPrefix, 1)
	// "huobi cold wallet" < "huobi.com": the folded labels, byte-wise.
	if len(got) != 2 || got[0].Label != "HUOBI cold wallet" || got[1].Label != "Huobi.com" {
		t.Errorf("old labels after migration: %+v", got)
	}
	var empty int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM labels WHERE label_key = ''`).Scan(&empty); err != nil || empty != 0 {
		t.Errorf("%d labels left without a search key (%v)", empty, err)
	}
}
