package sanctions

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

func TestUNXMLRealCounts(t *testing.T) {
	p := parseShared(t, FormatUNXML, "data/sanctions/un/consolidated-2026-02-27.xml")
	var ind, ent, dprk int
	byID := map[string]Entity{}
	for _, e := range p.Entities {
		byID[e.ID] = e
		switch e.Type {
		case TypeIndividual:
			ind++
		case TypeEntity:
			ent++
		}
		if slices.Contains(e.Programs, "DPRK") {
			dprk++
		}
	}
	if ind != 730 || ent != 273 || dprk != 155 {
		t.Errorf("individuals %d, entities %d, DPRK %d; want 730, 273, 155 (README)", ind, ent, dprk)
	}
	raw, err := os.ReadFile(testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); p.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s, want the file's %x", p.SHA256, sum)
	}
	if p.Published != "2026-02-27T00:00:09.554Z" {
		t.Errorf("published = %q", p.Published)
	}
	ri := byID["un:KPi.033"]
	if ri.Name != "RI WON HO" || !slices.Contains(ri.DatesOfBirth, "1964-07-17") ||
		!slices.Contains(ri.Nationalities, "Democratic People's Republic of Korea") ||
		len(ri.Identifiers) != 1 || ri.Identifiers[0].Number != "381310014" {
		t.Errorf("KPi.033 = %+v", ri)
	}
	adf := byID["un:CDe.001"]
	if adf.Name != "ADF" || !slices.ContainsFunc(adf.Aliases, func(a Alias) bool {
		return a.Name == "Allied Democratic Forces" && a.Quality == QualityAKA
	}) {
		t.Errorf("CDe.001 = %+v", adf)
	}
	var good, low int
	for _, e := range p.Entities {
		for _, a := range e.Aliases {
			switch a.Quality {
			case QualityStrong:
				good++
			case QualityWeak:
				low++
			}
		}
	}
	// 1,524 Good and 615 Low individual aliases, plus 336+42 original-script names (strong).
	if low != 615 || good != 1524+336+42 {
		t.Errorf("aliases: %d strong, %d weak; want %d, 615", good, low, 1524+336+42)
	}
}

func TestUNXMLBadInput(t *testing.T) {
	real, err := os.ReadFile(testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"truncated", real[:len(real)/3], "offset"},
		{"cut at an element boundary", real[:strings.LastIndex(string(real), "</ENTITIES>")], "truncated"},
		{"html", []byte("<html><body>503 Service Unavailable</body></html>"), "HTML page"},
		{"other xml", []byte(`<?xml version="1.0"?><sdnList></sdnList>`), "want <CONSOLIDATED_LIST>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "un.xml")
			os.WriteFile(path, tt.data, 0o644)
			_, err := ParseUNXML(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "un.xml") {
				t.Errorf("err = %v, want it to name the file and mention %q", err, tt.want)
			}
		})
	}
}
