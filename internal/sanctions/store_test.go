package sanctions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// parsedCache shares parses of the real files between tests.
var parsedCache sync.Map

func parseShared(t *testing.T, format, rel string) *Parsed {
	t.Helper()
	path := testutil.SharedFile(t, rel)
	key := format + "|" + path
	if p, ok := parsedCache.Load(key); ok {
		return p.(*Parsed)
	}
	p, err := ParseFile(format, path, "")
	if err != nil {
		t.Fatal(err)
	}
	parsedCache.Store(key, p)
	return p
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustImport(t *testing.T, s *Store, p *Parsed) Version {
	t.Helper()
	v, created, err := s.Import(context.Background(), p, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatalf("import of %s created no version", p.Source)
	}
	return v
}

func TestScreenRealOFAC(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	v := mustImport(t, s, parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02"))
	if v.Entities != 16989 || v.Addresses != 661 {
		t.Errorf("version: %d entities, %d addresses; want 16989, 661", v.Entities, v.Addresses)
	}
	// Every independent XBT and ETH address screens as sanctioned; ETH also
	// in lower and upper case.
	for _, f := range []string{"XBT", "ETH"} {
		for _, a := range readLines(t, testutil.SharedFile(t, "data/sanctions/crypto-2024-09/sanctioned_addresses_"+f+".txt")) {
			spellings := []string{a}
			if f == "ETH" {
				spellings = append(spellings, strings.ToLower(a), "0x"+strings.ToUpper(a[2:]))
			}
			for _, sp := range spellings {
				r, err := s.ScreenAddress(ctx, sp)
				if err != nil {
					t.Errorf("%s %s: %v", f, sp, err)
					continue
				}
				if !r.Sanctioned {
					t.Errorf("%s %s: not sanctioned", f, sp)
				}
			}
		}
	}
	count := func(entity, ticker string) int {
		n := 0
		for _, e := range parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02").Entities {
			if e.ID != entity {
				continue
			}
			for _, c := range e.CryptoAddresses {
				if c.Ticker != ticker {
					continue
				}
				q := c.Address
				if ticker == "ETH" {
					q = strings.ToLower(q) // EVM matching is case-insensitive
				}
				r, err := s.ScreenAddress(ctx, q)
				if err == nil && r.Sanctioned && hasMatch(r, entity) {
					n++
				}
			}
		}
		return n
	}
	// README: BLENDER.IO has 46 Bitcoin addresses — 46 mentions, one of
	// them listed twice, so 45 distinct addresses, every one screening to it.
	var blender Entity
	for _, e := range parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02").Entities {
		if e.ID == "ofac:37070" {
			blender = e
		}
	}
	if n := strings.Count(blender.Remarks, "Digital Currency Address - XBT "); n != 46 {
		t.Errorf("BLENDER.IO: %d XBT mentions, want 46", n)
	}
	if n := count("ofac:37070", "XBT"); n != 45 {
		t.Errorf("BLENDER.IO: %d distinct BTC addresses screen to it, want 45", n)
	}
	if n := count("ofac:27307", "ETH"); n != 8 {
		t.Errorf("LAZARUS GROUP: %d ETH addresses screen to it, want 8", n)
	}
	r, err := s.ScreenAddress(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")
	if err != nil || !r.Sanctioned || r.Matches[0].Name != "BLENDER.IO" || r.Matches[0].Programs[0] != "CYBER2" {
		t.Errorf("BLENDER.IO address: %+v, %v", r, err)
	}
	if r.ListVersion != v.Label() {
		t.Errorf("list_version = %q, want %q", r.ListVersion, v.Label())
	}
	// Base58 is case-sensitive: a case-changed spelling is another string
	// (and fails its checksum).
	if r, err := s.ScreenAddress(ctx, strings.ToLower("3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")); err == nil && r.Sanctioned {
		t.Error("lower-cased base58 address matched")
	}
	// A clean, valid address.
	if r, err := s.ScreenAddress(ctx, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"); err != nil || r.Sanctioned {
		t.Errorf("genesis address: %+v, %v", r, err)
	}
	// A listed string that is no valid address (29585 lists a 64-hex string
	// under XMR) still matches verbatim.
	if r, err := s.ScreenAddress(ctx, "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320"); err != nil || !hasMatch(r, "ofac:29585") {
		t.Errorf("verbatim listed string: %+v, %v", r, err)
	}
	// Malformed.
	if _, err := s.ScreenAddress(ctx, "0x098B716B8Aaf21512996dC57EB0615e2383E2f9"); !errors.Is(err, ErrMalformedAddress) {
		t.Errorf("short EVM address: err = %v", err)
	}
}

func hasMatch(r *AddressResult, entity string) bool {
	for _, m := range r.Matches {
		if m.EntityID == entity {
			return true
		}
	}
	return false
}

func entNums(t *testing.T, path string) map[string]bool { return testutil.SDNEntNums(t, path) }

func TestDiffRealOFACVersions(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	old := mustImport(t, s, parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2024-05/sdn.csv"))
	cur := mustImport(t, s, parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02"))
	d, err := s.Diff(ctx, old.ID, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := entNums(t, testutil.SharedFile(t, "data/sanctions/ofac-2024-05/sdn.csv"))
	b := entNums(t, testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv"))
	var added, removed int
	for k := range b {
		if !a[k] {
			added++
		}
	}
	for k := range a {
		if !b[k] {
			removed++
		}
	}
	if len(d.Added) != added || len(d.Removed) != removed {
		t.Errorf("diff: +%d -%d, want +%d -%d (independent ent_num sets)", len(d.Added), len(d.Removed), added, removed)
	}
	if added == 0 || removed == 0 {
		t.Errorf("independent counts +%d -%d: expected both additions and delistings between 2024-05 and 2025-02", added, removed)
	}
	for _, r := range d.Removed {
		if b[r.ID] {
			t.Errorf("%s reported removed but is in 2025-02", r.ID)
		}
	}
	if len(d.Changed) == 0 || len(d.AddedAddresses) == 0 {
		t.Errorf("diff: %d changed, %d added addresses; want some of each", len(d.Changed), len(d.AddedAddresses))
	}
	t.Logf("diff 2024-05 → 2025-02: +%d -%d ~%d, addresses +%d -%d", len(d.Added), len(d.Removed), len(d.Changed), len(d.AddedAddresses), len(d.RemovedAddresses))
	// Screening can be pinned to the old version.
	r, err := s.ScreenAddressAt(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", old.ID)
	if err != nil || !r.Sanctioned || r.ListVersion != old.Label() {
		t.Errorf("pinned screen: %+v %v", r, err)
	}
}

// writeFile writes content into dir/name.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportRefusals(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	good := mustImport(t, s, parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2025-02"))
	real, err := os.ReadFile(testutil.SharedFile(t, "data/sanctions/ofac-2025-02/sdn.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside a quoted remark, keeping most rows.
	cut := real[:len(real)*95/100]
	for i := len(cut) - 1; i > 0; i-- {
		if cut[i] == '"' && cut[i-1] != ',' {
			cut = cut[:i-3]
			break
		}
	}
	// Cut at a row boundary, dropping half the rows.
	half := real[:len(real)/2]
	half = half[:strings.LastIndex(string(half), "\r\n")+2]

	tests := []struct {
		name    string
		data    []byte
		force   bool
		wantErr string
	}{
		{"empty", nil, false, "empty file"},
		{"whitespace", []byte("\r\n \r\n"), false, "empty file"},
		{"html challenge", []byte("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"), false, "HTML page"},
		{"truncated mid-row", cut, false, "line "},
		{"half the entries", half, false, "fewer than 90%"},
		{"not csv", []byte("hello world\nthis is not the list\n"), false, "fields"},
		{"bad ent_num", []byte("abc,\"X\",-0- ,\"P\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"), false, "ent_num"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, "sdn.csv", tt.data)
			p, err := ParseOFACCSV(path)
			if err == nil {
				_, _, err = s.Import(ctx, p, ImportOptions{Force: tt.force})
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "sdn.csv") {
				t.Errorf("err %q does not name the file", err)
			}
			cur, err := s.Current(ctx, ListOFAC)
			if err != nil || cur.ID != good.ID {
				t.Errorf("version in force = %v, %v; want the last good %d", cur.ID, err, good.ID)
			}
			if r, err := s.ScreenAddress(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"); err != nil || !r.Sanctioned {
				t.Errorf("screen after refusal: %+v %v", r, err)
			}
		})
	}
	// --force accepts the shrunken list; it becomes the version in force.
	dir := t.TempDir()
	p, err := ParseOFACCSV(writeFile(t, dir, "sdn.csv", half))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "possibly truncated") }) {
		t.Errorf("a file cut at a row boundary: warnings %q lack the missing end-of-file marker", p.Warnings)
	}
	v, created, err := s.Import(ctx, p, ImportOptions{Force: true})
	if err != nil || !created {
		t.Fatalf("forced import: %v", err)
	}
	if cur, _ := s.Current(ctx, ListOFAC); cur.ID != v.ID {
		t.Errorf("forced version %d not in force (current %d)", v.ID, cur.ID)
	}
	// Re-importing identical bytes creates no version.
	again, created, err := s.Import(ctx, p, ImportOptions{})
	if err != nil || created || again.ID != v.ID {
		t.Errorf("identical re-import: %v created=%v id=%d", err, created, again.ID)
	}
}
