package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
)

// labelsConfig holds the label store the /v1/labels routes read and write.
type labelsConfig struct {
	// Labels is the label store; nil means none, and the routes answer 503.
	Labels *labels.Store
	// LabelsImportLimit caps a POST /v1/labels/import body (default
	// DefaultLabelsImportLimit).
	LabelsImportLimit int64
}

// DefaultLabelsImportLimit is the default body limit of POST /v1/labels/import.
const DefaultLabelsImportLimit = 64 << 20

// LabelsAnswer is the JSON of GET /v1/labels/{address} and `chaintrace labels show --json`.
type LabelsAnswer struct {
	Address string         `json:"address"`
	Labels  []labels.Label `json:"labels"`
}

// registerLabels registers the label routes and adds "labels" to the
// address answer of /v1/btc/addresses/{address}.
func (s *Server) registerLabels() {
	if s.cfg.Labels != nil && s.cfg.Sanctions != nil {
		s.cfg.Labels.SetSanctions(s.cfg.Sanctions)
	}
	s.mux.HandleFunc("GET /v1/labels/{address}", s.handleLabels)
	s.mux.HandleFunc("GET /v1/labels/search", s.handleLabelSearch)
	s.mux.HandleFunc("POST /v1/labels/import", s.handleLabelsImport)
	if s.cfg.Labels != nil {
		s.addressFields = append(s.addressFields, func(ctx context.Context, v *index.AddressView) (string, any, error) {
			ls, err := s.cfg.Labels.LabelsOf(ctx, v.Address)
			if errors.Is(err, labels.ErrBadAddress) { // a P2PK key or nonstandard script: no labels
				return "labels", []labels.Label{}, nil
			}
			return "labels", ls, err
		})
	}
}

func (s *Server) labelsReady(w http.ResponseWriter) bool {
	if s.cfg.Labels == nil {
		writeError(w, http.StatusServiceUnavailable, "no label store in the data directory")
		return false
	}
	return true
}

// GET /v1/labels/{address}
func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) {
	if !s.labelsReady(w) {
		return
	}
	addr := r.PathValue("address")
	ls, err := s.cfg.Labels.LabelsOf(r.Context(), addr)
	switch {
	case errors.Is(err, labels.ErrBadAddress):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		a := addr
		if len(ls) > 0 {
			a = ls[0].Address
		} else if c, _, err := labels.CanonicalAddress(addr, s.cfg.Labels.Network()); err == nil {
			a = c
		}
		writeJSON(w, http.StatusOK, LabelsAnswer{Address: a, Labels: ls})
	}
}

// GET /v1/labels/search?q=TEXT[&match=prefix|contains][&limit=N][&after=CURSOR]
//
// The addresses whose label (or, on a sanctions list in force, listed name)
// starts with (contains) TEXT, case-insensitively, one page at a time.
func (s *Server) handleLabelSearch(w http.ResponseWriter, r *http.Request) {
	if !s.labelsReady(w) {
		return
	}
	q := r.URL.Query()
	opts := labels.SearchOptions{Match: q.Get("match"), After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > labels.MaxSearchLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to %d", clip(l), labels.MaxSearchLimit))
			return
		}
		opts.Limit = n
	}
	res, err := s.cfg.Labels.Search(r.Context(), q.Get("q"), opts)
	switch {
	case errors.Is(err, labels.ErrSearch):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// POST /v1/labels/import?format=tagpack|csv|stix[&dataset=NAME][&category=…&source=…&confidence=…&label=…]
//
// The body is one file. It is spooled to a temporary file (the readers
// stream it twice) up to the body limit, then imported in one transaction.
func (s *Server) handleLabelsImport(w http.ResponseWriter, r *http.Request) {
	if !s.labelsReady(w) {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		writeError(w, http.StatusBadRequest, "format: want one of "+strings.Join(labels.Formats, ", "))
		return
	}
	dataset := q.Get("dataset")
	if dataset == "" {
		dataset = "http-import"
	}
	limit := s.cfg.LabelsImportLimit
	if limit <= 0 {
		limit = DefaultLabelsImportLimit
	}
	tmp, err := os.CreateTemp("", "chaintrace-labels-*")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, limit))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes: import larger files with `chaintrace labels import`", limit))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	case n == 0:
		writeError(w, http.StatusBadRequest, "empty body: send the file to import")
		return
	}
	sum, err := s.cfg.Labels.Import(r.Context(), []labels.Input{{Name: dataset, Format: format, R: tmp}}, labels.ImportOptions{
		Dataset: dataset,
		Defaults: labels.Defaults{Category: q.Get("category"), Source: q.Get("source"),
			Confidence: q.Get("confidence"), Label: q.Get("label")},
	})
	switch {
	case errors.Is(err, labels.ErrInput) || errors.Is(err, labels.ErrFormat) || errors.Is(err, labels.ErrOptions):
		writeError(w, http.StatusBadRequest, "refused, nothing changed: "+err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, sum)
	}
}

// addressField adds one named field to the answer of GET
// /v1/btc/addresses/{address} ("labels"; clustering adds "cluster_id").
type addressField func(ctx context.Context, v *index.AddressView) (name string, value any, err error)

// decorateAddress returns v's JSON with the registered address fields
// appended (v itself when there are none).
func (s *Server) decorateAddress(ctx context.Context, v *index.AddressView) (any, error) {
	if len(s.addressFields) == 0 {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // the closing brace
	for _, f := range s.addressFields {
		name, val, err := f(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("address %s: %s: %w", v.Address, name, err)
		}
		vb, err := json.Marshal(val)
		if err != nil {
			return nil, err
		}
		nb, _ := json.Marshal(name)
		b = append(append(append(append(b, ','), nb...), ':'), vb...)
	}
	return json.RawMessage(append(b, '}')), nil
}
