package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/cases"
)

// casesConfig holds the investigation cases (saved graphs with notes).
type casesConfig struct {
	// Cases is the case store; nil: the case routes answer 503.
	Cases *cases.Store
}

// registerCases registers the case routes (the web UI's saved graphs).
func (s *Server) registerCases() {
	s.mux.HandleFunc("GET /v1/cases", s.cases(func(w http.ResponseWriter, r *http.Request, cs *cases.Store) {
		list, err := cs.List(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, struct {
			Cases []cases.Summary `json:"cases"`
		}{list})
	}))
	s.mux.HandleFunc("POST /v1/cases", s.cases(func(w http.ResponseWriter, r *http.Request, cs *cases.Store) {
		var c cases.Case
		if !decodeBody(w, r, &c, "a case {title, notes, graph, trace}") {
			return
		}
		c.CreatedBy = KeyID(r)
		c.MadeAt = s.madeAt(r.Context())
		if err := cs.Create(r.Context(), &c); err != nil {
			caseError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, &c)
	}))
	s.mux.HandleFunc("GET /v1/cases/{id}", s.oneCase(func(w http.ResponseWriter, r *http.Request, c *cases.Case) {
		writeJSON(w, http.StatusOK, c)
	}))
	s.mux.HandleFunc("PUT /v1/cases/{id}", s.cases(func(w http.ResponseWriter, r *http.Request, cs *cases.Store) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad case id "+strconv.Quote(clip(r.PathValue("id"))))
			return
		}
		var c cases.Case
		if !decodeBody(w, r, &c, "a case {title, notes, graph, trace}") {
			return
		}
		c.MadeAt = s.madeAt(r.Context())
		if err := cs.Update(r.Context(), id, &c); err != nil {
			caseError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, &c)
	}))
	s.mux.HandleFunc("GET /v1/cases/{id}/report.html", s.oneCase(func(w http.ResponseWriter, r *http.Request, c *cases.Case) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = cases.WriteReport(w, c)
	}))
	s.mux.HandleFunc("GET /v1/cases/{id}/export", s.oneCase(func(w http.ResponseWriter, r *http.Request, c *cases.Case) {
		name := "case-" + strconv.FormatInt(c.ID, 10)
		switch f := r.URL.Query().Get("format"); f {
		case "csv", "":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
			_ = cases.WriteCSV(w, c)
		case "graphml":
			w.Header().Set("Content-Type", "application/graphml+xml")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.graphml"`)
			_ = cases.WriteGraphML(w, c)
		default:
			writeError(w, http.StatusBadRequest, "format "+strconv.Quote(clip(f))+": want csv or graphml")
		}
	}))
}

// cases wraps a handler needing the case store (503 without one).
func (s *Server) cases(h func(http.ResponseWriter, *http.Request, *cases.Store)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Cases == nil {
			writeError(w, http.StatusServiceUnavailable, "no case store in the data directory")
			return
		}
		h(w, r, s.cfg.Cases)
	}
}

// oneCase wraps a handler of the case named by {id}.
func (s *Server) oneCase(h func(http.ResponseWriter, *http.Request, *cases.Case)) http.HandlerFunc {
	return s.cases(func(w http.ResponseWriter, r *http.Request, cs *cases.Store) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad case id "+strconv.Quote(clip(r.PathValue("id"))))
			return
		}
		c, err := cs.Get(r.Context(), id)
		if err != nil {
			caseError(w, err)
			return
		}
		h(w, r, c)
	})
}

func caseError(w http.ResponseWriter, err error) {
	if errors.Is(err, cases.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	// Validation errors name the field; store errors are server errors.
	var se interface{ Unwrap() error }
	if errors.As(err, &se) {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// madeAt is the chain tip and the sanctions list versions in force now.
func (s *Server) madeAt(ctx context.Context) cases.MadeAt {
	var m cases.MadeAt
	if ix := s.cfg.Chain; ix != nil {
		if st := ix.Stats(); st.Tip != nil {
			m.TipHeight, m.TipHash = st.Tip.Height, st.Tip.Hash
		}
	}
	if s.cfg.Sanctions != nil {
		if vs, err := s.cfg.Sanctions.Versions(ctx); err == nil {
			for _, v := range vs {
				if v.InForce {
					m.Lists = append(m.Lists, cases.ListVersion{Label: v.Label(), Published: v.Published, SHA256: v.SHA256})
				}
			}
		}
	}
	return m
}
