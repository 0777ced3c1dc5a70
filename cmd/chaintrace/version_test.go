package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// `chaintrace version` and `--version` print the same line, naming the version,
// the commit and the build date; link-time values win over build information.
func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "chaintrace ") || !strings.Contains(out, " commit ") || !strings.Contains(out, " built ") {
		t.Fatalf("version: %q %v", out, err)
	}
	out2, err := runCLI(t, "--version")
	if err != nil || out2 != out {
		t.Fatalf("--version: %q %v, want %q", out2, err, out)
	}
	version, commit, buildDate = "v9.8.7", "abc1234", "2026-01-02T03:04:05Z"
	defer func() { version, commit, buildDate = "", "", "" }()
	if got := readBuildInfo().String(); !strings.Contains(got, "chaintrace v9.8.7 commit abc1234") || !strings.Contains(got, "built 2026-01-02T03:04:05Z") {
		t.Fatalf("with ldflags: %q", got)
	}
}

// An error already worded "chaintrace: …" is printed with one prefix.
func TestErrorLineOnePrefix(t *testing.T) {
	for _, err := range []error{
		errors.New("boom"),
		errors.New("chaintrace: boom"),
		fmt.Errorf("chaintrace: %w", errors.New("chaintrace: boom")),
	} {
		if got := errorLine(err); got != "chaintrace: boom" {
			t.Errorf("errorLine(%q) = %q", err, got)
		}
	}
}

// --data defaults to CHAINTRACE_DATA when it is set.
func TestDataFromEnv(t *testing.T) {
	t.Setenv("CHAINTRACE_DATA", "/x/y")
	if got := envOr("CHAINTRACE_DATA", defaultDataDir); got != "/x/y" {
		t.Fatalf("envOr = %q", got)
	}
	os.Unsetenv("CHAINTRACE_DATA")
	if got := envOr("CHAINTRACE_DATA", defaultDataDir); got != defaultDataDir {
		t.Fatalf("envOr unset = %q", got)
	}
}

// --quiet is kept on simulate as a deprecated alias of --no-progress.
func TestQuietAlias(t *testing.T) {
	cmd, _, err := rootCmd.Find([]string{"simulate"})
	if err != nil {
		t.Fatal(err)
	}
	q, np := cmd.Flags().Lookup("quiet"), cmd.Flags().Lookup("no-progress")
	if q == nil || np == nil || q.Deprecated == "" {
		t.Fatalf("simulate: --quiet %v --no-progress %v", q, np)
	}
	if err := cmd.Flags().Set("quiet", "true"); err != nil || np.Value.String() != "true" {
		t.Fatalf("--quiet does not set --no-progress: %v %s", err, np.Value)
	}
	_ = cmd.Flags().Set("no-progress", "false")
}
