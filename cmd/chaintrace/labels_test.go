package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func TestLabelsCLI(t *testing.T) {
	shared := testutil.SharedDir(t)
	data := t.TempDir()
	packs, _ := filepath.Glob(filepath.Join(shared, "data/labels/tagpacks/*.yaml"))
	if len(packs) != 10 {
		t.Fatalf("%d packs", len(packs))
	}
	// Nothing imported yet.
	if _, err := runCLI(t, "--data", data, "labels", "show", "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"); !errors.Is(err, errNoLabels) {
		t.Errorf("show before import: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "chaintrace.db")); err == nil {
		t.Errorf("a reading command created the store")
	}
	out, err := runCLI(t, append([]string{"--data", data, "labels", "import", "--format", "tagpack"}, packs...)...)
	// 1297 = the Bitcoin tags of the ten packs: 44+45+3+608+117+20+6+66+386+2 (internal/labels checks each against the file).
	if err != nil || !strings.Contains(out, "imported: 1297 labels stored, 0 already present, 133 skipped") ||
		!strings.Contains(out, "lazarus.yaml (tagpack, dataset lazarus.yaml): 21 records, 20 labels stored, 0 already present; 1 of other currencies skipped (ETH 1)") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = runCLI(t, append([]string{"--data", data, "labels", "import", "--format", "tagpack"}, packs...)...)
	if err != nil || !strings.Contains(out, "imported: 0 labels stored, 1297 already present") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--data", data, "labels", "import", "--format", "csv", "--category", "ransomware", "--source", "BitcoinHeist",
		"--confidence", "forensic", filepath.Join(shared, "data/labels/bitcoinheist-ransomware-sample.csv"))
	if err != nil || !strings.Contains(out, "126 records, 104 labels stored, 22 already present") || !strings.Contains(out, "columns ignored: year, day") {
		t.Fatalf("CSV import: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--data", data, "labels", "import", "--format", "stix", "--dataset", "dprk-2023-08", filepath.Join("..", "..", "internal", "labels", "testdata", "dprk-advisory.stix.json"))
	if err != nil || !strings.Contains(out, "9 indicators; 4 of other types skipped") || !strings.Contains(out, "6 labels stored") {
		t.Fatalf("STIX import: %v\n%s", err, out)
	}
	// A refused import names the file and line and changes nothing.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("address,label,category\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Huobi,exchange\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Oops,bakery\n"), 0o644)
	if _, err := runCLI(t, "--data", data, "labels", "import", "--format", "csv", bad); err == nil ||
		!strings.Contains(err.Error(), "refused, nothing changed: "+bad+":3: category: unknown category \"bakery\"") {
		t.Errorf("bad category: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "labels", "import", "--network", "testnet3", "--format", "tagpack", packs[0]); err == nil ||
		!strings.Contains(err.Error(), "address is for mainnet, not testnet3") {
		t.Errorf("mainnet pack into testnet3: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "labels", "import", "--format", "yaml", bad); !errors.As(err, new(usageError)) {
		t.Errorf("bad format: %v", err)
	}
	out, err = runCLI(t, "--data", data, "labels")
	if err != nil || !strings.Contains(out, "hacks.yaml") || !strings.Contains(out, "dprk-2023-08") || strings.Contains(out, "bad.csv") {
		t.Errorf("datasets: %v\n%s", err, out)
	}
	// show --json, with the OFAC list making the address a sanctions label too.
	if _, err := runCLI(t, "--data", data, "lists", "import", "--format", "ofac-csv", filepath.Join(shared, "data/sanctions/ofac-2025-02")); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, "--data", data, "labels", "show", "--json", "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")
	var ans api.LabelsAnswer
	if err != nil || json.Unmarshal([]byte(out), &ans) != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if len(ans.Labels) != 2 || ans.Labels[0].Category != labels.Sanctions || ans.Labels[0].Source != "ofac-sdn@1" ||
		ans.Labels[1].Category != labels.Mixer || ans.Labels[1].Dataset != "blender_io.yaml" {
		t.Errorf("show: %+v", ans)
	}
	out, err = runCLI(t, "--data", data, "labels", "show", "3LU8wRu4ZnXP4UM8Yo6kkTiGHM9BubgyiG")
	if err != nil || !strings.Contains(out, "2 label(s)") || !strings.Contains(out, "perpetrator") || !strings.Contains(out, "Lazarus Group") {
		t.Errorf("show text: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "--data", data, "labels", "show", "3LU8wRu4ZnXP4UM8Yo6kkTiGHM9BubgyiG1"); !errors.As(err, new(usageError)) {
		t.Errorf("bad address: %v", err)
	}
	out, err = runCLI(t, "--data", data, "labels", "delete", "--source", "hacks.yaml")
	if err != nil || !strings.Contains(out, "deleted 608 labels") {
		t.Errorf("delete: %v %s", err, out)
	}
	if _, err := runCLI(t, "--data", data, "labels", "delete", "--source", "hacks.yaml"); err == nil {
		t.Errorf("second delete of the same source succeeded")
	}
	if _, err := runCLI(t, "--data", data, "labels", "delete"); !errors.As(err, new(usageError)) {
		t.Errorf("delete without --source: %v", err)
	}
}
