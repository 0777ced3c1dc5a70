package sanctions

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A list file over the size limit is refused at once with a clear error.
func TestListFileSizeCap(t *testing.T) {
	defer func(v int64) { MaxListFileBytes = v }(MaxListFileBytes)
	MaxListFileBytes = 4 << 10
	dir := t.TempDir()
	big := strings.Repeat("x,Acme Trading\n", 1000) // 15 KB
	for _, c := range []struct{ format, file, data string }{
		{FormatWatchlist, "w.csv", "id,name\n" + big},
		{FormatOFACCSV, "sdn.csv", big},
		{FormatUNXML, "un.xml", "<CONSOLIDATED_LIST>" + big},
		{FormatOFACXML, "sdn.xml", "<sdnList>" + big},
		{FormatOFACAdvanced, "adv.xml", "<Sanctions>" + big},
		{FormatAddresses, "a.txt", big},
	} {
		path := filepath.Join(dir, c.file)
		os.WriteFile(path, []byte(c.data), 0o644)
		_, err := ParseFileWith(c.format, path, ParseOptions{Name: "w", Ticker: "XBT"})
		if err == nil || !strings.Contains(err.Error(), "larger than the 4.0 KiB") || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: err %v, want the size limit named", c.format, err)
		}
	}
}

// Bad input is never quoted whole in an error: a 1 MB header, field, id or
// element name gives a message of a few hundred bytes.
func TestErrorsQuoteLittle(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("Z", 1<<20)
	for _, c := range []struct{ format, file, data string }{
		{FormatWatchlist, "h.csv", "name," + huge + "\nx,y\n"},
		{FormatWatchlist, "a.csv", "name,address\nx," + huge + "\n"},
		{FormatWatchlist, "j.json", `[{"name": "x", "address": "` + huge + `"}]`},
		{FormatWatchlist, "k.json", `{"` + huge + `": []}`},
		{FormatOFACCSV, "plain.csv", huge + ",a,b,c,d,e,f,g,h,i,j,k\n"},
		{FormatUNXML, "r.xml", "<" + huge + "></" + huge + ">"},
		{FormatOFACXML, "s.xml", "<sdnList><" + huge + "></x></sdnList>"},
		{FormatAddresses, "l.txt", huge + "\n"},
		{FormatAddresses, "m.txt", "1" + strings.Repeat("a", 3000) + "\n"},
	} {
		path := filepath.Join(dir, c.file)
		os.WriteFile(path, []byte(c.data), 0o644)
		_, err := ParseFileWith(c.format, path, ParseOptions{Name: "w", Ticker: "XBT"})
		if err == nil || len(err.Error()) > 600 {
			n := 0
			if err != nil {
				n = len(err.Error())
			}
			t.Errorf("%s %s: error of %d bytes: %.300v", c.format, c.file, n, err)
		}
	}
}

// `lists import --format ofac-csv some/plain.csv` reads that file and names
// it, never a made-up some/sdn.csv.
func TestOFACCSVNamesTheFileGiven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.csv")
	os.WriteFile(path, []byte("name,address\nAcme,1\n"), 0o644)
	_, err := ParseOFACCSV(path)
	if err == nil || !strings.Contains(err.Error(), "plain.csv") || strings.Contains(err.Error(), "sdn.csv") {
		t.Errorf("err = %v, want it to name plain.csv and not sdn.csv", err)
	}
}

// Imports stream: importing a generated watchlist of LARGE_LIST_MB
// megabytes (CHAINTRACE_LARGE_LIST_MB, skipped when unset; e.g. 100) into a
// fresh store reports the peak heap growth per byte of input, which stays
// under 2 bytes (bench/import-memory.sh measures the process RSS).
func TestLargeWatchlistMemory(t *testing.T) {
	mb := 0
	fmt.Sscan(os.Getenv("CHAINTRACE_LARGE_LIST_MB"), &mb)
	if mb == 0 {
		t.Skip("set CHAINTRACE_LARGE_LIST_MB (e.g. 100) to measure importing a large generated watchlist")
	}
	defer func(v int64) { MaxListFileBytes = v }(MaxListFileBytes)
	MaxListFileBytes = int64(mb+1) << 20
	v, n, grow := importBigWatchlist(t, mb<<20)
	t.Logf("%d MB watchlist, %d entities: peak heap growth %.1f MB (%.2f bytes per input byte)", mb, v.Entities, grow/(1<<20), grow/float64(n))
	if grow > 2*float64(n) {
		t.Errorf("peak heap growth %.1f MB: the import holds the list in memory", grow/(1<<20))
	}
}
