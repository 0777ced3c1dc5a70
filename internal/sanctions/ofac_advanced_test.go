package sanctions

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOFACAdvancedFixture(t *testing.T) {
	p, err := ParseOFACAdvanced("testdata/sdn_advanced.xml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Published != "2025-02-21" || len(p.Entities) != 3 {
		t.Fatalf("published %q, %d entities", p.Published, len(p.Entities))
	}
	byID := map[string]Entity{}
	for _, e := range p.Entities {
		byID[e.ID] = e
	}
	laz := byID["ofac:27307"]
	if laz.Name != "LAZARUS GROUP" || laz.Type != TypeEntity || !slices.Equal(laz.Programs, []string{"DPRK3"}) {
		t.Errorf("27307 = %+v", laz)
	}
	if len(laz.CryptoAddresses) != 2 || laz.CryptoAddresses[0].Ticker != "ETH" {
		t.Errorf("27307 crypto = %+v", laz.CryptoAddresses)
	}
	if len(laz.Aliases) != 1 || laz.Aliases[0] != (Alias{Name: "HIDDEN COBRA", Quality: QualityWeak, Type: "aka"}) {
		t.Errorf("27307 aliases = %+v", laz.Aliases)
	}
	if len(laz.Addresses) != 1 || laz.Addresses[0] != (PostalAddress{Street: "Potonggang District", City: "Pyongyang", Country: "Korea, North"}) {
		t.Errorf("27307 addresses = %+v", laz.Addresses)
	}
	k := byID["ofac:26137"]
	if k.Name != "KHORASHADIZADEH, Ali" || k.Type != TypeIndividual || !slices.Equal(k.DatesOfBirth, []string{"1979-09-21"}) ||
		!slices.Equal(k.Nationalities, []string{"Iran"}) || !slices.Equal(k.PlacesOfBirth, []string{"Tehran, Iran"}) {
		t.Errorf("26137 = %+v", k)
	}
	// Feature type 344 is "Website" in this file: resolution is by text, so it
	// is an identifier, and the XBT address is the one under "…- XBT".
	if len(k.CryptoAddresses) != 1 || k.CryptoAddresses[0] != (CryptoAddress{Ticker: "XBT", Address: "149w62rY42aZBox8fGcmqNsXUzSStKeq8C", Normalized: "149w62rY42aZBox8fGcmqNsXUzSStKeq8C"}) {
		t.Errorf("26137 crypto = %+v", k.CryptoAddresses)
	}
	for _, want := range []Identifier{{Type: "Website", Number: "iranvisacart.example"}, {Type: "Passport", Number: "K13124533", Country: "Iran"}, {Type: "Gender", Number: "Male"}} {
		if !slices.Contains(k.Identifiers, want) {
			t.Errorf("26137 identifiers %+v lack %+v", k.Identifiers, want)
		}
	}
	v := byID["ofac:9702"]
	if v.Type != TypeVessel || v.Name != "JI SONG 6" || !slices.Contains(v.Identifiers, Identifier{Type: "Vessel Call Sign", Number: "HMYB"}) {
		t.Errorf("9702 = %+v", v)
	}
}

func TestOFACAdvancedBadInput(t *testing.T) {
	good, err := os.ReadFile("testdata/sdn_advanced.xml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	tests := []struct{ name, data, want string }{
		{"empty", "  \n", "empty file"},
		{"html", "<html><body><h1>Request Rejected</h1></body></html>", "HTML page"},
		{"truncated", s[:len(s)*2/3], "offset"},
		{"no closing root", s[:strings.LastIndex(s, "</Sanctions>")], "truncated"},
		{"no feature types", s[:strings.Index(s, "<FeatureTypeValues>")] + s[strings.Index(s, "</FeatureTypeValues>")+len("</FeatureTypeValues>"):], "cannot resolve features"},
		{"wrong root", `<sdnList></sdnList>`, "want <Sanctions>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "SDN_ADVANCED.XML")
			os.WriteFile(path, []byte(tt.data), 0o644)
			_, err := ParseOFACAdvanced(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "SDN_ADVANCED.XML") {
				t.Errorf("err = %v, want it to name the file and mention %q", err, tt.want)
			}
		})
	}
}
