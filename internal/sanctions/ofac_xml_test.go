package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOFACXMLFixture(t *testing.T) {
	p, err := ParseOFACXML("testdata/sdn.xml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Published != "02/21/2025" || len(p.Entities) != 3 {
		t.Fatalf("published %q, %d entities", p.Published, len(p.Entities))
	}
	byID := map[string]Entity{}
	for _, e := range p.Entities {
		byID[e.ID] = e
	}
	laz := byID["ofac:27307"]
	if laz.Name != "LAZARUS GROUP" || laz.Type != TypeEntity || len(laz.CryptoAddresses) != 2 ||
		laz.CryptoAddresses[0].Ticker != "ETH" || laz.CryptoAddresses[0].Normalized != "0x098b716b8aaf21512996dc57eb0615e2383e2f96" {
		t.Errorf("27307 = %+v", laz)
	}
	if !slices.Equal(laz.Countries, []string{"Korea, North"}) || len(laz.Aliases) != 2 || laz.Aliases[0].Quality != QualityWeak {
		t.Errorf("27307 countries %v aliases %+v", laz.Countries, laz.Aliases)
	}
	b := byID["ofac:37070"]
	if !slices.Equal(b.Programs, []string{"CYBER2", "DPRK3"}) || len(b.CryptoAddresses) != 1 ||
		!slices.ContainsFunc(b.Identifiers, func(i Identifier) bool { return i.Type == "Website" }) {
		t.Errorf("37070 = %+v", b)
	}
	k := byID["ofac:26137"]
	if k.Name != "KHORASHADIZADEH, Ali" || k.Type != TypeIndividual || !slices.Equal(k.DatesOfBirth, []string{"21 Sep 1979"}) ||
		!slices.Equal(k.Nationalities, []string{"Iran"}) || !slices.Equal(k.PlacesOfBirth, []string{"Tehran, Iran"}) ||
		k.Aliases[0].Name != "ZADEH, Ali Khorashadi" || k.Aliases[0].Quality != QualityStrong ||
		!slices.Contains(k.Identifiers, Identifier{Type: "Passport", Number: "K13124533", Country: "Iran"}) {
		t.Errorf("26137 = %+v", k)
	}
	// Imported, the XML version screens like the CSV one.
	s := openTestStore(t)
	if _, _, err := s.Import(context.Background(), p, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.ScreenAddress(context.Background(), "0x098b716b8aaf21512996dc57eb0615e2383e2f96")
	if err != nil || !r.Sanctioned || r.Matches[0].EntityID != "ofac:27307" {
		t.Errorf("screen: %+v %v", r, err)
	}
}

func TestOFACXMLBadInput(t *testing.T) {
	good, err := os.ReadFile("testdata/sdn.xml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty file"},
		{"html", "<!DOCTYPE html>\n<html><head><title>Access Denied</title></head></html>", "HTML page"},
		{"truncated mid-entry", s[:len(s)/2], "offset"},
		{"truncated between entries", s[:strings.LastIndex(s, "</sdnList>")], "truncated"},
		{"record count mismatch", strings.Replace(s, "<Record_Count>3<", "<Record_Count>4<", 1), "Record_Count says 4"},
		{"wrong root", `<?xml version="1.0"?><CONSOLIDATED_LIST></CONSOLIDATED_LIST>`, "want <sdnList>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "SDN.XML")
			os.WriteFile(path, []byte(tt.data), 0o644)
			_, err := ParseOFACXML(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "SDN.XML") {
				t.Errorf("err = %v, want it to name the file and mention %q", err, tt.want)
			}
		})
	}
}
