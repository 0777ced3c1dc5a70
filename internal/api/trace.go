package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// traceConfig holds what the trace and exposure routes need besides the
// chain index.
type traceConfig struct {
	// TraceAttributor attributes addresses for traces (nil: the label store's
	// snapshot, or none without one).
	TraceAttributor trace.Attributor
	// TraceClusters, when set, lets traces start from clusters.
	TraceClusters trace.Clusters
}

// HTTP traces get a shorter deadline than the CLI's.
const httpTraceTimeout = 20 * time.Second

// registerTrace registers GET /v1/btc/trace and GET /v1/btc/exposure/{address}.
func (s *Server) registerTrace() {
	s.mux.HandleFunc("GET /v1/btc/trace", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		req, err := parseTraceQuery(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		tr, err := s.tracer(r, ix)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		res, err := tr.Trace(r.Context(), req)
		traceAnswer(w, res, err)
	}))
	s.mux.HandleFunc("GET /v1/btc/exposure/{address}", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		q := r.URL.Query()
		req := trace.ExposureRequest{Subject: r.PathValue("address"), Direction: q.Get("direction")}
		var err error
		if req.Limits.Hops, err = intParam(q.Get("hops")); err != nil {
			writeError(w, http.StatusBadRequest, "hops: "+err.Error())
			return
		}
		req.Limits.Timeout = httpTraceTimeout
		tr, err := s.tracer(r, ix)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		ex, err := tr.Exposure(r.Context(), req)
		traceAnswer(w, ex, err)
	}))
}

// tracer returns a tracer over ix attributing with TraceAttributor, else
// with a snapshot of the label store.
func (s *Server) tracer(r *http.Request, ix *index.Index) (*trace.Tracer, error) {
	attr := s.cfg.TraceAttributor
	if attr == nil && s.cfg.Labels != nil {
		sn, err := s.cfg.Labels.Snapshot(r.Context())
		if err != nil {
			return nil, err
		}
		attr = trace.FromLabels(sn)
	}
	tr := trace.New(ix, attr, nil)
	if s.cfg.TraceClusters != nil {
		tr.WithClusters(s.cfg.TraceClusters)
	}
	return tr, nil
}

// traceAnswer writes v, or 400 for bad input, 404 for an unknown subject.
func traceAnswer(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, trace.ErrBadInput) || errors.Is(err, index.ErrBadAddress):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, trace.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// parseTraceQuery reads ?from=&model=&hops=&direction=&min_sat=
// &through_coinjoins=&through_mixers=&follow_peels=.
func parseTraceQuery(r *http.Request) (trace.Request, error) {
	q := r.URL.Query()
	req := trace.Request{From: q.Get("from"), Direction: trace.Direction(q.Get("direction"))}
	if req.From == "" {
		return req, errors.New("from: missing (a txid, txid:vout or address)")
	}
	if m := q.Get("model"); m != "" {
		model, err := trace.ParseModel(m)
		if err != nil {
			return req, err
		}
		req.Model = model
	}
	var err error
	if req.Limits.Hops, err = intParam(q.Get("hops")); err != nil {
		return req, errors.New("hops: " + err.Error())
	}
	if v := q.Get("min_sat"); v != "" {
		if req.Limits.MinSat, err = strconv.ParseInt(v, 10, 64); err != nil {
			return req, errors.New("min_sat: want a number of satoshis")
		}
	}
	for name, p := range map[string]*bool{"through_coinjoins": &req.ThroughCoinJoins, "through_mixers": &req.ThroughMixers, "follow_peels": &req.FollowPeels} {
		if v := q.Get(name); v != "" {
			if *p, err = strconv.ParseBool(v); err != nil {
				return req, errors.New(name + ": want true or false")
			}
		}
	}
	req.Limits.Timeout = httpTraceTimeout
	return req, nil
}

// intParam parses an optional non-negative integer (0 when absent).
func intParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("want a non-negative integer")
	}
	return n, nil
}
