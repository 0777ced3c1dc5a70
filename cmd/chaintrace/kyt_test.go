package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/monitor"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/store"
)

// The kyt commands on a demo-style folder (a simulated theft indexed under
// DIR, its truth in DIR/sim): the investigator labels the theft's loot
// address as stolen; a cash-out deposit registered at an exchange is
// screened with a stolen alert, reviewed, re-screened; rules are validated
// and versioned.
func TestKYTCLI(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	simDir := filepath.Join(data, "sim")
	h, err := sim.Run(ctx, sim.Config{Scenario: sim.ScenarioLazarus, Seed: 5, Scale: 0.05, Fast: true, OutDir: simDir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "ingest", "--data", data, filepath.Join(simDir, "blocks")); err != nil {
		t.Fatal(err)
	}
	// The loot address: the theft's first loot output (the investigator's case).
	ix, err := openIndexRead(data)
	if err != nil {
		t.Fatal(err)
	}
	th, _ := chainhash.NewHashFromStr(h.Theft.Txid)
	tv, err := ix.Tx(*th)
	net := ix.Network()
	ix.Close()
	if err != nil {
		t.Fatal(err)
	}
	loot := *tv.Outputs[h.Theft.Outputs[0]].Address
	csv := filepath.Join(t.TempDir(), "case.csv")
	os.WriteFile(csv, []byte("address,label,category,source,confidence\n"+loot+",Northbank theft,stolen,case 1,1\n"), 0o644)
	db, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := labels.New(ctx, db, labels.Options{Network: net})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(csv)
	if _, err := ls.Import(ctx, []labels.Input{{Name: csv, Format: labels.FormatCSV, R: f}}, labels.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db.Close()

	co := h.CashOuts[0]
	ref := co.Txid + ":" + strconv.Itoa(int(co.Vout))
	out, err := runCLI(t, "kyt", "register", "--data", data, "--user", "mule1", ref)
	if err != nil || !strings.Contains(out, " screened "+ref) {
		t.Fatalf("register: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]
	out, err = runCLI(t, "kyt", "register", "--data", data, "--user", "mule1", ref)
	if err != nil || !strings.HasPrefix(out, id) || !strings.Contains(out, "registered before") {
		t.Errorf("register again: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "kyt", "register", "--data", data, "--user", "mule1", co.Txid+":999"); !errors.As(err, new(usageError)) ||
		!strings.Contains(err.Error(), "vout 999 does not exist") {
		t.Errorf("bad vout: %v", err)
	}
	out, err = runCLI(t, "kyt", "show", "--data", data, "--json", id)
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Transfer monitor.Transfer
		Alerts   []monitor.Alert
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Transfer.Status != monitor.StatusScreened || *shown.Transfer.AssetAmount != co.Value || len(shown.Alerts) == 0 {
		t.Fatalf("show: %s", out)
	}
	var stolen *monitor.Alert
	for i, a := range shown.Alerts {
		if a.Category == "stolen" {
			stolen = &shown.Alerts[i]
		}
	}
	if stolen == nil || stolen.Service != "Northbank theft" || stolen.Path[0] != h.Theft.Txid {
		t.Fatalf("no stolen alert from the theft: %+v", shown.Alerts)
	}
	out, err = runCLI(t, "kyt", "alerts", "--data", data, "--level", string(stolen.AlertLevel))
	if err != nil || !strings.Contains(out, stolen.AlertID) {
		t.Errorf("alerts: %v\n%s", err, out)
	}
	out, err = runCLI(t, "kyt", "alert", "--data", data, stolen.AlertID, "--status", "in_review", "--assignee", "maria", "--by", "tester")
	if err != nil || !strings.Contains(out, "in_review") || !strings.Contains(out, "tester") || !strings.Contains(out, `"maria"`) {
		t.Errorf("alert update: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  - category: stolen\n    level: SEVERE\n  - category: hacker\n    level: LOW\n"), 0o644)
	if _, err := runCLI(t, "kyt", "rules", "validate", bad); !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "bad.yaml:4: unknown category \"hacker\"") {
		t.Errorf("validate: %v", err)
	}
	if _, err := runCLI(t, "kyt", "rules", "set", "--data", data, bad); err == nil {
		t.Error("invalid rules set")
	}
	good := filepath.Join(t.TempDir(), "good.yaml")
	os.WriteFile(good, []byte(monitor.DefaultRulesYAML+"  - name: any-exchange\n    category: exchange\n    level: LOW\n"), 0o644)
	if out, err := runCLI(t, "kyt", "rules", "set", "--data", data, good); err != nil || !strings.Contains(out, "rules version 1 in force") {
		t.Errorf("set: %v %s", err, out)
	}
	if out, err := runCLI(t, "kyt", "rules", "show", "--data", data); err != nil || !strings.Contains(out, "any-exchange") {
		t.Errorf("show rules: %v %s", err, out)
	}
	// Re-screening under the new rules adds the exchange alerts, linked to the earlier screening.
	out, err = runCLI(t, "kyt", "rescreen", "--data", data)
	if err != nil || !strings.Contains(out, "queued 1 transfer") {
		t.Fatalf("rescreen: %v\n%s", err, out)
	}
	out, _ = runCLI(t, "kyt", "show", "--data", data, "--json", id)
	var after struct{ Alerts []monitor.Alert }
	json.Unmarshal([]byte(out), &after)
	if len(after.Alerts) <= len(shown.Alerts) || after.Alerts[len(after.Alerts)-1].ScreeningID == stolen.ScreeningID {
		t.Errorf("after rescreen: %d alerts (before %d)\n%s", len(after.Alerts), len(shown.Alerts), out)
	}
}

// serve --help lists the KYT routes.
func TestServeHelpListsKYT(t *testing.T) {
	cmd, _, err := rootCmd.Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"POST  /v1/kyt/users/{userId}/transfers", "GET   /v1/kyt/transfers/{externalId}",
		"POST  /v1/kyt/users/{userId}/withdrawal-attempts", "GET   /v1/kyt/alerts", "PATCH /v1/kyt/alerts/{alertId}", "--kyt-webhook"} {
		if !strings.Contains(cmd.Long+cmd.Flags().FlagUsages(), r) {
			t.Errorf("serve --help lacks %q", r)
		}
	}
}
