package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// browserTools finds node, web/ and the browsers: Debian's chromium (driven by
// web/node_modules/playwright-core) and firefox-esr (driven by
// web/node_modules/puppeteer-core over WebDriver BiDi). A missing browser
// leaves its path empty and says why in the matching *Miss string; the
// subtests skip on it, unless CHAINTRACE_REQUIRE_BROWSER=1 (Chromium) or
// CHAINTRACE_REQUIRE_FIREFOX=1 (Firefox) is set (both are, by .ci/run), in
// which case they fail.
func browserTools(t *testing.T) (node, webDir, chromium, chromiumMiss, firefox, firefoxMiss string) {
	t.Helper()
	webDir = filepath.Join(testutil.RepoRoot(), "web")
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		chromiumMiss = "chromium not found at " + chromium
	} else if _, err := os.Stat(filepath.Join(webDir, "node_modules", "playwright-core")); err != nil {
		chromiumMiss = "web/node_modules/playwright-core not installed"
	}
	firefox = os.Getenv("FIREFOX")
	if firefox == "" {
		firefox = "/usr/bin/firefox-esr"
	}
	if _, err := os.Stat(firefox); err != nil {
		firefoxMiss = "firefox-esr not found at " + firefox
	} else if _, err := os.Stat(filepath.Join(webDir, "node_modules", "puppeteer-core")); err != nil {
		firefoxMiss = "web/node_modules/puppeteer-core not installed"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		chromiumMiss, firefoxMiss = "node not found", "node not found"
	}
	if chromiumMiss != "" && firefoxMiss != "" {
		requireBrowser(t, "CHAINTRACE_REQUIRE_BROWSER", chromiumMiss)
		requireBrowser(t, "CHAINTRACE_REQUIRE_FIREFOX", firefoxMiss)
		t.Skipf("%s; %s: skipping the browser tests (apt-get install chromium firefox-esr; cd web && npm ci)", chromiumMiss, firefoxMiss)
	}
	return node, webDir, chromium, chromiumMiss, firefox, firefoxMiss
}

// requireBrowser fails the test with what is missing when the env var is 1.
func requireBrowser(t *testing.T, env, what string) {
	t.Helper()
	if what != "" && os.Getenv(env) == "1" {
		t.Fatalf("%s (%s=1)", what, env)
	}
}

// TestBrowser builds chaintrace, starts `demo --serve` on a free loopback
// port, imports the real OFAC list into it, and runs web/e2e/run.mjs: search →
// address page → expand the graph → trace (the endpoints table against the
// API's own trace) → screening a name and a CSV → an alert in the graph → a
// case saved, reopened and exported. The subtest chromium runs it in Chromium;
// the subtest firefox runs web/e2e/firefox.mjs, the same flows plus keyboard
// navigation and mouse clicks on the graph, in Firefox against the same server.
// Screenshots go to CHAINTRACE_ARTEFACTS (default web/e2e/artefacts,
// git-ignored), Firefox's named ff-*.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser tests")
	}
	node, webDir, chromium, chromiumMiss, firefox, firefoxMiss := browserTools(t)
	ofac := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	root := testutil.RepoRoot()
	bin := filepath.Join(t.TempDir(), "chaintrace")
	build := exec.Command("go", "build", "-o", bin, "./cmd/chaintrace")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "demo", "--data", data, "--serve", "--listen", "127.0.0.1:0", "--scale", "0.3")
	srv.Env = append(os.Environ(), "CHAINTRACE_DB=")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	serving := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)/`)
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		close(urlc)
	}()
	var base string
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("demo --serve ended before serving:\n%s", tail(stderr.String()))
		}
		base = u
	case <-ctx.Done():
		t.Fatalf("demo --serve did not start:\n%s", tail(stderr.String()))
	}
	// The real OFAC lists, imported while the server runs (it picks them
	// up): the SDN list of 2024-05, then 2025-02 (in force), for the list
	// diff by entry.
	ofacOld := testutil.SharedFile(t, "data/sanctions/ofac-2024-05/sdn.csv")
	for _, l := range []string{ofacOld, ofac} {
		imp := exec.CommandContext(ctx, bin, "lists", "import", "--data", data, "--format", "ofac-csv", l)
		imp.Env = srv.Env
		if out, err := imp.CombinedOutput(); err != nil {
			t.Fatalf("lists import %s: %v\n%s", l, err, out)
		}
	}
	added, removed := sdnDiff(t, ofacOld, filepath.Join(ofac, "sdn.csv"))
	for deadline := time.Now().Add(60 * time.Second); ; {
		var l struct{ Versions []json.RawMessage }
		if r, err := http.Get(base + "/v1/lists"); err == nil {
			json.NewDecoder(r.Body).Decode(&l)
			r.Body.Close()
		}
		if len(l.Versions) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not pick up the imported list")
		}
		time.Sleep(500 * time.Millisecond)
	}
	hdr, err := sim.ReadHeader(filepath.Join(data, "sim"))
	if err != nil || hdr.Theft == nil {
		t.Fatalf("the demo's theft: %v", err)
	}
	art := os.Getenv("CHAINTRACE_ARTEFACTS")
	if art == "" {
		art = filepath.Join(webDir, "e2e", "artefacts")
	}
	env := append(os.Environ(), "CHAINTRACE_URL="+base, "THEFT_TXID="+hdr.Theft.Txid, "ARTEFACTS="+art,
		"SCREEN_NAME=Lazarus Group", "LISTDIFF_ADDED="+strconv.Itoa(added), "LISTDIFF_REMOVED="+strconv.Itoa(removed))
	t.Run("chromium", func(t *testing.T) {
		if chromiumMiss != "" {
			requireBrowser(t, "CHAINTRACE_REQUIRE_BROWSER", chromiumMiss)
			t.Skipf("%s: skipping the Chromium tests (apt-get install chromium; cd web && npm ci)", chromiumMiss)
		}
		runE2E(ctx, t, node, webDir, "run.mjs", append(slices.Clip(env), "CHROMIUM="+chromium), art)
	})
	t.Run("firefox", func(t *testing.T) {
		if firefoxMiss != "" {
			requireBrowser(t, "CHAINTRACE_REQUIRE_FIREFOX", firefoxMiss)
			t.Skipf("%s: skipping the Firefox tests (apt-get install firefox-esr; cd web && npm ci)", firefoxMiss)
		}
		runE2E(ctx, t, node, webDir, "firefox.mjs", append(slices.Clip(env), "FIREFOX="+firefox), art)
	})
}

// runE2E runs one browser runner (web/e2e/script) with env and fails the test
// when it exits non-zero; its output (a line per check) goes to the test log.
func runE2E(ctx context.Context, t *testing.T, node, webDir, script string, env []string, art string) {
	t.Helper()
	run := exec.CommandContext(ctx, node, filepath.Join("e2e", script))
	run.Dir = webDir
	run.Env = env
	out, err := run.CombinedOutput()
	t.Logf("%s:\n%s", script, out)
	if err != nil {
		t.Fatalf("%s failed: %v (screenshots in %s)", script, err, art)
	}
}

// sdnDiff counts the entries added and removed from one sdn.csv to another
// by their ent_num sets, read with encoding/csv (independently of chaintrace).
func sdnDiff(t *testing.T, old, cur string) (added, removed int) {
	t.Helper()
	a, b := testutil.SDNEntNums(t, old), testutil.SDNEntNums(t, cur)
	for id := range b {
		if !a[id] {
			added++
		}
	}
	for id := range a {
		if !b[id] {
			removed++
		}
	}
	return added, removed
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
