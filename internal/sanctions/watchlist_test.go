package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWatchlistCSVAndJSON(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "ours.csv")
	os.WriteFile(csvPath, []byte("id,name,address,ticker,category,source\n"+
		"c1,Acme Mixer,bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,XBT,mixer,case 2024-17\n"+
		"c1,,0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c,ETH,mixer,case 2024-17\n"+
		"c2,John Doe,,,fraud,internal\n"), 0o644)
	p, err := ParseWatchlist(csvPath, "ours")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entities) != 2 || p.List != "watchlist:ours" {
		t.Fatalf("entities %+v", p.Entities)
	}
	e := p.Entities[0]
	if e.ID != "watchlist:ours:c1" || e.Name != "Acme Mixer" || len(e.CryptoAddresses) != 2 || e.Programs[0] != "mixer" || e.Remarks != "case 2024-17" {
		t.Errorf("c1 = %+v", e)
	}
	jsonPath := filepath.Join(dir, "ours.json")
	os.WriteFile(jsonPath, []byte(`{"entries":[{"id":"x","address":"0x8576ACC5C05D6CE88F4E49BF65BDF0C62F91353C","category":"hack"}]}`), 0o644)
	pj, err := ParseWatchlist(jsonPath, "ours")
	if err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t)
	ctx := context.Background()
	if _, _, err := s.Import(ctx, p, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.ScreenAddress(ctx, "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c")
	// A watchlist hit is not "sanctioned": it carries its own category.
	if err != nil || r.Sanctioned || len(r.Matches) != 1 || r.Matches[0].List != "watchlist:ours" || r.Matches[0].Name != "Acme Mixer" || r.Matches[0].Category != "mixer" {
		t.Errorf("screen: %+v %v", r, err)
	}
	n, err := s.ScreenName(ctx, "John Doe", NameOptions{})
	if err != nil || len(n.Matches) != 1 || n.Matches[0].Category != "fraud" || n.Matches[0].Sanctioned {
		t.Errorf("name screen of a watchlist entry: %+v %v", n, err)
	}
	// The JSON version has 1 entity against 2 in force: refused as suspicious.
	if _, _, err := s.Import(ctx, pj, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "fewer than 90%") {
		t.Errorf("shrunken watchlist: err = %v", err)
	}
}

func TestWatchlistBadInput(t *testing.T) {
	tests := []struct{ name, file, data, want string }{
		{"bad address", "w.csv", "name,address\nX,1BoatSLRHtKNngkdXEeobR76b53LETtpyX\n", "line 2: address"},
		{"bad address in json", "w.json", `[{"name": "X", "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyX"}]`, "entry 1: address"},
		{"unknown column", "w.csv", "name,wallet\nX,1\n", "unknown column"},
		{"empty row", "w.csv", "name,address\nA,\n\n\"\",\n", "line 4: needs a name or an address"},
		{"bad json", "w.json", `[{"name": "X",}]`, "offset"},
		{"html", "w.csv", "<!doctype html><html></html>", "HTML page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			os.WriteFile(path, []byte(tt.data), 0o644)
			_, err := ParseWatchlist(path, "w")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("err = %v, want it to name %s and mention %q", err, tt.file, tt.want)
			}
		})
	}
	if _, err := ParseWatchlist("x.csv", "bad name!"); err == nil {
		t.Error("bad watchlist name accepted")
	}
}
