package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// `lists show` prints one listed party; a watchlist address hit prints its
// category, not SANCTIONED.
func TestListsShowAndWatchlistVerdictCLI(t *testing.T) {
	un := testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml")
	data := t.TempDir()
	if out, err := runCLI(t, "--data", data, "lists", "import", "--format", "un-xml", un); err != nil {
		t.Fatalf("import: %q %v", out, err)
	}
	out, err := runCLI(t, "--data", data, "lists", "show", "un:KPi.002")
	if err != nil || !strings.Contains(out, "RI JE-SON") || !strings.Contains(out, "1938") || !strings.Contains(out, "un@1") || !strings.Contains(out, "nationality:") {
		t.Errorf("lists show: %q %v", out, err)
	}
	if out, err := runCLI(t, "--data", data, "lists", "show", "--json", "un:KPi.002"); err != nil || !strings.Contains(out, `"list_version": "un@1"`) || !strings.Contains(out, `"dates_of_birth"`) {
		t.Errorf("lists show --json: %q %v", out, err)
	}
	if _, err := runCLI(t, "--data", data, "lists", "show", "un:nope"); !errors.As(err, new(usageError)) {
		t.Errorf("unknown entity: %v, want a usage error", err)
	}

	wl := filepath.Join(t.TempDir(), "cases.csv")
	os.WriteFile(wl, []byte("id,name,address,ticker,category\nk1,Case 17 wallet,bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,XBT,case\n"), 0o644)
	if out, err := runCLI(t, "--data", data, "lists", "import", "--format", "watchlist", "--name", "cases", wl); err != nil {
		t.Fatalf("watchlist import: %q %v", out, err)
	}
	out, err = runCLI(t, "--data", data, "screen", "address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
	if err != nil || strings.Contains(out, "SANCTIONED") || !strings.Contains(out, "LISTED (case)") {
		t.Errorf("watchlist address: %q %v", out, err)
	}
}
