package sanctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

func nameTestImport(t *testing.T, s *Store, format, rel string) Version {
	t.Helper()
	p, err := ParseFile(format, testutil.SharedFile(t, rel), "")
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := s.Import(context.Background(), p, ImportOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func findMatch(r *NameResult, id string) *NameMatch {
	for i := range r.Matches {
		if r.Matches[i].EntityID == id {
			return &r.Matches[i]
		}
	}
	return nil
}

// The name index follows the versions in force: GAZPROMBANK (ent_num 17016)
// was designated between the 2024-05 and 2025-02 lists, RAMIREZ ABADIA
// (6718) removed.
func TestScreenNameFollowsVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("imports two real OFAC lists")
	}
	ctx := context.Background()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ScreenName(ctx, "  \t", NameOptions{}); !errors.Is(err, ErrEmptyName) {
		t.Fatalf("blank name: err %v, want ErrEmptyName", err)
	}
	r, err := s.ScreenName(ctx, "Gazprombank", NameOptions{})
	if err != nil || len(r.Matches) != 0 || r.ListVersion != "" {
		t.Fatalf("empty store: %+v, %v", r, err)
	}

	v1 := nameTestImport(t, s, FormatOFACCSV, "data/sanctions/ofac-2024-05/sdn.csv")
	r1, err := s.ScreenName(ctx, "Gazprombank Joint Stock Company", NameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.ListVersion != v1.Label() {
		t.Errorf("list_version %q, want %q", r1.ListVersion, v1.Label())
	}
	if m := findMatch(r1, "ofac:17016"); m != nil {
		t.Errorf("2024-05: GAZPROMBANK matched before its designation: %+v", m)
	}
	if m, _ := s.ScreenName(ctx, "Juan Carlos Ramirez Abadia", NameOptions{}); findMatch(m, "ofac:6718") == nil {
		t.Errorf("2024-05: RAMIREZ ABADIA not found")
	}

	v2 := nameTestImport(t, s, FormatOFACCSV, "data/sanctions/ofac-2025-02")
	r2, err := s.ScreenName(ctx, "Gazprombank Joint Stock Company", NameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.ListVersion != v2.Label() {
		t.Errorf("list_version %q, want %q", r2.ListVersion, v2.Label())
	}
	m := findMatch(r2, "ofac:17016")
	if m == nil || m.Score < 0.95 || m.List != ListOFAC || m.Type != TypeEntity {
		t.Fatalf("2025-02: GAZPROMBANK match %+v", m)
	}
	if m, _ := s.ScreenName(ctx, "Juan Carlos Ramirez Abadia", NameOptions{}); findMatch(m, "ofac:6718") != nil {
		t.Errorf("2025-02: delisted RAMIREZ ABADIA still matched")
	}
	for i := 1; i < len(r2.Matches); i++ {
		if r2.Matches[i].Score > r2.Matches[i-1].Score {
			t.Errorf("matches not sorted by score")
		}
	}

	// The JSON contract.
	r3, err := s.ScreenName(ctx, "Lazarus-Group", NameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r3)
	var doc struct {
		Query       *string          `json:"query"`
		ListVersion *string          `json:"list_version"`
		Matches     []map[string]any `json:"matches"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Query == nil || doc.ListVersion == nil || len(doc.Matches) == 0 {
		t.Fatalf("contract: %s", b)
	}
	for _, k := range []string{"list", "entity_id", "name", "matched_name", "type", "programs", "score", "explanation"} {
		if _, ok := doc.Matches[0][k]; !ok {
			t.Errorf("match lacks %q: %s", k, b)
		}
	}
	if doc.Matches[0]["entity_id"] != "ofac:27307" {
		t.Errorf("Lazarus-Group: top match %v, want ofac:27307", doc.Matches[0]["entity_id"])
	}
}

func TestScreenNameUNAndFilters(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nameTestImport(t, s, FormatUNXML, "data/sanctions/un/consolidated-2026-02-27.xml")
	tests := []struct {
		q    string
		opts NameOptions
		want string // entity expected among matches ("" = no match)
	}{
		{"Kim Jong-un", NameOptions{}, ""},               // not on the UN list
		{"Osama bin Laden", NameOptions{}, "un:QDe.004"}, // the organisation bearing his name
		{"Saddam Hussein al Tikriti", NameOptions{}, "un:IQi.001"},
		{"Saddam Hussein al Tikriti", NameOptions{Types: []string{TypeEntity}}, ""},
		{"Saddam Hussein al Tikriti", NameOptions{Programs: []string{"Iraq"}}, "un:IQi.001"},
		{"Saddam Hussein al Tikriti", NameOptions{Programs: []string{"DPRK"}}, ""},
		{"Saddam Hussein al Tikriti", NameOptions{DOB: "1937"}, "un:IQi.001"},
		{"Saddam Hussein al Tikriti", NameOptions{DOB: "1950"}, ""},
	}
	for _, tt := range tests {
		r, err := s.ScreenName(ctx, tt.q, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if tt.want != "" && findMatch(r, tt.want) == nil {
			t.Errorf("%q %+v: %s not among %+v", tt.q, tt.opts, tt.want, r.Matches)
		}
		if tt.want == "" && (findMatch(r, "un:IQi.001") != nil || tt.q == "Kim Jong-un" && len(r.Matches) > 0) {
			t.Errorf("%q %+v: unexpected matches %+v", tt.q, tt.opts, r.Matches)
		}
	}
}

func TestCheckDOB(t *testing.T) {
	for _, d := range []string{"1984", "1984-01", "1984-01-08"} {
		if err := CheckDOB(d); err != nil {
			t.Errorf("CheckDOB(%q): %v", d, err)
		}
	}
	for _, d := range []string{"", "84", "1984-1", "1984-13", "1984-01-32", "1984-01-08-01", "abcd", "1984/01/08"} {
		if err := CheckDOB(d); err == nil {
			t.Errorf("CheckDOB(%q) accepted", d)
		}
	}
}

// A dropped Store's name index is released with it.
func TestNameIndexReleased(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScreenName(context.Background(), "x", NameOptions{}); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		nameIndexes.Range(func(k, v any) bool {
			if k.(weak.Pointer[Store]).Value() == s {
				n++
			}
			return true
		})
		return n
	}
	if count() != 1 {
		t.Fatalf("no cached index for the store")
	}
	s.Close()
	key := weak.Make(s)
	s = nil
	for i := 0; i < 20; i++ {
		runtime.GC()
		if _, ok := nameIndexes.Load(key); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("name index of a dropped store still cached")
}

// Screens running while a list is imported answer from the old or the new
// index, never fail, and say which versions they used.
func TestScreenNameDuringImport(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v1 := nameTestImport(t, s, FormatUNXML, "data/sanctions/un/consolidated-2026-02-27.xml")
	if err := s.WarmNameIndex(ctx); err != nil {
		t.Fatal(err)
	}
	wl := filepath.Join(t.TempDir(), "firm.csv")
	if err := os.WriteFile(wl, []byte("id,name,category\n1,Zorblax Quinterra Holdings,internal-block\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				r, err := s.ScreenName(ctx, "Zorblax Quinterra", NameOptions{})
				if err != nil {
					errs <- err
					return
				}
				if r.ListVersion != v1.Label() && len(r.Matches) != 1 {
					errs <- fmt.Errorf("list_version %s but matches %+v", r.ListVersion, r.Matches)
					return
				}
			}
		}()
	}
	p, err := ParseWatchlist(wl, "firm")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Import(ctx, p, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// Screens racing the import may still be answered from the old index;
	// once WarmNameIndex returns, the new version is in it.
	if err := s.WarmNameIndex(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := s.ScreenName(ctx, "Zorblax Quinterra", NameOptions{})
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err != nil || len(r.Matches) != 1 || r.Matches[0].List != WatchlistPrefix+"firm" {
		t.Fatalf("after import: %+v %v", r, err)
	}
}

func TestDOBYears(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"12 Mar 1964", "1964"},
		{"1964-03-12", "1964"},
		{"1951 to 1953", "1951 1952 1953"},
		{"circa 1979-1982", "1979 1980 1981 1982"},
		{"1946; alt. 1947", "1946 1947"},
		{"no date", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(dobYears(tt.in), " "); got != tt.want {
			t.Errorf("dobYears(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Screening a name allocates nothing per call beyond the search and its
// answer: the per-store index cache is looked up, not recreated.
func TestScreenNameAllocations(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nameTestImport(t, s, "un-xml", "data/sanctions/un/consolidated-2026-02-27.xml")
	ctx := context.Background()
	if err := s.WarmNameIndex(ctx); err != nil {
		t.Fatal(err)
	}
	ix, _, err := s.NameIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const q = "Zzyzx Qwertyuiop" // matches nothing
	search := testing.AllocsPerRun(50, func() { ix.Search(q, NameOptions{}) })
	// The typo keys of a query are looked up without building strings.
	if search > 45 {
		t.Errorf("a search of %q allocates %.0f times, want at most 45", q, search)
	}
	screen := testing.AllocsPerRun(50, func() { s.ScreenName(ctx, q, NameOptions{}) })
	// A screen without a deadline gets one (NameScreenTimeout).
	deadline := testing.AllocsPerRun(50, func() {
		_, cancel := context.WithTimeout(ctx, NameScreenTimeout)
		cancel()
	})
	t.Logf("search %.0f, screen %.0f allocations (deadline %.0f)", search, screen, deadline)
	// The answer itself (a NameResult) costs 1.
	if screen > search+deadline+1 {
		t.Errorf("ScreenName allocates %.0f times, the search alone %.0f, its deadline %.0f", screen, search, deadline)
	}
}
