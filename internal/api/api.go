// Package api serves chaintrace over HTTP: JSON endpoints under /v1 (and the
// Chainalysis-compatible sanctions endpoint under /api/v1). Each subsystem's
// routes live in their own file and are registered only when the subsystem's
// state is present in Config.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Config holds the opened subsystems the server exposes. A nil field means
// that subsystem is absent from the data directory; its routes answer 503.
type Config struct {
	// Subsystem fields are added by each subsystem's file in this package.
	btcConfig
	screenConfig
	kytConfig
	clusterConfig
	traceConfig
	opsConfig
	labelsConfig
	casesConfig
	uiConfig
}

// Server is the HTTP handler for the whole API.
type Server struct {
	cfg       Config
	mux       *routeMux
	metrics   *metrics
	limits    limiters
	longSlots chan struct{}
	// addressFields add fields to the address answer (labels.go).
	addressFields []addressField
	// diffs are the last list diffs (lists_diff.go).
	diffs diffCache
}

// New builds the API handler over cfg.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: newRouteMux()}
	slots := cfg.BatchSlots
	if slots <= 0 {
		slots = DefaultBatchSlots
	}
	s.longSlots = make(chan struct{}, slots)
	s.metrics = newMetrics(s)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.registerOps()
	s.registerBTC()
	s.registerScreen()
	s.registerKYT()
	s.registerCluster()
	s.registerTrace()
	s.registerClassify()
	s.registerLabels()
	s.registerCases()
	return s
}

// ServeHTTP answers r: it finds the route, checks the key, its scope and rate
// and the body size (guard), bounds the work by the route's deadline, and
// records metrics and the access log. A path no route matches (404) or a
// method a route does not accept (405, with Allow) gets a JSON error body like
// every other error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	route, keyID := "unmatched", ""
	if pattern == "" {
		rec := &statusRecorder{header: http.Header{}, status: http.StatusNotFound}
		h.ServeHTTP(rec, r)
		if s.servesUI(r, rec.status) {
			route = "ui"
			s.cfg.UI.ServeHTTP(sw, r)
		} else {
			if allow := rec.header.Get("Allow"); allow != "" {
				sw.Header().Set("Allow", allow)
			}
			writeError(sw, rec.status, fmt.Sprintf("%s %s: %s", r.Method, clip(r.URL.Path), strings.ToLower(http.StatusText(rec.status))))
		}
	} else {
		route = pattern
		rt := routeOf(pattern)
		var ok bool
		if keyID, ok = s.guard(sw, r, rt); ok {
			ctx, cancel := context.WithTimeout(r.Context(), s.deadline(rt))
			if keyID != "" {
				ctx = context.WithValue(ctx, keyIDKey{}, keyID)
			}
			s.serveRoute(sw, r.WithContext(ctx), rt)
			cancel()
			if rt.Screens != "" && sw.status == http.StatusOK {
				s.countScreens(rt.Screens, 1)
			}
		}
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	took := time.Since(start)
	s.metrics.observe(r.Method, route, sw.status, took)
	s.logAccess(r, route, keyID, sw, took)
}

// keyIDKey is the request context key of the API key id that authenticated
// the request (absent for an anonymous one).
type keyIDKey struct{}

// KeyID returns the id of the API key that authenticated r, or "".
func KeyID(r *http.Request) string {
	id, _ := r.Context().Value(keyIDKey{}).(string)
	return id
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

// writeError writes {"error": msg} with the given status. Server errors lose
// local file paths, and no message is longer than maxErrorBytes.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: publicMessage(status, msg)})
}
