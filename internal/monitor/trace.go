package monitor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// Labels is where attributions come from (the label store, a simulated
// chain's investigator labels): one address at a time for traces, with a
// version stamp that changes when the labels do, and the addresses whose
// coins are illicit (stolen, ransomware, …) for forward taint.
type Labels interface {
	// Current returns the attribution now and its version.
	Current(ctx context.Context) (trace.Attributor, string, error)
	// Illicit returns the attributed addresses whose coins are tainted.
	Illicit(ctx context.Context) ([]Source, error)
}

// Source is an address whose coins are illicit: the trace's starting point.
type Source struct {
	Address  string
	Category string
	Entity   string
}

// IllicitCategories are the categories whose coins are traced forward to
// the deposits they reach (the taint a received transfer can carry).
var IllicitCategories = []string{"stolen", "ransomware", "perpetrator", "scam", "darknet"}

// attributorAdapter makes a per-address trace.Attributor a batch Attributor.
type attributorAdapter struct {
	attr   trace.Attributor
	source string
}

func (a attributorAdapter) Attribute(ctx context.Context, addrs []string) (map[string][]Attribution, error) {
	out := map[string][]Attribution{}
	for _, addr := range addrs {
		if at, ok := a.attr.Attribute(addr); ok && IsCategory(at.Category) {
			out[addr] = []Attribution{{Category: at.Category, Entity: at.Entity, Source: a.source}}
		}
	}
	return out, nil
}

// LabelExposer is the direct exposure to the labelled counterparties.
type LabelExposer struct{ L Labels }

// Name implements Versioned.
func (e LabelExposer) Name() string { return "labels" }

// Version implements Versioned.
func (e LabelExposer) Version(ctx context.Context) string {
	_, v, err := e.L.Current(ctx)
	if err != nil {
		return VersionUnavailable
	}
	return v
}

// Exposure implements Exposer.
func (e LabelExposer) Exposure(ctx context.Context, s *Subject) ([]Line, error) {
	attr, v, err := e.L.Current(ctx)
	if err != nil {
		return nil, err
	}
	return DirectExposer{attributorAdapter{attr, "labels@" + v}}.Exposure(ctx, s)
}

// TraceExposer is the indirect exposure to attributed services: a haircut
// trace backward from a received transfer's output (where its coins came
// from) or forward from a sent transfer's output (where the destination took
// them), stopping at services, within Hops; for a withdrawal attempt, the
// destination address's exposure in both directions.
type TraceExposer struct {
	L     Labels
	Chain ChainSource
	Hops  int // default trace.DefaultExposureHops
}

func tracerOf(cs ChainSource, attr trace.Attributor) (*trace.Tracer, error) {
	if cs == nil {
		return nil, errors.New("no chain index")
	}
	c, err := cs()
	if err != nil {
		return nil, err
	}
	ix, ok := c.(*index.Index)
	if !ok {
		return nil, fmt.Errorf("tracing needs the chain index itself, not %T", c)
	}
	return trace.New(ix, attr, nil), nil
}

// lineOf turns a trace endpoint into an exposure line (false for endpoints
// that are not attributed entities: unspent coins, payees, new coins).
func lineOf(e trace.Endpoint, source string) (Line, bool) {
	if !IsCategory(e.Category) || e.Hops < 1 {
		return Line{}, false
	}
	typ := Indirect
	if e.Hops <= 1 {
		typ = Direct
	}
	return Line{Category: e.Category, Entity: e.Entity, ExposureType: typ, Amount: e.Amount, Share: e.Share,
		Hops: e.Hops, Path: e.Path, Address: e.Address, Source: source, Confidence: e.Confidence}, true
}

// Exposure implements Exposer.
func (e TraceExposer) Exposure(ctx context.Context, s *Subject) ([]Line, error) {
	attr, v, err := e.L.Current(ctx)
	if err != nil {
		return nil, err
	}
	tr, err := tracerOf(e.Chain, attr)
	if err != nil {
		return nil, err
	}
	hops := e.Hops
	if hops <= 0 {
		hops = trace.DefaultExposureHops
	}
	src := "trace haircut@labels " + v
	var out []Line
	if s.Tx == nil { // a withdrawal attempt: the address's exposure
		ex, err := tr.Exposure(ctx, trace.ExposureRequest{Subject: s.Address, Direction: trace.Both, Limits: trace.Limits{Hops: hops}})
		if errors.Is(err, trace.ErrNotFound) {
			return nil, nil // an address the chain has never seen
		}
		if err != nil {
			return nil, err
		}
		for _, l := range append(append([]trace.ExposureLine(nil), ex.Direct...), ex.Indirect...) {
			if ln, ok := lineOf(trace.Endpoint{Category: l.Category, Entity: l.Entity, Amount: mulShare(s.Amount, l.Share),
				Share: l.Share, Hops: l.Hops, Path: l.Path, Confidence: 1}, src+" "+l.Direction); ok {
				out = append(out, ln)
			}
		}
		return out, nil
	}
	dir := trace.Backward
	if s.Direction == Sent {
		dir = trace.Forward
	}
	for _, o := range s.Outputs {
		res, err := tr.Trace(ctx, trace.Request{From: s.Txid + ":" + strconv.Itoa(int(o)), Direction: dir, Model: trace.Haircut,
			Limits: trace.Limits{Hops: hops}, FollowPeels: true})
		if err != nil {
			return nil, err
		}
		for _, ep := range res.Endpoints {
			if ln, ok := lineOf(ep, src); ok {
				out = append(out, ln)
			}
		}
	}
	return sumLines(out), nil
}

// mulShare is amount × share, in satoshis.
func mulShare(amount int64, share float64) int64 { return int64(float64(amount)*share + 0.5) }

// sumLines adds up lines of the same category, entity, type and certainty
// (a trace reaches an entity by several paths), keeping the fewest hops, the
// shortest path and the highest confidence.
func sumLines(ls []Line) []Line {
	type key struct {
		cat, ent string
		typ      ExposureType
		sure     bool
	}
	idx := map[key]int{}
	var out []Line
	for _, l := range ls {
		k := key{l.Category, l.Entity, l.ExposureType, l.Confidence >= certain}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, l)
			continue
		}
		out[i].Amount += l.Amount
		out[i].Share += l.Share
		out[i].Confidence = max(out[i].Confidence, l.Confidence)
		if l.Hops < out[i].Hops || (l.Hops == out[i].Hops && len(l.Path) < len(out[i].Path)) {
			out[i].Hops, out[i].Path, out[i].Address = l.Hops, l.Path, l.Address
		}
	}
	return out
}

// TaintExposer carries the taint of illicit coins: traces forward from every
// illicit source (stolen, ransomware, …) under Model with pass-through of
// CoinJoins and custodial mixers, and gives a received transfer the taint
// that reached its output. The traces are redone when the labels or the
// chain tip change. (A label change re-screens the transfers through the
// LabelExposer's version; new blocks through the serving monitor's
// RescreenOnBlocks.)
type TaintExposer struct {
	L     Labels
	Chain ChainSource
	Model trace.Model // default haircut
	Hops  int         // default 50

	mu    sync.Mutex
	stamp string
	byOut map[string][]Line // "txid:vout" → taint lines
}

// Warm implements Warmer: the taint traces run now.
func (e *TaintExposer) Warm(ctx context.Context) error {
	_, err := e.taint(ctx)
	return err
}

// Exposure implements Exposer.
func (e *TaintExposer) Exposure(ctx context.Context, s *Subject) ([]Line, error) {
	if s.Tx == nil || s.Direction != Received {
		return nil, nil
	}
	byOut, err := e.taint(ctx)
	if err != nil {
		return nil, err
	}
	var out []Line
	for _, o := range s.Outputs {
		out = append(out, byOut[s.Txid+":"+strconv.Itoa(int(o))]...)
	}
	out = sumLines(out)
	for i := range out {
		if s.Amount > 0 {
			out[i].Share = float64(out[i].Amount) / float64(s.Amount)
		}
	}
	return out, nil
}

// taint returns the outputs the illicit coins reached, tracing again when
// the labels or the tip changed.
func (e *TaintExposer) taint(ctx context.Context) (map[string][]Line, error) {
	attr, v, err := e.L.Current(ctx)
	if err != nil {
		return nil, err
	}
	c, err := e.Chain()
	if err != nil {
		return nil, err
	}
	tip, _ := c.Tip()
	stamp := v + "@" + strconv.FormatInt(tip.Height, 10)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byOut != nil && e.stamp == stamp {
		return e.byOut, nil
	}
	tr, err := tracerOf(e.Chain, attr)
	if err != nil {
		return nil, err
	}
	srcs, err := e.L.Illicit(ctx)
	if err != nil {
		return nil, err
	}
	model := e.Model
	if model == "" {
		model = trace.Haircut
	}
	hops := e.Hops
	if hops <= 0 {
		hops = 50
	}
	byOut := map[string][]Line{}
	for _, src := range srcs {
		res, err := tr.Trace(ctx, trace.Request{From: src.Address, Direction: trace.Forward, Model: model,
			Limits: trace.Limits{Hops: hops}, ThroughCoinJoins: true, ThroughMixers: true})
		if errors.Is(err, trace.ErrNotFound) || errors.Is(err, trace.ErrBadInput) {
			continue // a labelled address this chain does not have
		}
		if err != nil {
			return nil, fmt.Errorf("taint from %s: %w", src.Address, err)
		}
		// Candidates (taint that crossed a CoinJoin or a mixer match below the
		// tracer's confidence) are kept with their confidence: rules decide.
		for _, ep := range append(res.Endpoints, res.Candidates...) {
			if ep.Outpoint == "" || ep.Amount <= 0 || !strings.Contains(ep.Outpoint, ":") {
				continue
			}
			typ := Indirect
			if ep.Hops <= 1 {
				typ = Direct
			}
			byOut[ep.Outpoint] = append(byOut[ep.Outpoint], Line{Category: src.Category, Entity: src.Entity, ExposureType: typ,
				Amount: ep.Amount, Hops: max(ep.Hops, 1), Path: ep.Path, Address: src.Address,
				Source: fmt.Sprintf("taint %s from %s", model, src.Address), Confidence: ep.Confidence})
		}
	}
	e.byOut, e.stamp = byOut, stamp
	return byOut, nil
}
