package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chaintrace/chaintrace/internal/index"
)

// metrics are the server's Prometheus series (docs/server.md lists them).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // by method, route, code
	latency  *prometheus.HistogramVec // by route
	screens  *prometheus.CounterVec   // by kind (address, name)
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chaintrace_http_requests_total", Help: "HTTP requests by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "chaintrace_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route"})
	m.screens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chaintrace_screens_total", Help: "Addresses and names screened (batch items included).",
	}, []string{"kind"})
	for _, k := range []string{"address", "name"} {
		m.screens.WithLabelValues(k)
	}
	m.reg.MustRegister(m.requests, m.latency, m.screens, &stateCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range s.cfg.Collectors {
		m.reg.MustRegister(c)
	}
	return m
}

// countScreens adds n screens of a kind ("address" or "name").
func (s *Server) countScreens(kind string, n int) {
	if n > 0 {
		s.metrics.screens.WithLabelValues(kind).Add(float64(n))
	}
}

// observe records one answered request.
func (m *metrics) observe(method, route string, status int, took time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// stateCollector reports the index and lists at scrape time.
type stateCollector struct{ s *Server }

var (
	descIndexHeight = prometheus.NewDesc("chaintrace_index_height", "Height of the chain index tip (absent without an index).", nil, nil)
	descIndexBlocks = prometheus.NewDesc("chaintrace_index_blocks", "Blocks in the chain index (ingested).", nil, nil)
	descIndexTxs    = prometheus.NewDesc("chaintrace_index_transactions", "Transactions in the chain index (ingested).", nil, nil)
	descListVersion = prometheus.NewDesc("chaintrace_list_version", "Version id in force of each sanctions list.", []string{"list"}, nil)
	descListEnts    = prometheus.NewDesc("chaintrace_list_entities", "Entities in the version in force of each list.", []string{"list"}, nil)
	descListAddrs   = prometheus.NewDesc("chaintrace_list_addresses", "Crypto addresses in the version in force of each list.", []string{"list"}, nil)
	descReady       = prometheus.NewDesc("chaintrace_ready", "1 when /readyz answers 200.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIndexHeight, descIndexBlocks, descIndexTxs, descListVersion, descListEnts, descListAddrs, descReady} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	if ix, _ := c.s.chainIndex(); ix != nil {
		st := ix.Stats()
		ch <- prometheus.MustNewConstMetric(descIndexBlocks, prometheus.GaugeValue, float64(st.Blocks))
		ch <- prometheus.MustNewConstMetric(descIndexTxs, prometheus.GaugeValue, float64(st.Txs))
		if st.Tip != nil {
			ch <- prometheus.MustNewConstMetric(descIndexHeight, prometheus.GaugeValue, float64(st.Tip.Height))
		}
	}
	if st := c.s.cfg.Sanctions; st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if vs, err := st.InForce(ctx); err == nil {
			for _, v := range vs {
				ch <- prometheus.MustNewConstMetric(descListVersion, prometheus.GaugeValue, float64(v.ID), v.List)
				ch <- prometheus.MustNewConstMetric(descListEnts, prometheus.GaugeValue, float64(v.Entities), v.List)
				ch <- prometheus.MustNewConstMetric(descListAddrs, prometheus.GaugeValue, float64(v.Addresses), v.List)
			}
		}
	}
	ready := 0.0
	if ok, _ := c.s.readiness(); ok {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, ready)
}

// chainIndex returns the open chain index, or nil with why not.
func (s *Server) chainIndex() (*index.Index, error) {
	if s.cfg.Chain != nil {
		return s.cfg.Chain, nil
	}
	if s.cfg.PendingChain != nil {
		return s.cfg.PendingChain()
	}
	return nil, nil
}

// readiness checks the index and the lists: ready when the lists are loaded
// and the chain index is open (or the data folder has none: a screening-only
// node). Each check says its state.
func (s *Server) readiness() (bool, map[string]string) {
	checks := map[string]string{}
	ok := true
	switch ix, err := s.chainIndex(); {
	case ix != nil:
		checks["index"] = "open"
	case err != nil:
		checks["index"] = "unavailable: " + publicMessage(http.StatusServiceUnavailable, err.Error())
		ok = false
	default:
		checks["index"] = "absent"
	}
	switch st := s.cfg.Sanctions; {
	case st == nil:
		checks["lists"] = "no store"
		ok = false
	case st.InForceLabel() == "":
		checks["lists"] = "none imported"
		ok = false
	default:
		checks["lists"] = "loaded " + st.InForceLabel()
	}
	return ok, checks
}

// registerOps registers /readyz, /metrics and /openapi.json.
func (s *Server) registerOps() {
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ok, checks := s.readiness()
		status, code := "ready", http.StatusOK
		if !ok {
			status, code = "not ready", http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"status": status, "checks": checks})
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	})
}
