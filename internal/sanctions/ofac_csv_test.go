package sanctions

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// readLines reads an independent one-per-line list.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestOFACCSVCryptoFacts(t *testing.T) {
	dir := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	p, err := ParseOFACCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entities) != 16989 {
		t.Errorf("entities = %d, want 16,989 (README)", len(p.Entities))
	}
	pairs := map[[2]string]bool{}
	ents := map[string]bool{}
	perTicker := map[string]int{}
	xbt := map[string]bool{}
	for _, e := range p.Entities {
		for _, c := range e.CryptoAddresses {
			k := [2]string{c.Ticker, c.Address}
			if !pairs[k] {
				perTicker[c.Ticker]++
			}
			pairs[k] = true
			ents[e.ID] = true
			if c.Ticker == "XBT" {
				xbt[c.Address] = true
			}
		}
	}
	if len(pairs) != 661 || len(ents) != 62 || len(perTicker) != 17 {
		t.Errorf("got %d pairs over %d entities and %d tickers, want 661 over 62 and 17 (README)", len(pairs), len(ents), len(perTicker))
	}
	// README per-ticker figures count mentions in the merged remarks (XBT 437
	// mentions of 435 unique addresses; LTC lists one address twice).
	mentions := map[string]int{}
	for _, e := range p.Entities {
		for tk := range perTicker {
			mentions[tk] += strings.Count(e.Remarks, "Digital Currency Address - "+tk+" ")
		}
	}
	want := map[string]int{"XBT": 437, "ETH": 153, "USDT": 32, "LTC": 11, "BCH": 7, "TRX": 6, "XMR": 3, "ZEC": 3,
		"DASH": 3, "USDC": 2, "ARB": 1, "BSC": 1, "BTG": 1, "ETC": 1, "BSV": 1, "XVG": 1, "XRP": 1}
	for tk, n := range want {
		if mentions[tk] != n {
			t.Errorf("%s: %d mentions, want %d", tk, mentions[tk], n)
		}
	}
	if perTicker["XBT"] != 435 {
		t.Errorf("XBT: %d unique addresses, want 435", perTicker["XBT"])
	}
	indep := readLines(t, testutil.SharedFile(t, "data/sanctions/crypto-2024-09/sanctioned_addresses_XBT.txt"))
	got := make([]string, 0, len(xbt))
	for a := range xbt {
		got = append(got, a)
	}
	slices.Sort(got)
	slices.Sort(indep)
	if !slices.Equal(got, indep) {
		t.Errorf("XBT addresses differ from the independent list: %d vs %d", len(got), len(indep))
	}
}

func TestOFACCSVSpilloverAndFields(t *testing.T) {
	dir := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	p, err := ParseOFACCSV(filepath.Join(dir, "sdn.csv"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Entity{}
	for _, e := range p.Entities {
		byID[e.ID] = e
	}
	laz := byID["ofac:27307"]
	if laz.Name != "LAZARUS GROUP" || !slices.Equal(laz.Programs, []string{"DPRK3"}) {
		t.Errorf("27307 = %q %v", laz.Name, laz.Programs)
	}
	// The alias cut at 1,000 characters ("WHOIS HACKIN" + "G TEAM") must be whole.
	var weak []string
	for _, a := range laz.Aliases {
		if a.Quality == QualityWeak {
			weak = append(weak, a.Name)
		}
	}
	if !slices.Contains(weak, "WHOIS HACKING TEAM") || !slices.Contains(weak, "APPLEWORM") {
		t.Errorf("LAZARUS weak aliases = %q, want WHOIS HACKING TEAM and APPLEWORM", weak)
	}
	if len(laz.Addresses) == 0 || laz.Addresses[0].Country != "Korea, North" {
		t.Errorf("LAZARUS addresses = %+v", laz.Addresses)
	}
	bnc := byID["ofac:306"]
	if !slices.ContainsFunc(bnc.Aliases, func(a Alias) bool {
		return a.Name == "NATIONAL BANK OF CUBA" && a.Quality == QualityStrong && a.Type == "aka"
	}) {
		t.Errorf("306 aliases = %+v, want strong aka NATIONAL BANK OF CUBA from alt.csv", bnc.Aliases)
	}
	// No extracted address may be a fragment of a longer listed one.
	for _, e := range p.Entities {
		for _, c := range e.CryptoAddresses {
			if c.Address == "3F6bbvS1krsc1qR8FsbTDfYQyvkMm" {
				t.Errorf("%s: truncated fragment %s extracted", e.ID, c.Address)
			}
		}
	}
	// Individuals carry DOBs and nationalities from remarks.
	var dobs, nats int
	for _, e := range p.Entities {
		if len(e.DatesOfBirth) > 0 {
			dobs++
		}
		if len(e.Nationalities) > 0 {
			nats++
		}
	}
	if dobs < 5000 || nats < 3000 {
		t.Errorf("entities with DOB %d, with nationality %d; remarks parsing lost them", dobs, nats)
	}
}

func TestOFACCSVWithoutCommentsDropsFragments(t *testing.T) {
	// The 2024-05 set is sdn.csv alone: remarks cut at 1,000 characters end in
	// address fragments, which must not be listed as addresses.
	p := parseShared(t, FormatOFACCSV, "data/sanctions/ofac-2024-05/sdn.csv")
	if len(p.Entities) != 14965 {
		t.Errorf("entities = %d, want 14,965 (README)", len(p.Entities))
	}
	var missing, dropped int
	for _, w := range p.Warnings {
		if strings.Contains(w, "missing; imported without it") {
			missing++
		}
		if strings.Contains(w, "dropped the") {
			dropped++
		}
	}
	if missing != 3 || dropped == 0 {
		t.Errorf("warnings: %d missing files, %d dropped fragments; want 3 and some", missing, dropped)
	}
	for _, e := range p.Entities {
		for _, c := range e.CryptoAddresses {
			if c.Address == "3F6bbvS1krsc1qR8FsbTDfYQyvkMm" || len(c.Address) < 20 {
				t.Errorf("%s: fragment %q listed", e.ID, c.Address)
			}
		}
	}
}

// A path that does not exist is named as given (not as PATH/sdn.csv).
func TestOFACCSVMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexist.csv")
	_, err := ParseOFACCSV(missing)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "nonexist.csv/sdn.csv") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("got %v, want a not-exist error naming %s", err, missing)
	}
}
