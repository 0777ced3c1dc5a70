package main

import (
	"errors"
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

// lists import and update refuse a --min-ratio outside [0,1] as a usage error, and a
// refused import creates no store.
func TestListsMinRatio(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d")
	for _, args := range [][]string{
		{"lists", "import", "--format", "un-xml", "--min-ratio", "2", "un.xml"},
		{"lists", "import", "--format", "un-xml", "--min-ratio", "-1", "un.xml"},
		{"lists", "update", "--source", "un", "--min-ratio", "1.5"},
	} {
		_, err := runCLI(t, append([]string{"--data", data}, args...)...)
		if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "--min-ratio") {
			t.Errorf("%v: got %v, want a --min-ratio usage error", args, err)
		}
	}
	_, err := runCLI(t, "--data", data, "lists", "import", "--format", "un-xml", "--min-ratio", "0.9", filepath.Join(t.TempDir(), "missing.xml"))
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("%s exists after refused imports (%v)", data, err)
	}
}
