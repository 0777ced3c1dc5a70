// Package api serves chaintrace over HTTP: JSON endpoints under /v1 (and the
// Chainalysis-compatible sanctions endpoint under /api/v1). Each subsystem's
// routes live in their own file and are registered only when the subsystem's
// state is present in Config.
package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Config holds the opened subsystems the server exposes. A nil field means
// that subsystem is absent from the data directory; its routes answer 503.
type Config struct {
	// Subsystem fields are added by each subsystem's file in this package.
	btcConfig
	screenConfig
}

// Server is the HTTP handler for the whole API.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New builds the API handler over cfg.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.registerBTC()
	s.registerScreen()
	s.registerClassify()
	return s
}

// ServeHTTP answers r. A path no route matches (404) or a method a route does not
// accept (405, with Allow) gets a JSON error body like every other error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.mux.Handler(r); pattern == "" {
		rec := &statusRecorder{header: http.Header{}, status: http.StatusNotFound}
		h.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeError(w, rec.status, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, strings.ToLower(http.StatusText(rec.status))))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// statusRecorder keeps the status and headers of the mux's own 404/405 answer.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON writes v as compact JSON with the given status. (Indenting costs
// more than a typical screen itself; pipe through jq to read it.)
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
