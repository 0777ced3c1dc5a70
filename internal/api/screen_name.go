package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// maxNameQuery bounds the length of a screened name.
const maxNameQuery = 512

// registerScreenName registers the name-screening routes (GET /v1/screen/name)
// and provides the name screen of POST /v1/screen. Called from registerScreen.
func (s *Server) registerScreenName() {
	s.mux.HandleFunc("GET /v1/screen/name", s.handleScreenName)
	if s.cfg.ScreenName == nil && s.cfg.Sanctions != nil {
		st := s.cfg.Sanctions
		s.cfg.ScreenName = func(ctx context.Context, name string) (any, error) {
			if len(name) > maxNameQuery {
				return nil, fmt.Errorf("name longer than %d bytes", maxNameQuery)
			}
			return st.ScreenName(ctx, name, sanctions.NameOptions{})
		}
	}
}

// GET /v1/screen/name?q=NAME[&type=T][&program=P][&list=L][&country=C][&dob=YYYY[-MM-DD]][&min_score=S][&limit=N]
func (s *Server) handleScreenName(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("q")
	if strings.TrimSpace(name) == "" {
		writeError(w, http.StatusBadRequest, "q: a name to screen is required")
		return
	}
	if len(name) > maxNameQuery {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("q: longer than %d bytes", maxNameQuery))
		return
	}
	opts, err := nameOptions(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.sanctionsReady(w) {
		return
	}
	res, err := s.cfg.Sanctions.ScreenName(r.Context(), name, opts)
	if errors.Is(err, sanctions.ErrEmptyName) {
		writeError(w, http.StatusBadRequest, "q: a name to screen is required")
		return
	}
	if errors.Is(err, sanctions.ErrBadFilter) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if noDetails(r) {
		for i := range res.Matches {
			res.Matches[i].Entity = nil
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// noDetails reports whether the request asks for matches without the listed
// party's details (?details=false): a third of the bytes of a name answer.
func noDetails(r *http.Request) bool {
	v := r.URL.Query().Get("details")
	return v == "false" || v == "0"
}

// nameOptions reads the filters of a name screen from query parameters.
// Repeated or comma-separated values are alternatives.
func nameOptions(q map[string][]string) (sanctions.NameOptions, error) {
	var o sanctions.NameOptions
	multi := func(key string) []string {
		var out []string
		for _, v := range q[key] {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out = append(out, f)
				}
			}
		}
		return out
	}
	one := func(key string) string {
		if v := q[key]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	o.Types = multi("type")
	for _, t := range o.Types {
		switch strings.ToLower(t) {
		case sanctions.TypeIndividual, sanctions.TypeEntity, sanctions.TypeVessel, sanctions.TypeAircraft:
		default:
			return o, fmt.Errorf("type %q: want individual, entity, vessel or aircraft", t)
		}
	}
	o.Programs = multi("program")
	o.Lists = multi("list")
	o.Countries = q["country"] // split in sanctions: "Korea, North" is one country
	if d := one("dob"); d != "" {
		if err := sanctions.CheckDOB(d); err != nil {
			return o, fmt.Errorf("dob: %w", err)
		}
		o.DOB = d
	}
	o.DOBYearTolerance = 1 // as the CLI
	if v := one("dob_tolerance"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 50 {
			return o, fmt.Errorf("dob_tolerance %q: want years from 0 to 50", v)
		}
		o.DOBYearTolerance = n
	}
	if v := one("min_score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return o, fmt.Errorf("min_score %q: want a number in (0,1]", v)
		}
		o.MinScore = f
	}
	if v := one("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return o, fmt.Errorf("limit %q: want 1 to 500", v)
		}
		o.Limit = n
	}
	return o, nil
}
