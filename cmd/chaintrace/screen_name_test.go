package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
	"github.com/spf13/pflag"
)

// resetNameFlags puts a subcommand's flags back to their defaults (cobra keeps
// values between Execute calls).
func resetNameFlags(t *testing.T, path ...string) {
	t.Helper()
	cmd, _, err := rootCmd.Find(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	})
	cmd.SetContext(nil) //lint:ignore SA1012 cobra sets a command's context only when it is nil
}

func TestScreenNameCLI(t *testing.T) {
	un := testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml")
	data := t.TempDir()
	name := func(args ...string) (string, error) {
		resetNameFlags(t, "screen", "name")
		return runCLI(t, append([]string{"--data", data, "screen", "name"}, args...)...)
	}
	if _, err := name("Saddam Hussein"); err == nil || !strings.Contains(err.Error(), "no sanctions list imported") {
		t.Fatalf("empty store: %v", err)
	}
	if out, err := runCLI(t, "--data", data, "lists", "import", "--format", "un-xml", un); err != nil {
		t.Fatalf("import: %q %v", out, err)
	}

	out, err := name("Saddam Hussein al-Tikriti")
	if err != nil || !strings.Contains(out, "un:IQi.001") || !strings.Contains(out, "saddam=saddam") {
		t.Errorf("text: %q %v", out, err)
	}
	out, err = name("Usama bin Ladin", "--json", "--type", "entity")
	var res struct {
		Query   string `json:"query"`
		Matches []struct {
			EntityID    string  `json:"entity_id"`
			Type        string  `json:"type"`
			Score       float64 `json:"score"`
			Explanation struct {
				Summary string `json:"summary"`
			} `json:"explanation"`
		} `json:"matches"`
	}
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.Matches) == 0 || res.Matches[0].EntityID != "un:QDe.004" || res.Matches[0].Type != "entity" || res.Matches[0].Explanation.Summary == "" {
		t.Errorf("json: %q %v", out, err)
	}
	for _, bad := range [][]string{{" "}, {"x", "--type", "person"}, {"x", "--dob", "84"}, {"x", "--min-score", "2"}, {}, {"a", "b"}} {
		if _, err := name(bad...); !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}

	// Countries by code or name, a comma inside a name; unknown values are
	// usage errors naming the valid ones; removals are reported.
	for _, c := range []string{"KP", "PRK", "North Korea", "Korea, North"} {
		if out, err := name("Ri Je-son", "--country", c); err != nil || !strings.Contains(out, "un:KPi.002") {
			t.Errorf("--country %q: %q %v", c, out, err)
		}
	}
	if out, err := name("Ri Je-son", "--country", "RU"); err != nil || strings.Contains(out, "un:KPi.002") || !strings.Contains(out, "removed by --country RU") {
		t.Errorf("--country RU: %q %v", out, err)
	}
	if _, err := name("Ri Je-son", "--list", "ofac"); !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "lists: un") {
		t.Errorf("--list ofac: %v, want a usage error naming the list un", err)
	}

	// Batch: one CSV row per match, an empty-match row, an error row.
	batch := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(batch, []byte("id,name,dob\n1,Saddam Hussein al-Tikriti,1937\n2,Acme Widgets Inc,\n3,Saddam Hussein,19x\n"), 0o644)
	out, err = name("--batch", batch)
	rows, cerr := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || cerr != nil || len(rows) < 4 {
		t.Fatalf("batch: %q %v %v", out, err, cerr)
	}
	byRow := map[string][][]string{}
	for _, r := range rows[1:] {
		byRow[r[0]] = append(byRow[r[0]], r)
	}
	found := false
	for _, r := range byRow["2"] {
		// The explanation column keeps why it matched.
		found = found || r[4] == "un:IQi.001" && r[2] != "" && r[9] != "" && strings.Contains(r[12], "saddam=saddam") && r[11] == "sanctions"
	}
	if !found {
		t.Errorf("row 2 (Saddam): %q", byRow["2"])
	}
	if r := byRow["3"]; len(r) != 1 || r[0][4] != "" || r[0][10] != "" {
		t.Errorf("row 3 (no match): %q", r)
	}
	if r := byRow["4"]; len(r) != 1 || !strings.Contains(r[0][10], "date of birth") {
		t.Errorf("row 4 (bad dob): %q", r)
	}
	out, err = name("--batch", batch, "--json")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 3 || !strings.Contains(lines[0], "un:IQi.001") || !strings.Contains(lines[2], `"error"`) {
		t.Errorf("batch json: %q %v", out, err)
	}
	noName := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(noName, []byte("who\nx\n"), 0o644)
	if _, err := name("--batch", noName); !errors.As(err, new(usageError)) {
		t.Errorf("batch without name column: %v", err)
	}

	// eval with a small set of one's own.
	set := filepath.Join(t.TempDir(), "set.csv")
	os.WriteFile(set, []byte("query,expect,category\nSaddam Husayn al Tikriti,un:IQi.001,translit\nAcme Widgets Inc,,company\n"), 0o644)
	resetNameFlags(t, "screen", "eval")
	out, err = runCLI(t, "--data", data, "screen", "eval", "--file", set, "--thresholds", "0.8")
	if err != nil || !strings.Contains(out, "1/1") || !strings.Contains(out, "0/1") {
		t.Errorf("eval: %q %v", out, err)
	}
}
