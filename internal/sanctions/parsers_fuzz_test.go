package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for every list format a user can import, the address parser
// and name queries. Seeds: f.Add below and testdata/fuzz/<Target>/. Run one
// with `go test ./internal/sanctions -fuzz FuzzParseUNXML -fuzztime 30s`,
// all with `make fuzz`.

// fuzzParse writes data as a file of the format and parses it: no panic, and
// an accepted list is consistent.
func fuzzParse(t *testing.T, format, file, name string, data []byte) {
	dir := t.TempDir()
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseFile(format, p, name)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	if len(parsed.Entities) == 0 {
		// A list without entities may parse (a header-only watchlist), but
		// it must never become a version in force.
		st, err := OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, _, err := st.Import(context.Background(), parsed, ImportOptions{}); err == nil {
			t.Fatalf("%s: a list without entities was imported", format)
		}
		return
	}
	for _, e := range parsed.Entities {
		if e.ID == "" {
			t.Fatalf("%s: entity without an id: %+v", format, e)
		}
	}
}

func seedFile(f *testing.F, rel string, max int) {
	b, err := os.ReadFile(rel)
	if err != nil {
		f.Fatal(err)
	}
	if len(b) > max {
		b = b[:max]
	}
	f.Add(b)
}

func FuzzParseOFACCSV(f *testing.F) {
	f.Add([]byte("36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, FormatOFACCSV, "sdn.csv", "", data) })
}

func FuzzParseOFACXML(f *testing.F) {
	seedFile(f, "testdata/sdn.xml", 4<<10)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, FormatOFACXML, "sdn.xml", "", data) })
}

func FuzzParseOFACAdvanced(f *testing.F) {
	seedFile(f, "testdata/sdn_advanced.xml", 16<<10)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, FormatOFACAdvanced, "sdn_advanced.xml", "", data) })
}

func FuzzParseUNXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:00Z"><INDIVIDUALS><INDIVIDUAL><DATAID>6908555</DATAID><REFERENCE_NUMBER>KPi.033</REFERENCE_NUMBER><FIRST_NAME>RI</FIRST_NAME><SECOND_NAME>WON HO</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, FormatUNXML, "consolidated.xml", "", data) })
}

func FuzzParseWatchlist(f *testing.F) {
	f.Add([]byte("name,address,ticker,category,source,id\nEvil Mixer,bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6,XBT,mixer,case 7,m1\n"))
	f.Add([]byte(`[{"name":"Evil Mixer","address":"bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6","ticker":"XBT","category":"scam"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, FormatWatchlist, "list.csv", "fuzz", data)
		fuzzParse(t, FormatWatchlist, "list.json", "fuzz", data)
	})
}

// An accepted address normalises to a fixed point.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6",
		"0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "ltc1q", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		b, err := ParseAddress(a.Normalized)
		if err != nil || b.Normalized != a.Normalized {
			t.Fatalf("%q normalises to %q, which parses to %q (%v)", s, a.Normalized, b.Normalized, err)
		}
	})
}

// A name screen over a small real-shaped list never fails on a valid UTF-8
// query and scores within [0,1].
func FuzzScreenNameQuery(f *testing.F) {
	for _, s := range []string{"Kim Jong Un", "김정은", "Ким Чен Ын", "كيم جونغ أون", "Al-Qaida", "", " ", "a b c d e f g h i j k"} {
		f.Add(s)
	}
	st, err := OpenStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	wl := filepath.Join(dir, "w.csv")
	os.WriteFile(wl, []byte("name,address,ticker,category,source,id\nKIM Jong Un,,,,,k1\nAL-QAIDA,,,,,a1\nBLENDER.IO,3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3,XBT,mixer,,b1\n"), 0o644)
	p, err := ParseWatchlist(wl, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	if _, _, err := st.Import(context.Background(), p, ImportOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if !utf8.ValidString(q) || len(q) > 512 {
			return
		}
		res, err := st.ScreenName(context.Background(), q, NameOptions{})
		if err != nil {
			return
		}
		for _, m := range res.Matches {
			if m.Score < 0 || m.Score > 1 {
				t.Fatalf("%q: score %v", q, m.Score)
			}
		}
	})
}
