// Package web serves chaintrace's investigation UI: a single-page app of
// plain ES modules and the vendored Cytoscape.js, embedded in the binary so a
// user needs no Node.js, no build step and no internet. The app talks to the
// JSON API of the same server.
package web

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Assets returns the embedded files (index.html, app/*.js, vendor/…).
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always holds assets/
	}
	return sub
}

// Options configure the UI handler.
type Options struct {
	// Home, when set, is where a request for / is redirected (demo --serve
	// opens on the simulated theft's case).
	Home string
}

// Handler serves the UI: a file of the assets by its path, and index.html for
// any other path without an extension (the app routes in the browser, so a
// reloaded /address/… page works). Paths under /v1/ and /api/ are the API's:
// the handler answers them with a JSON 404 rather than the page.
func Handler(opts Options) http.Handler {
	files := Assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if strings.HasPrefix(p, "v1/") || p == "v1" || strings.HasPrefix(p, "api/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"` + r.Method + ` /` + jsonSafe(p) + `: not found"}` + "\n"))
			return
		}
		if p == "" && opts.Home != "" && r.URL.RawQuery == "" {
			http.Redirect(w, r, opts.Home, http.StatusFound)
			return
		}
		if p == "" {
			p = "index.html"
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			if path.Ext(p) != "" {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			p = "index.html" // the app's own route
			if data, err = fs.ReadFile(files, p); err != nil {
				http.Error(w, "ui missing from this build", http.StatusInternalServerError)
				return
			}
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if e := path.Ext(p); e == ".js" || e == ".mjs" {
			ct = "text/javascript; charset=utf-8" // ES modules need a JavaScript type
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		if p == "index.html" {
			h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:")
		}
		_, _ = w.Write(data)
	})
}

// jsonSafe drops the characters that would break a JSON string.
func jsonSafe(s string) string {
	if len(s) > 120 {
		s = s[:120]
	}
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 {
			return -1
		}
		return r
	}, s)
}
