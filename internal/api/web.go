package api

import "net/http"

// uiConfig holds the web UI (internal/web) served at / when set.
type uiConfig struct {
	// UI, when set, answers the GET requests no API route matches: the
	// investigation UI's pages and assets. It is public (the page holds no
	// data; the API calls it makes carry the user's key) and is not a route
	// of the API (not in routeTable or openapi.json).
	UI http.Handler
}

// servesUI reports whether r, which no API route matches, is the UI's.
func (s *Server) servesUI(r *http.Request, status int) bool {
	return s.cfg.UI != nil && status == http.StatusNotFound && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}
