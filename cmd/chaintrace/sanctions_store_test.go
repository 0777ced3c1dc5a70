package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Reading commands on a data folder with no sanctions store say so and create nothing
// (a mistyped --data must not leave a new folder behind).
func TestSanctionsReadCommandsCreateNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "never-imported")
	for _, args := range [][]string{
		{"screen", "address", "--json=false", "--list-version=", "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"},
		{"screen", "name", "--json=false", "--batch=", "LAZARUS GROUP"},
		{"lists", "diff", "--json=false", "1", "2"},
	} {
		_, err := runCLI(t, append([]string{"--data", data}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "no sanctions list imported") {
			t.Errorf("%v: got %v, want the no-list error", args, err)
		}
	}
	out, err := runCLI(t, "--data", data, "lists", "versions", "--json=true")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("lists versions --json: %q %v, want []", out, err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("%s exists after read-only commands (%v)", data, err)
	}
}
