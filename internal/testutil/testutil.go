// Package testutil holds helpers shared by the tests of several packages:
// locating ../shared data and the btcd binary, skipping clearly when they
// are absent on a user's machine and failing when CI requires them.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot returns the repository's root folder (the one holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// required reports whether CI asked for the real component named by env to be present.
func required(env string) bool { return os.Getenv(env) == "1" }

// SharedDir returns the path of the shared data folder (../shared beside the
// checkout, or $CHAINTRACE_SHARED). When it is absent the test is skipped with
// a clear message, unless CHAINTRACE_REQUIRE_SHARED=1 (set by .ci/run), in
// which case it fails.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CHAINTRACE_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if st, err := os.Stat(filepath.Join(dir, "data")); err != nil || !st.IsDir() {
		if required("CHAINTRACE_REQUIRE_SHARED") {
			t.Fatalf("shared data not found at %s (CHAINTRACE_REQUIRE_SHARED=1)", dir)
		}
		t.Skipf("shared data not found at %s: skipping (set CHAINTRACE_SHARED to its path)", dir)
	}
	return dir
}

// SharedFile returns the path of rel inside the shared folder, skipping or
// failing as SharedDir does when the folder is absent, and failing when the
// folder is there but the file is not.
func SharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SharedDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared file missing: %v", err)
	}
	return p
}

// BtcdPath returns the path of a btcd binary ($BTCD, ./.bin/btcd as installed
// by `make test`, or btcd on PATH). When none is found the test is skipped,
// unless CHAINTRACE_REQUIRE_BTCD=1 (set by .ci/run), in which case it fails.
func BtcdPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BTCD"), filepath.Join(RepoRoot(), ".bin", "btcd")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("btcd"); err == nil {
		return p
	}
	if required("CHAINTRACE_REQUIRE_BTCD") {
		t.Fatalf("btcd not found (CHAINTRACE_REQUIRE_BTCD=1): run `make test`, which installs it into .bin/")
	}
	t.Skip("btcd not found: skipping the real-node test (run `make test` to install it into .bin/)")
	return ""
}

// PostgresDSN returns the DSN of a PostgreSQL server for tests
// ($CHAINTRACE_TEST_POSTGRES; .ci/run starts one and sets it). When it is
// unset the test is skipped, unless CHAINTRACE_REQUIRE_POSTGRES=1, in which
// case it fails.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("CHAINTRACE_TEST_POSTGRES")
	if dsn == "" {
		if required("CHAINTRACE_REQUIRE_POSTGRES") {
			t.Fatal("CHAINTRACE_TEST_POSTGRES is not set (CHAINTRACE_REQUIRE_POSTGRES=1)")
		}
		t.Skip("CHAINTRACE_TEST_POSTGRES not set: skipping the PostgreSQL run (.ci/run starts a server and sets it)")
	}
	return dsn
}
