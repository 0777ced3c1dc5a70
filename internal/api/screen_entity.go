package api

import (
	"errors"
	"net/http"

	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// GET /v1/entities/{id}: one listed party of the lists in force, with its
// list version (404 when no list in force holds it).
func (s *Server) handleEntity(w http.ResponseWriter, r *http.Request) {
	if !s.sanctionsReady(w) {
		return
	}
	e, v, err := s.cfg.Sanctions.EntityByID(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, sanctions.ErrNoEntity):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ListVersion string `json:"list_version"`
		*sanctions.Entity
	}{v.Label(), e})
}
