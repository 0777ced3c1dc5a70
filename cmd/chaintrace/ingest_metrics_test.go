package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter's or gauge's value.
func value(t *testing.T, c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

type countProgress struct{ begin, advance, end int }

func (c *countProgress) Begin(int, int64)     { c.begin++ }
func (c *countProgress) Advance(int64, int64) { c.advance++ }
func (c *countProgress) End()                 { c.end++ }

// The ingest counters of `ingest --follow --listen` count applied blocks and
// bytes and pass progress on to the progress bar.
func TestIngestMetrics(t *testing.T) {
	next := &countProgress{}
	m := newIngestMetrics(next)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.collectors()...)
	m.Begin(2, 500)
	m.Advance(100, 200)
	m.Advance(101, 300)
	m.End()
	if got := value(t, m.blocks); got != 2 {
		t.Errorf("blocks %v", got)
	}
	if got := value(t, m.bytes); got != 500 {
		t.Errorf("bytes %v", got)
	}
	if got := value(t, m.height); got != 101 {
		t.Errorf("height %v", got)
	}
	if *next != (countProgress{1, 2, 1}) {
		t.Errorf("progress passed on: %+v", *next)
	}
	newIngestMetrics(nil).Advance(1, 1) // no bar: no panic
}
