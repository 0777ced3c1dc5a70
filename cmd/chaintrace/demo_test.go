package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// TestDemo runs the demo at a small scale: it simulates, indexes and
// reports the theft; a second run reuses both; a folder cut short is rebuilt.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := runDemo(context.Background(), &out, &errb, dir, 5, 0.05); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	if !strings.HasPrefix(errb.String(), "demo: working in "+dir) {
		t.Errorf("demo does not first say what it does: %.200q", errb.String())
	}
	h, err := sim.ReadHeader(filepath.Join(dir, "sim"))
	if err != nil {
		t.Fatal(err)
	}
	report := out.String()
	for _, want := range []string{h.Theft.Txid, "exchange: Northbank", "Where the funds went", "reached exchange:", "still unspent",
		"Ground truth", "KYT at the exchanges", "cash-out deposits alerted"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// Re-run: reuse the simulation and the index, same report.
	var out2, err2 bytes.Buffer
	if err := runDemo(context.Background(), &out2, &err2, dir, 5, 0.05); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(err2.String(), "reusing") || !strings.Contains(err2.String(), "applied 0 blocks") {
		t.Errorf("second run did not reuse: %s", err2.String())
	}
	if out2.String() != report {
		t.Error("second report differs")
	}
	// Other parameters on the same folder: a clear refusal.
	if err := runDemo(context.Background(), &out2, &err2, dir, 6, 0.05); err == nil || !strings.Contains(err.Error(), "seed 5") {
		t.Errorf("other seed on the same folder: %v", err)
	}
	// A simulation cut short (no truth.json) is rebuilt.
	if err := os.Remove(filepath.Join(dir, "sim", sim.TruthHeaderFile)); err != nil {
		t.Fatal(err)
	}
	var err3 bytes.Buffer
	if err := runDemo(context.Background(), &out2, &err3, dir, 5, 0.05); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(err3.String(), "rebuilding") {
		t.Errorf("cut-short simulation not rebuilt: %s", err3.String())
	}
	// A folder holding another network's index is refused before anything is written.
	other := t.TempDir()
	ix, err := index.Open(index.DirIn(other), index.Options{Network: &chaincfg.MainNetParams})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := runDemo(context.Background(), &out2, &err3, other, 5, 0.05); err == nil || !strings.Contains(err.Error(), "mainnet") {
		t.Errorf("mainnet index folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "sim")); !os.IsNotExist(err) {
		t.Errorf("demo wrote into a mainnet data folder: %v", err)
	}
}
