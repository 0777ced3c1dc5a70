// Package api serves chaintrace over HTTP: JSON endpoints under /v1 (and the
// Chainalysis-compatible sanctions endpoint under /api/v1). Each subsystem's
// routes live in their own file and are registered only when the subsystem's
// state is present in Config.
package api

import (
	"encoding/json"
	"net/http"
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
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
