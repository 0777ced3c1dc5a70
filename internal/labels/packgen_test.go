package labels

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
)

// bigPack writes a TagPack of n valid tags (two lines each) and, with bad,
// one more whose address fails its checksum; it returns the path and the
// line of the bad tag.
func bigPack(t testing.TB, n int, bad bool) (path string, badLine int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "title: synthetic\ncreator: test\ncurrency: BTC\ncategory: exchange\nconfidence: service_data\nsource: https://example.org\ntags:\n")
	line := 8
	payload := make([]byte, 20)
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(payload, uint64(i)+1)
		a := chain.Addr{Type: chain.P2PKH, Payload: payload}
		fmt.Fprintf(w, "- address: %s\n  label: Synthetic Exchange %d\n", a.String(&chaincfg.MainNetParams), i%97)
		line += 2
	}
	if bad {
		fmt.Fprint(w, "- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH\n  label: broken\n")
		badLine = line
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path, badLine
}

// liveHeap returns the live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
