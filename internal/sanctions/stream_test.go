package sanctions

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

// The parsers stream: parsing a generated watchlist of LARGE_LIST_MB
// megabytes (CHAINTRACE_LARGE_LIST_MB, skipped when unset; e.g. 100) holds
// the parsed entries and little else. It reports the peak heap per byte of
// input; the entries themselves are kept in memory until imported.
func TestLargeWatchlistMemory(t *testing.T) {
	mb := 0
	fmt.Sscan(os.Getenv("CHAINTRACE_LARGE_LIST_MB"), &mb)
	if mb == 0 {
		t.Skip("set CHAINTRACE_LARGE_LIST_MB (e.g. 100) to measure parsing a large generated watchlist")
	}
	defer func(v int64) { MaxListFileBytes = v }(MaxListFileBytes)
	MaxListFileBytes = int64(mb+1) << 20
	path := filepath.Join(t.TempDir(), "big.csv")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	w.WriteString("id,name,category,source\n")
	n := 0
	for i := 0; n < mb<<20; i++ {
		k, _ := fmt.Fprintf(w, "e%d,Entity %d Trading Company,scam,report %d\n", i, i, i%1000)
		n += k
	}
	w.Flush()
	f.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := ParseWatchlist(path, "big")
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	t.Logf("%d MB watchlist, %d entries: heap in use after parse %d MB (%.1f bytes per input byte), cumulative allocation %d MB",
		mb, len(p.Entities), (after.HeapInuse-before.HeapInuse)>>20, float64(after.HeapInuse-before.HeapInuse)/float64(n), (after.TotalAlloc-before.TotalAlloc)>>20)
}
