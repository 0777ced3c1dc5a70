package main

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// A plain one-address-a-line list imports as a watchlist; addresses screen
// in batches, from CSV or one a line.
func TestAddressListImportAndBatchCLI(t *testing.T) {
	xbt := testutil.SharedFile(t, "data/sanctions/crypto-2024-09/sanctioned_addresses_XBT.txt")
	data := t.TempDir()
	out, err := runCLI(t, "--data", data, "lists", "import", "--format", "addresses", "--ticker", "XBT", "--name", "ofac-xbt", "--category", "sanctions-derived", xbt)
	if err != nil || !strings.Contains(out, "watchlist:ofac-xbt@1") || !strings.Contains(out, "435 crypto addresses") {
		t.Fatalf("import: %q %v", out, err)
	}
	for _, bad := range [][]string{
		{"lists", "import", "--format", "addresses", "--name", "x", xbt},            // no ticker
		{"lists", "import", "--format", "addresses", "--ticker", "XBT", xbt},        // no name
		{"lists", "import", "--format", "un-xml", "--ticker", "XBT", xbt},           // ticker for another format
		{"screen", "address", "--batch", xbt, "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"}, // both
	} {
		if _, err := runCLI(t, append([]string{"--data", data}, bad...)...); !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	badList := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(badList, []byte("123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\n\n123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY\n"), 0o644)
	if _, err := runCLI(t, "--data", data, "lists", "import", "--format", "addresses", "--ticker", "XBT", "--name", "bad", badList); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad address list: %v, want an error naming line 3", err)
	}

	// Every listed address of the file is found by a batch of the file itself.
	out, err = runCLI(t, "--data", data, "screen", "address", "--batch", xbt)
	rows, cerr := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || cerr != nil || len(rows) != 436 {
		t.Fatalf("batch of the list: %d rows, %v %v", len(rows), err, cerr)
	}
	for _, r := range rows[1:] {
		if r[4] != "watchlist:ofac-xbt" || r[7] != "sanctions-derived" || r[3] != "false" {
			t.Errorf("row %q: want a watchlist hit of category sanctions-derived, not sanctioned", r)
			break
		}
	}
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte("customer,address\nalice,123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\nbob,1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\ncarol,bogus\n"), 0o644)
	out, err = runCLI(t, "--data", data, "screen", "address", "--batch", in)
	rows, cerr = csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || cerr != nil || len(rows) != 4 || rows[1][5] == "" || rows[2][5] != "" || rows[2][0] != "3" || !strings.Contains(rows[3][10], "malformed") {
		t.Errorf("CSV batch: %q %v %v", rows, err, cerr)
	}
	out, err = runCLI(t, "--data", data, "screen", "address", "--batch", in, "--json")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 3 || !strings.Contains(lines[0], `"matches":[{`) || !strings.Contains(lines[2], `"error"`) {
		t.Errorf("JSON batch: %q %v", out, err)
	}
}
