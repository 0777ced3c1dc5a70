package source

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRawBlockFile feeds a single raw block file (as `ingest FILE.block`
// reads it): no panic, errors are FormatErrors, every listed block reads.
// Seeds: testdata/fuzz/FuzzRawBlockFile and, when present, the shared blocks.
func FuzzRawBlockFile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(os.Getenv("CHAINTRACE_SHARED"), "data/btc/testnet/700000.block")); err == nil {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.block")
		os.WriteFile(p, data, 0o644)
		fs, err := ScanFiles([]string{p}, FileOptions{})
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FormatError: %v", err)
			}
			return
		}
		defer fs.Close()
		for _, e := range fs.Entries() {
			b, err := fs.ReadBlock(e)
			if err != nil {
				t.Fatalf("ReadBlock of a listed block: %v", err)
			}
			b.DecodeChecked()
		}
	})
}
