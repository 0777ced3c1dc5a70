package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Makefile keeps the configured module proxy and drops only a ",direct"
// fallback; with GOPROXY unset it uses `go env GOPROXY`.
func TestMakefileKeepsGOPROXY(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root, _ := filepath.Abs("../..")
	run := func(env ...string) string {
		cmd := exec.Command("make", "-s", "-C", root, "goproxy")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("make goproxy: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("GOPROXY=https://mirror.invalid/go,direct"); got != "https://mirror.invalid/go" {
		t.Errorf("GOPROXY with ,direct: make uses %q", got)
	}
	if got := run("GOPROXY=https://a.invalid,https://b.invalid"); got != "https://a.invalid,https://b.invalid" {
		t.Errorf("GOPROXY list: make uses %q", got)
	}
	goEnv := exec.Command("go", "env", "GOPROXY")
	goEnv.Env = append(os.Environ(), "GOPROXY=")
	goenv, err := goEnv.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(strings.TrimSpace(string(goenv)), ",direct")
	if got := run("GOPROXY="); got != want {
		t.Errorf("GOPROXY empty: make uses %q, want go env's %q", got, want)
	}
}

// No file of the repository names a module proxy host.
func TestRepoNamesNoProxyHost(t *testing.T) {
	root, _ := filepath.Abs("../..")
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	hosts := []string{"proxy.golang" + ".org", "goproxy" + ".io", "goproxy" + ".cn"}
	for _, f := range strings.Fields(string(out)) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for _, h := range hosts {
			if bytes.Contains(b, []byte(h)) {
				t.Errorf("%s names the module proxy host %s", f, h)
			}
		}
	}
}
