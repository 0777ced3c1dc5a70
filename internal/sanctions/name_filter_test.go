package sanctions

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chaintrace/chaintrace/internal/country"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

var (
	realStoreOnce sync.Once
	realStore     *Store
	realStoreErr  error
)

// realOFACUNStore is a store holding the real 2025-02 OFAC SDN and UN lists
// (shared by the tests of this file; read only).
func realOFACUNStore(t *testing.T) *Store {
	t.Helper()
	ofac := testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv")
	un := testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml")
	realStoreOnce.Do(func() {
		dir, err := mkdirTemp()
		if err != nil {
			realStoreErr = err
			return
		}
		s, err := OpenStore(dir)
		if err != nil {
			realStoreErr = err
			return
		}
		for _, f := range []struct{ format, path string }{{FormatOFACCSV, ofac}, {FormatUNXML, un}} {
			p, err := ParseFile(f.format, f.path, "")
			if err == nil {
				_, _, err = s.Import(context.Background(), p, ImportOptions{})
			}
			if err != nil {
				realStoreErr = err
				return
			}
		}
		realStore = s
	})
	if realStoreErr != nil {
		t.Fatal(realStoreErr)
	}
	return realStore
}

// Filters never hide a true hit through a spelling: countries match by ISO
// 3166 code and name whatever the list writes ("Korea, North" in OFAC,
// "Democratic People's Republic of Korea" in the UN list).
func TestNameFilterCountriesReal(t *testing.T) {
	s := realOFACUNStore(t)
	ctx := context.Background()
	for _, q := range []struct{ name, id string }{{"Kim Jong Un", "ofac:20157"}, {"Ri Je-son", "un:KPi.002"}} {
		for _, c := range []string{"KP", "kp", "PRK", "North Korea", "Korea, North", "Democratic People's Republic of Korea", "RU,KP"} {
			r, err := s.ScreenName(ctx, q.name, NameOptions{Countries: []string{c}})
			if err != nil || findMatch(r, q.id) == nil {
				t.Errorf("%q --country %q: %v %+v, want %s", q.name, c, err, r, q.id)
			}
		}
		r, err := s.ScreenName(ctx, q.name, NameOptions{Countries: []string{"RU"}})
		if err != nil || findMatch(r, q.id) != nil {
			t.Errorf("%q --country RU: %v, %+v: want it filtered out", q.name, err, r)
		}
		if len(r.Filtered) != 1 || r.Filtered[0].Filter != "country" || r.Filtered[0].Value != "RU" || r.Filtered[0].Matches < 1 {
			t.Errorf("%q --country RU: filtered %+v, want the country filter to say it removed a match", q.name, r.Filtered)
		}
	}
	// OFAC writes "Russia", the code is RU.
	for _, c := range []string{"RU", "RUS", "Russia", "Russian Federation"} {
		r, err := s.ScreenName(ctx, "Sberbank", NameOptions{Countries: []string{c}})
		if err != nil || findMatch(r, "ofac:17018") == nil {
			t.Errorf("Sberbank --country %q: %v %+v, want ofac:17018", c, err, r)
		}
	}
}

// Every country the real lists name resolves to an ISO 3166 code, but for
// regions and the lists' placeholders.
func TestListCountriesResolveReal(t *testing.T) {
	s := realOFACUNStore(t)
	ents, err := s.Entities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unresolved := map[string]bool{}
	for _, e := range ents {
		for _, c := range append(append([]string{}, e.Nationalities...), e.Countries...) {
			if _, ok := country.Code(c); !ok {
				unresolved[c] = true
			}
		}
	}
	for c := range unresolved {
		if !strings.HasPrefix(c, "Region:") && c != "na" && c != "undetermined" && !strings.HasPrefix(c, "possibly") {
			t.Errorf("list country %q does not resolve to an ISO 3166 code", c)
		}
	}
}

// An unknown list, program or country is an error naming the valid values,
// never a silent "no match"; a filter that removes matches says so.
func TestNameFilterErrorsReal(t *testing.T) {
	s := realOFACUNStore(t)
	ctx := context.Background()
	for _, c := range []struct {
		opts NameOptions
		want []string
	}{
		{NameOptions{Lists: []string{"ofac"}}, []string{`list "ofac"`, "ofac-sdn", "un"}},
		{NameOptions{Programs: []string{"NOSUCH"}}, []string{`program "NOSUCH"`, "DPRK3", "SDGT"}},
		{NameOptions{Countries: []string{"Narnia"}}, []string{`country "Narnia"`, "ISO 3166"}},
	} {
		_, err := s.ScreenName(ctx, "Sberbank", c.opts)
		if !errors.Is(err, ErrBadFilter) {
			t.Errorf("%+v: err %v, want ErrBadFilter", c.opts, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q does not name %q", c.opts, err, w)
			}
		}
	}
	// Names, programs and lists match in any letter case.
	r, err := s.ScreenName(ctx, "Kim Jong Un", NameOptions{Lists: []string{"OFAC-SDN"}, Programs: []string{"dprk3"}})
	if err != nil || findMatch(r, "ofac:20157") == nil {
		t.Errorf("list/program in other case: %v %+v", err, r)
	}
	// KIM Jong Un was born in 1984: --dob 1950 removes him and says so.
	r, err = s.ScreenName(ctx, "Kim Jong Un", NameOptions{DOB: "1950", DOBYearTolerance: 1})
	if err != nil || findMatch(r, "ofac:20157") != nil {
		t.Fatalf("--dob 1950: %v %+v", err, r)
	}
	if len(r.Filtered) != 1 || r.Filtered[0].Filter != "dob" || r.Filtered[0].Value != "1950" || r.Filtered[0].Matches != 1 {
		t.Errorf("--dob 1950: filtered %+v, want 1 match removed by dob 1950", r.Filtered)
	}
	r, err = s.ScreenName(ctx, "Kim Jong Un", NameOptions{DOB: "1984"})
	if err != nil || findMatch(r, "ofac:20157") == nil || len(r.Filtered) != 0 {
		t.Errorf("--dob 1984: %v %+v", err, r)
	}
}

// mkdirTemp makes a folder for the store shared by tests (removed by
// TestMain).
func mkdirTemp() (string, error) {
	d, err := os.MkdirTemp("", "chaintrace-sanctions-test-")
	sharedDirs = append(sharedDirs, d)
	return d, err
}

var sharedDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	if realStore != nil {
		realStore.Close()
	}
	for _, d := range sharedDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}
