package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sim"
)

func TestSimulateCommand(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"simulate", "--scenario", "nope", "--out", filepath.Join(tmp, "a")}, "economy, lazarus"},
		{"zero scale", []string{"simulate", "--scale", "0", "--out", filepath.Join(tmp, "b")}, "--scale"},
		{"negative scale", []string{"simulate", "--scale", "-2", "--out", filepath.Join(tmp, "c")}, "--scale"},
		{"no out", []string{"simulate"}, "output folder"},
		{"non-empty out", []string{"simulate", "--out", full}, "not empty"},
	} {
		_, err := runCLI(t, c.args...)
		var ue usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a usage error mentioning %q", c.name, err, c.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(full, "x")); string(b) != "keep" {
		t.Fatal("existing output folder was touched")
	}
	dir := filepath.Join(tmp, "ok")
	out, err := runCLI(t, "simulate", "--scenario", "economy", "--seed", "4", "--scale", "0.05", "--fast", "--no-progress", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := sim.ReadHeader(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, h.TipHash) || h.Seed != 4 || h.Scenario != "economy" || h.Signed {
		t.Fatalf("output %q, header %+v", out, h)
	}
}
