package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// runCLI runs the root command with args and returns stdout and the error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runCLIContext(t, context.Background(), args...)
}

// runCLIContext is runCLI with a context (cancel it to stop a server).
func runCLIContext(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	// cobra keeps flag values between executions: start from the defaults.
	if c, _, err := rootCmd.Find(args); err == nil {
		// cobra hands the root's context to a subcommand only if it has none:
		// a command run before keeps its old context unless it is reset.
		c.SetContext(ctx)
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				_ = sv.Replace(nil) // Set("[]") would add an element "[]"
			} else {
				_ = f.Value.Set(f.DefValue)
			}
			f.Changed = false
		})
	}
	err := execute(ctx)
	return out.String(), err
}

func TestListsAndScreenCLI(t *testing.T) {
	shared := testutil.SharedDir(t)
	data := t.TempDir()
	ofacOld := filepath.Join(shared, "data/sanctions/ofac-2024-05/sdn.csv")
	ofacNew := filepath.Join(shared, "data/sanctions/ofac-2025-02")

	out, err := runCLI(t, "--data", data, "lists", "import", "--format", "ofac-csv", ofacOld)
	if err != nil || !strings.Contains(out, "imported ofac-sdn@1: 14965 entities") {
		t.Fatalf("import old: %q %v", out, err)
	}
	out, err = runCLI(t, "--data", data, "lists", "import", "--format", "ofac-csv", ofacNew)
	if err != nil || !strings.Contains(out, "imported ofac-sdn@2: 16989 entities, 661 crypto addresses") {
		t.Fatalf("import new: %q %v", out, err)
	}
	// The older list is now suspiciously short: refused, and @2 stays in force.
	if _, err = runCLI(t, "--data", data, "lists", "import", "--format", "ofac-csv", ofacOld); err == nil || !strings.Contains(err.Error(), "fewer than 90%") {
		t.Errorf("shrunken import: %v", err)
	}
	if _, err = runCLI(t, "--data", data, "lists", "import", "--format", "nope", ofacOld); !errors.As(err, new(usageError)) {
		t.Errorf("unknown format: %v, want a usage error", err)
	}

	out, err = runCLI(t, "--data", data, "lists", "versions", "--json")
	var vs []struct {
		ID      int64 `json:"id"`
		InForce bool  `json:"in_force"`
	}
	if err != nil || json.Unmarshal([]byte(out), &vs) != nil || len(vs) != 2 || vs[0].InForce || !vs[1].InForce {
		t.Errorf("versions: %q %v", out, err)
	}

	out, err = runCLI(t, "--data", data, "lists", "diff", "1", "2", "--summary")
	if err != nil || !strings.Contains(out, "ofac-sdn@1 → ofac-sdn@2: ") || !strings.Contains(out, "removed (delisted)") {
		t.Errorf("diff: %q %v", out, err)
	}

	out, err = runCLI(t, "--data", data, "screen", "address", "--json", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
	var res struct {
		Sanctioned  bool   `json:"sanctioned"`
		ListVersion string `json:"list_version"`
		Matches     []struct {
			EntityID string `json:"entity_id"`
		} `json:"matches"`
	}
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || !res.Sanctioned || res.ListVersion != "ofac-sdn@2" || res.Matches[0].EntityID != "ofac:27307" {
		t.Errorf("screen: %q %v", out, err)
	}
	if _, err = runCLI(t, "--data", data, "screen", "address", "--json=false", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97"); !errors.As(err, new(usageError)) {
		t.Errorf("malformed address: %v, want a usage error (exit 2)", err)
	}
}
