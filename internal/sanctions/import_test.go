package sanctions

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A streamed watchlist import stores exactly what the whole-file parse
// gives, also when rows of one id lie in different batches (merged in the
// store).
func TestImportFileWatchlistMatchesParse(t *testing.T) {
	defer func(n int) { watchlistBatch = n }(watchlistBatch)
	watchlistBatch = 2
	path := filepath.Join(t.TempDir(), "w.csv")
	os.WriteFile(path, []byte(`id,name,address,ticker,category,source
a,Acme Trading,,,scam,report 1
b,,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,XBT,case,
c,Carol Example,,,,
d,Dave Example,,,,
a,Acme Trading Ltd,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,XBT,fraud,report 2
b,Bravo Holdings,,,,report 3
e,Echo,,,,
a,Acme Trading,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,XBT,,report 1
`), 0o644)
	want, err := ParseWatchlist(path, "w")
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, created, _, err := s.ImportFile(context.Background(), FormatWatchlist, path, ParseOptions{Name: "w"}, ImportOptions{})
	if err != nil || !created {
		t.Fatal(created, err)
	}
	got, err := s.Entities(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want.Entities) {
		t.Errorf("streamed import stored\n%+v\nwhole parse gives\n%+v", got, want.Entities)
	}
	if v.Entities != 5 || v.Addresses != 1 || v.SHA256 != want.SHA256 {
		t.Errorf("version %+v, want 5 entities, 1 address, sha %s", v, want.SHA256)
	}
	// Same file again: unchanged, nothing stored.
	if v2, created, _, err := s.ImportFile(context.Background(), FormatWatchlist, path, ParseOptions{Name: "w"}, ImportOptions{}); err != nil || created || v2.ID != v.ID {
		t.Errorf("re-import: %v %v %v, want the version in force unchanged", v2, created, err)
	}
	// A list shrunk below 90 % is refused before commit; a bad row halfway
	// through leaves nothing stored.
	small := filepath.Join(t.TempDir(), "s.csv")
	os.WriteFile(small, []byte("id,name\na,Acme\nb,Bravo\nc,Carol\nd,Dave\n"), 0o644)
	if _, _, _, err := s.ImportFile(context.Background(), FormatWatchlist, small, ParseOptions{Name: "w"}, ImportOptions{}); !errors.Is(err, ErrSuspicious) {
		t.Errorf("shrunk list: err %v, want ErrSuspicious", err)
	}
	bad := filepath.Join(t.TempDir(), "b.csv")
	os.WriteFile(bad, []byte("id,name,address\na,Acme,\nb,Bravo,\nc,Carol,\nd,Dave,\ne,Echo,\nf,Fox,notanaddress\n"), 0o644)
	if _, _, _, err := s.ImportFile(context.Background(), FormatWatchlist, bad, ParseOptions{Name: "w"}, ImportOptions{}); err == nil {
		t.Error("bad address on the last row: imported")
	}
	vs, _ := s.Versions(context.Background())
	if len(vs) != 1 {
		t.Errorf("%d versions stored, want only the first", len(vs))
	}
}

// An import holds a batch of entries in memory, not the list: the peak
// heap growth while importing a generated 4 MB watchlist stays under 4
// bytes per input byte (parsing it whole and then importing took ~17).
func TestImportFileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	v, n, grow := importBigWatchlist(t, 4<<20)
	t.Logf("%d bytes, %d entities: peak heap growth %.1f MB (%.2f bytes per input byte)", n, v.Entities, grow/(1<<20), grow/float64(n))
	if grow > 4*float64(n) {
		t.Errorf("peak heap growth %.1f MB for a %.1f MB list: the import holds the list in memory", grow/(1<<20), float64(n)/(1<<20))
	}
}

// importBigWatchlist imports a generated watchlist of about size bytes into
// a fresh store and returns the version, the exact size and the peak heap
// growth during the import.
func importBigWatchlist(t *testing.T, size int) (Version, int, float64) {
	path := filepath.Join(t.TempDir(), "big.csv")
	n := writeBigWatchlist(t, path, size)
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v Version
	grow := peakHeapGrowth(func() {
		v, _, _, err = s.ImportFile(context.Background(), FormatWatchlist, path, ParseOptions{Name: "big"}, ImportOptions{NoReload: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	return v, n, grow
}

func writeBigWatchlist(t *testing.T, path string, size int) int {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	n, _ := w.WriteString("id,name,category,source\n")
	for i := 0; n < size; i++ {
		k, _ := fmt.Fprintf(w, "e%d,Entity %d Trading Company,scam,report %d\n", i, i, i%1000)
		n += k
	}
	w.Flush()
	f.Close()
	return n
}

// peakHeapGrowth runs fn and returns the largest growth of the heap in use
// over its value before, sampled every 5 ms.
func peakHeapGrowth(fn func()) float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return float64(peak.Load()) - float64(base)
}
