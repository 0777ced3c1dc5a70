package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// kytConfig holds the KYT monitor the /v1/kyt routes use.
type kytConfig struct {
	// KYT is the transfer monitor; nil answers 503.
	KYT *monitor.Service
}

// kytBodyLimit bounds request bodies of the KYT routes (a rules file is the largest).
const kytBodyLimit = 1 << 20

// ActorHeader names the person acting on an alert (recorded in the audit log
// beside the API key that authenticated the request).
const ActorHeader = "X-Chaintrace-Actor"

// registerKYT registers the KYT routes (Chainalysis KYT v2 shapes).
func (s *Server) registerKYT() {
	s.mux.HandleFunc("POST /v1/kyt/users/{userId}/transfers", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		var req monitor.RegisterRequest
		if !readJSON(w, r, &req) {
			return
		}
		t, created, err := m.Register(r.Context(), r.PathValue("userId"), req)
		if err != nil {
			kytError(w, err)
			return
		}
		status := http.StatusOK // an earlier registration of the same transfer
		if created {
			status = http.StatusAccepted
		}
		writeJSON(w, status, map[string]string{"externalId": t.ExternalID, "status": t.Status})
	}))
	s.mux.HandleFunc("GET /v1/kyt/transfers/{externalId}", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		t, err := m.Transfer(r.Context(), r.PathValue("externalId"))
		kytAnswer(w, t, err)
	}))
	s.mux.HandleFunc("GET /v1/kyt/transfers/{externalId}/alerts", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		as, err := m.TransferAlerts(r.Context(), r.PathValue("externalId"))
		kytAnswer(w, as, err)
	}))
	s.mux.HandleFunc("GET /v1/kyt/transfers/{externalId}/exposures", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		e, err := m.TransferExposures(r.Context(), r.PathValue("externalId"))
		kytAnswer(w, e, err)
	}))
	s.mux.HandleFunc("POST /v1/kyt/users/{userId}/withdrawal-attempts", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		var req monitor.WithdrawalRequest
		if !readJSON(w, r, &req) {
			return
		}
		res, err := m.WithdrawalAttempt(r.Context(), r.PathValue("userId"), req)
		kytAnswer(w, res, err)
	}))
	s.mux.HandleFunc("GET /v1/kyt/alerts", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		f, err := alertFilter(r)
		if err != nil {
			kytError(w, err)
			return
		}
		p, err := m.Alerts(r.Context(), f)
		kytAnswer(w, p, err)
	}))
	s.mux.HandleFunc("GET /v1/kyt/alerts/{alertId}", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		a, err := m.Alert(r.Context(), r.PathValue("alertId"))
		if err != nil {
			kytError(w, err)
			return
		}
		log, err := m.Audit(r.Context(), "alert:"+a.AlertID)
		kytAnswer(w, struct {
			*monitor.Alert
			Audit []monitor.AuditEntry `json:"audit"`
		}{a, log}, err)
	}))
	s.mux.HandleFunc("PATCH /v1/kyt/alerts/{alertId}", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		var u monitor.AlertUpdate
		if !readJSON(w, r, &u) {
			return
		}
		a, err := m.UpdateAlert(r.Context(), r.PathValue("alertId"), u, actorOf(r))
		kytAnswer(w, a, err)
	}))
	s.mux.HandleFunc("GET /v1/kyt/rules", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		writeJSON(w, http.StatusOK, m.Rules())
	}))
	s.mux.HandleFunc("PUT /v1/kyt/rules", s.kyt(func(w http.ResponseWriter, r *http.Request, m *monitor.Service) {
		text, err := io.ReadAll(http.MaxBytesReader(w, r.Body, kytBodyLimit))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("rules: %v (at most %d bytes)", err, kytBodyLimit))
			return
		}
		v, created, err := m.SetRules(r.Context(), "request body", text, actorOf(r))
		if err != nil {
			kytError(w, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, v)
	}))
}

// kyt wraps a handler that needs the monitor, answering 503 without one.
func (s *Server) kyt(h func(http.ResponseWriter, *http.Request, *monitor.Service)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.KYT == nil {
			writeError(w, http.StatusServiceUnavailable, "KYT monitoring is not enabled on this server")
			return
		}
		h(w, r, s.cfg.KYT)
	}
}

// actorOf names who makes a change, for the audit log: the person the
// client names in ActorHeader and the API key it authenticated with
// ("maria (key 0a1b…)"), either alone, or "anonymous".
func actorOf(r *http.Request) string {
	a := strings.TrimSpace(r.Header.Get(ActorHeader))
	if len(a) > 200 {
		a = a[:200]
	}
	switch k := KeyID(r); {
	case a != "" && k != "":
		return a + " (key " + k + ")"
	case k != "":
		return "key " + k
	case a != "":
		return a
	}
	return "anonymous"
}

// readJSON decodes a JSON body (at most kytBodyLimit bytes), answering 400 or 413 itself.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, kytBodyLimit))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", kytBodyLimit))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// kytError answers 400 for bad input, 404 for what is not there, else 500.
func kytError(w http.ResponseWriter, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, monitor.ErrBadInput):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(msg, monitor.ErrBadInput.Error()+": "))
	case errors.Is(err, monitor.ErrNotFound):
		writeError(w, http.StatusNotFound, strings.TrimPrefix(msg, monitor.ErrNotFound.Error()+": ")+" not found")
	default:
		writeError(w, http.StatusInternalServerError, msg)
	}
}

func kytAnswer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		kytError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// alertFilter reads ?level=&status=&createdAt_gte=&createdAt_lte=&limit=&offset=.
func alertFilter(r *http.Request) (monitor.AlertFilter, error) {
	q := r.URL.Query()
	var f monitor.AlertFilter
	var err error
	if v := q.Get("level"); v != "" {
		if f.Level, err = monitor.ParseLevel(v); err != nil {
			return f, err
		}
	}
	if v := q.Get("status"); v != "" {
		if err := monitor.CheckAlertStatus(v); err != nil {
			return f, err
		}
		f.Status = v
	}
	if v := q.Get("createdAt_gte"); v != "" {
		if f.CreatedAtGTE, err = monitor.ParseTimeBound("createdAt_gte", v); err != nil {
			return f, err
		}
	}
	if v := q.Get("createdAt_lte"); v != "" {
		if f.CreatedAtLTE, err = monitor.ParseTimeBound("createdAt_lte", v); err != nil {
			return f, err
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return f, fmt.Errorf("%w: limit %q: want an integer from 1 to %d", monitor.ErrBadInput, v, MaxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("%w: offset %q: want a non-negative integer", monitor.ErrBadInput, v)
		}
		f.Offset = n
	}
	return f, nil
}
