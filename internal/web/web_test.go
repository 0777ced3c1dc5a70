package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func fetch(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The app, its styles and the vendored Cytoscape.js (with its licence) are embedded.
func TestAssetsEmbedded(t *testing.T) {
	for _, p := range []string{"index.html", "app/app.js", "app/graph.js", "app/api.js", "app/style.css", "vendor/cytoscape.esm.min.mjs", "vendor/cytoscape.LICENSE"} {
		b, err := fs.ReadFile(Assets(), p)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", p, err, len(b))
		}
	}
	lic, _ := fs.ReadFile(Assets(), "vendor/cytoscape.LICENSE")
	if !strings.Contains(string(lic), "Permission is hereby granted") {
		t.Error("vendor/cytoscape.LICENSE is not the MIT licence text")
	}
}

// Index at /, files with their content types, the app's routes fall back to
// the index, a missing file is a 404, and API paths are never the page.
func TestHandler(t *testing.T) {
	h := Handler(Options{})
	resp, body := fetch(t, h, "/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `src="/app/app.js"`) {
		t.Fatalf("/: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	index := body
	for path, ct := range map[string]string{
		"/app/app.js":                   "text/javascript",
		"/vendor/cytoscape.esm.min.mjs": "text/javascript",
		"/app/style.css":                "text/css",
		"/vendor/cytoscape.LICENSE":     "",
	} {
		resp, body := fetch(t, h, path)
		if resp.StatusCode != 200 || len(body) == 0 || (ct != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), ct)) {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	for _, p := range []string{"/address/bcrt1qxyz", "/tx/" + strings.Repeat("ab", 32), "/cases/3", "/graph"} {
		resp, body := fetch(t, h, p)
		if resp.StatusCode != 200 || body != index {
			t.Errorf("%s: %d, not the index (SPA fallback)", p, resp.StatusCode)
		}
	}
	if resp, _ := fetch(t, h, "/app/missing.js"); resp.StatusCode != 404 {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
	for _, p := range []string{"/v1/nope", "/api/v1/x"} {
		resp, body := fetch(t, h, p)
		if resp.StatusCode != 404 || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, _ := fetch(t, h, "/../../etc/passwd"); resp.StatusCode != 200 {
		t.Errorf("path cleaning: %d", resp.StatusCode) // cleaned to /etc/passwd: an app route, the index
	}
	// demo --serve: / goes to the demo case
	resp, _ = fetch(t, Handler(Options{Home: "/cases/1"}), "/")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/cases/1" {
		t.Errorf("home redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Nothing is loaded from elsewhere: no script, style, import or fetch names
// an http(s) URL or a protocol-relative one (licence comments may cite URLs).
func TestNoRemoteResources(t *testing.T) {
	load := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|import[^;\n]{0,200}?from\s*["'](https?:)?//|import\(\s*["'](https?:)?//|url\(\s*["']?(https?:)?//|fetch\(\s*["'](https?:)?//|cdn\.|unpkg|jsdelivr`)
	n := 0
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Assets(), p)
		n++
		if m := load.Find(b); m != nil {
			t.Errorf("%s loads a remote resource: %q", p, m)
		}
		return nil
	})
	if err != nil || n < 6 {
		t.Fatalf("walked %d files: %v", n, err)
	}
	// the check is not vacuous
	if load.FindString(`<script src="https://cdn.example/x.js">`) == "" || load.FindString(`import x from "https://esm.sh/y"`) == "" {
		t.Error("the remote-resource pattern misses a CDN script")
	}
}
