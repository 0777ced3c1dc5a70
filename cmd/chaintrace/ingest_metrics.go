package main

import (
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/prometheus/client_golang/prometheus"
)

// serveCollectors are extra Prometheus collectors runServe adds to /metrics
// (the ingest's counters under `ingest --follow --listen`).
var serveCollectors []prometheus.Collector

// ingestMetrics counts applied blocks for /metrics, passing progress on.
type ingestMetrics struct {
	next   ingest.Progress
	blocks prometheus.Counter
	bytes  prometheus.Counter
	height prometheus.Gauge
}

func newIngestMetrics(next ingest.Progress) *ingestMetrics {
	return &ingestMetrics{
		next:   next,
		blocks: prometheus.NewCounter(prometheus.CounterOpts{Name: "chaintrace_ingest_blocks_total", Help: "Blocks applied by this process's ingest."}),
		bytes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "chaintrace_ingest_bytes_total", Help: "Block bytes applied by this process's ingest."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chaintrace_ingest_last_height", Help: "Height of the last block this process applied."}),
	}
}

func (m *ingestMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.blocks, m.bytes, m.height}
}

func (m *ingestMetrics) Begin(blocks int, bytes int64) {
	if m.next != nil {
		m.next.Begin(blocks, bytes)
	}
}

func (m *ingestMetrics) Advance(height int64, bytes int64) {
	m.blocks.Inc()
	m.bytes.Add(float64(bytes))
	m.height.Set(float64(height))
	if m.next != nil {
		m.next.Advance(height, bytes)
	}
}

func (m *ingestMetrics) End() {
	if m.next != nil {
		m.next.End()
	}
}
