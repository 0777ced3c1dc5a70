package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// screenConfig holds the sanctions store the /v1/screen, /v1/lists and
// /api/v1/address routes read.
type screenConfig struct {
	// Sanctions is the versioned list store; nil means no store, and the
	// routes answer 503.
	Sanctions *sanctions.Store
	// ScreenName screens one name for the "names" of POST /v1/screen; the
	// name-matching code sets it (screen_name.go). Its result is returned
	// as is. Nil: each name in a batch answers an error.
	ScreenName func(ctx context.Context, name string) (any, error)
}

// Batch limits for POST /v1/screen.
const (
	maxBatchItems = 1000
	maxBatchBytes = 1 << 20
)

// registerScreen registers the screening routes.
func (s *Server) registerScreen() {
	s.mux.HandleFunc("GET /v1/screen/address/{address}", s.handleScreenAddress)
	s.mux.HandleFunc("POST /v1/screen", s.handleScreenBatch)
	s.mux.HandleFunc("GET /v1/lists", s.handleLists)
	s.mux.HandleFunc("GET /v1/lists/{name}/diff", s.handleListDiff)
	s.mux.HandleFunc("GET /api/v1/address/{address}", s.handleChainalysis)
	s.mux.HandleFunc("GET /v1/entities/{id}", s.handleEntity)
	s.registerScreenName()
}

// sanctionsReady answers 503 and returns false when no list is loaded: a
// screen against nothing must never read as "not sanctioned".
func (s *Server) sanctionsReady(w http.ResponseWriter) bool {
	if s.cfg.Sanctions == nil {
		writeError(w, http.StatusServiceUnavailable, "no sanctions store in the data directory")
		return false
	}
	if s.cfg.Sanctions.InForceLabel() == "" {
		writeError(w, http.StatusServiceUnavailable, "no sanctions list imported: run `chaintrace lists import` or `chaintrace lists update`")
		return false
	}
	return true
}

// screenError maps a screening error to its HTTP status.
func screenError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, sanctions.ErrMalformedAddress):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, sanctions.ErrNoVersion):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// GET /v1/screen/address/{address}[?list_version=3,7][&details=false]
func (s *Server) handleScreenAddress(w http.ResponseWriter, r *http.Request) {
	if !s.sanctionsReady(w) {
		return
	}
	var ids []int64
	if lv := r.URL.Query().Get("list_version"); lv != "" {
		for _, f := range strings.Split(lv, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("list_version %q: want version ids like 3 or 3,7", lv))
				return
			}
			ids = append(ids, id)
		}
	}
	res, err := s.cfg.Sanctions.ScreenAddressAt(r.Context(), r.PathValue("address"), ids...)
	if err != nil {
		screenError(w, err)
		return
	}
	if noDetails(r) && len(res.Matches) > 0 {
		ms := make([]sanctions.Match, len(res.Matches)) // the index's matches are shared
		for i, m := range res.Matches {
			m.Entity = nil
			ms[i] = m
		}
		res.Matches = ms
	}
	writeJSON(w, http.StatusOK, res)
}

// batchRequest is the body of POST /v1/screen.
type batchRequest struct {
	Addresses []string `json:"addresses"`
	Names     []string `json:"names"`
}

// batchAddress is one address answer of a batch: the screen result, or an
// error for that item only.
type batchAddress struct {
	*sanctions.AddressResult
	Address string `json:"address"`
	Error   string `json:"error,omitempty"`
}

type batchName struct {
	Query string `json:"query"`
	Error string `json:"error"`
}

type batchResponse struct {
	ListVersion string         `json:"list_version"`
	Addresses   []batchAddress `json:"addresses"`
	Names       []any          `json:"names"`
}

// POST /v1/screen {"addresses":[…],"names":[…]}
func (s *Server) handleScreenBatch(w http.ResponseWriter, r *http.Request) {
	if !s.sanctionsReady(w) {
		return
	}
	var req batchRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxBatchBytes)
	if !decodeBody(w, r, &req, `{"addresses": [...], "names": [...]}`) {
		return
	}
	if n := len(req.Addresses) + len(req.Names); n == 0 || n > maxBatchItems {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("batch of %d items: want 1 to %d", n, maxBatchItems))
		return
	}
	defer s.countScreens("address", len(req.Addresses))
	defer s.countScreens("name", len(req.Names))
	resp := batchResponse{ListVersion: s.cfg.Sanctions.InForceLabel(), Addresses: []batchAddress{}, Names: []any{}}
	overBudget := func(done int) bool {
		if r.Context().Err() == nil {
			return false
		}
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("batch over its time budget after %d of %d items: send smaller batches", done, len(req.Addresses)+len(req.Names)))
		return true
	}
	for i, a := range req.Addresses {
		if overBudget(i) {
			return
		}
		res, err := s.cfg.Sanctions.ScreenAddress(r.Context(), a)
		if err != nil {
			resp.Addresses = append(resp.Addresses, batchAddress{Address: a, Error: err.Error()})
			continue
		}
		resp.Addresses = append(resp.Addresses, batchAddress{AddressResult: res, Address: res.Address})
	}
	for i, n := range req.Names {
		if overBudget(len(req.Addresses) + i) {
			return
		}
		if s.cfg.ScreenName == nil {
			resp.Names = append(resp.Names, batchName{Query: n, Error: "name screening is not available"})
			continue
		}
		res, err := s.cfg.ScreenName(r.Context(), n)
		if err != nil {
			resp.Names = append(resp.Names, batchName{Query: n, Error: err.Error()})
			continue
		}
		resp.Names = append(resp.Names, res)
	}
	writeJSON(w, http.StatusOK, resp)
}

// GET /v1/lists
func (s *Server) handleLists(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Sanctions == nil {
		writeError(w, http.StatusServiceUnavailable, "no sanctions store in the data directory")
		return
	}
	vs, err := s.cfg.Sanctions.Versions(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if vs == nil {
		vs = []sanctions.Version{}
	}
	for i := range vs {
		vs[i].Source = publicSource(vs[i].Source)
	}
	writeJSON(w, http.StatusOK, struct {
		InForce  string              `json:"in_force"`
		Versions []sanctions.Version `json:"versions"`
	}{s.cfg.Sanctions.InForceLabel(), vs})
}

// chainalysisIdentification mirrors the public Chainalysis sanctions API.
type chainalysisIdentification struct {
	Category    string `json:"category"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// GET /api/v1/address/{address}: drop-in for Chainalysis's free sanctions
// screening API. One identification per listed entity; empty when clean.
// A watchlist hit carries its own category (scam, case, …), never
// "sanctions".
func (s *Server) handleChainalysis(w http.ResponseWriter, r *http.Request) {
	if !s.sanctionsReady(w) {
		return
	}
	res, err := s.cfg.Sanctions.ScreenAddress(r.Context(), r.PathValue("address"))
	if err != nil {
		screenError(w, err)
		return
	}
	ids := []chainalysisIdentification{}
	seen := map[string]bool{}
	for _, m := range res.Matches {
		if seen[m.List+"|"+m.EntityID] {
			continue
		}
		seen[m.List+"|"+m.EntityID] = true
		ids = append(ids, chainalysisIdentification{
			Category:    m.Category,
			Name:        strings.ToUpper(m.Category) + ": " + listTitle(m.List) + " " + m.Name,
			Description: describeMatch(m),
			URL:         entityURL(m),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"identifications": ids})
}

// publicSource is a version's source as the API shows it: a download URL as
// it is, a local file by its name only (no server paths in answers).
func publicSource(src string) string {
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		return src
	}
	return filepath.Base(src)
}

func listTitle(list string) string {
	switch {
	case list == sanctions.ListOFAC:
		return "OFAC SDN"
	case list == sanctions.ListUN:
		return "UN SC Consolidated List"
	case strings.HasPrefix(list, sanctions.WatchlistPrefix):
		return "Watchlist " + strings.TrimPrefix(list, sanctions.WatchlistPrefix)
	}
	return list
}

// describeMatch says who is listed, under which programs, and the list's
// remarks without the (long) run of listed currency addresses, cut to a
// readable length.
func describeMatch(m sanctions.Match) string {
	d := fmt.Sprintf("%s is listed on the %s list", m.Name, listTitle(m.List))
	if len(m.Programs) > 0 {
		d += " under program " + strings.Join(m.Programs, ", ")
	}
	d += fmt.Sprintf("; this address is listed as %s %s.", m.Ticker, m.Listed)
	var keep []string
	for _, part := range strings.Split(m.Remarks, "; ") {
		if p := strings.TrimPrefix(strings.TrimSpace(part), "alt. "); p != "" && !strings.HasPrefix(p, "Digital Currency Address") {
			keep = append(keep, part)
		}
	}
	if rem := strings.Join(keep, "; "); rem != "" {
		const max = 600
		if len(rem) > max {
			cut := strings.LastIndex(rem[:max], "; ")
			if cut < 0 {
				cut = max
			}
			rem = rem[:cut] + " …"
		}
		d += " " + rem
	}
	return d
}

func entityURL(m sanctions.Match) string {
	switch {
	case m.List == sanctions.ListOFAC:
		return "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=" + strings.TrimPrefix(m.EntityID, "ofac:")
	case m.List == sanctions.ListUN:
		return "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list"
	}
	return ""
}
