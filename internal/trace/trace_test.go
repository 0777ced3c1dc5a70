package trace

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/source"
)

// simChain is a small simulated lazarus chain, indexed, shared by the tests.
type simChain struct {
	ix   *index.Index
	hdr  *sim.Header
	attr MapAttributor
	dir  string
}

var (
	chainOnce sync.Once
	chainVal  *simChain
	chainErr  error
)

// testChain simulates seed 7 at scale 0.1 (a development seed: see
// docs/tracing.md) and indexes it once per test binary.
func testChain(t *testing.T) *simChain {
	t.Helper()
	chainOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			chainErr = err
			return
		}
		chainVal, chainErr = buildChain(dir, 7, 0.1)
	})
	if chainErr != nil {
		t.Fatal(chainErr)
	}
	return chainVal
}

func buildChain(dir string, seed uint64, scale float64) (*simChain, error) {
	ctx := context.Background()
	simDir := filepath.Join(dir, "sim")
	h, err := sim.Run(ctx, sim.Config{Scenario: sim.ScenarioLazarus, Seed: seed, Scale: scale, OutDir: simDir})
	if err != nil {
		return nil, err
	}
	net := &chaincfg.RegressionNetParams
	files, err := source.ScanFiles([]string{filepath.Join(simDir, "blocks")}, source.FileOptions{Network: net})
	if err != nil {
		return nil, err
	}
	defer files.Close()
	ix, err := index.Open(index.DirIn(dir), index.Options{Network: net, Kinds: classify.IndexHook()})
	if err != nil {
		return nil, err
	}
	if _, err := ingest.Blocks(ctx, ingest.FromIndex(ix), ingest.FileCandidates(files),
		ingest.Options{Params: net, BlockHeight: chain.BlockHeight}); err != nil {
		return nil, err
	}
	attr, err := SimLabels(simDir)
	if err != nil {
		return nil, err
	}
	return &simChain{ix: ix, hdr: h, attr: attr, dir: simDir}, nil
}

// theftOut is the stolen output of the simulated theft.
func (c *simChain) theftOut() string {
	return fmt.Sprintf("%s:%d", c.hdr.Theft.Txid, c.hdr.Theft.Outputs[0])
}

// accounted sums where a trace's taint went: endpoints, candidates, fees and
// the taint limits stopped.
func accounted(res *Result) int64 {
	n := res.Fees
	for _, e := range res.Endpoints {
		n += e.Amount
	}
	for _, e := range res.Candidates {
		n += e.Amount
	}
	for _, h := range res.HitLimits {
		n += h.Amount
	}
	return n
}

// TestTraceConservesTaint: forward from the theft under haircut, FIFO and
// TIHO (with and without pass-through) every stolen satoshi is accounted
// for, to the satoshi.
func TestTraceConservesTaint(t *testing.T) {
	c := testChain(t)
	tr := New(c.ix, c.attr, nil)
	for _, m := range []Model{Haircut, FIFO, TIHO} {
		for _, pass := range []bool{false, true} {
			res, err := tr.Trace(context.Background(), Request{From: c.theftOut(), Model: m, ThroughCoinJoins: pass, ThroughMixers: pass,
				Limits: Limits{Hops: 50}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != c.hdr.Theft.Amount {
				t.Errorf("%s: total %d, theft %d", m, res.Total, c.hdr.Theft.Amount)
			}
			if got := accounted(res); got != res.Total {
				t.Errorf("%s pass=%v: accounted %d of %d (off by %d)", m, pass, got, res.Total, res.Total-got)
			}
		}
	}
}

// TestTraceFindsCashOuts: without pass-through every model's exchange
// findings are cash-outs in the simulator's books (precision ≥ 0.95), and
// they recover at least 90% of what the books say went to exchanges by peel
// chains and directly (the routes a trace can follow without pass-through).
func TestTraceFindsCashOuts(t *testing.T) {
	c := testChain(t)
	rep, err := Eval(context.Background(), New(c.ix, c.attr, nil), c.hdr, Limits{Hops: 50})
	if err != nil {
		t.Fatal(err)
	}
	var plain int64
	for _, co := range c.hdr.CashOuts {
		if co.Via == "peel" || co.Via == "direct" {
			plain += co.Loot
		}
	}
	for _, r := range rep.Rows {
		if r.Precision < 0.95 {
			t.Errorf("%s pass=%v: precision %.3f", r.Model, r.PassThrough, r.Precision)
		}
		if float64(r.Correct) < 0.9*float64(plain) {
			t.Errorf("%s pass=%v: correct %d < 90%% of the peel/direct loot %d", r.Model, r.PassThrough, r.Correct, plain)
		}
	}
}

// TestBackwardReachesVictim: a cash-out by a peel chain traced backward
// ends at the victim's labelled hot wallet, with the theft tx on the path.
func TestBackwardReachesVictim(t *testing.T) {
	c := testChain(t)
	tr := New(c.ix, c.attr, nil)
	n := 0
	for _, co := range c.hdr.CashOuts {
		if co.Via != "peel" || n == 3 {
			continue
		}
		n++
		res, err := tr.Trace(context.Background(), Request{From: fmt.Sprintf("%s:%d", co.Txid, co.Vout), Direction: Backward, Model: FIFO})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Endpoints) == 0 || res.Endpoints[0].Entity != "Northbank" {
			t.Fatalf("backward from %s:%d: %+v", co.Txid, co.Vout, res.Endpoints)
		}
		e := res.Endpoints[0]
		if e.Amount != co.Value || !contains(e.Path, c.hdr.Theft.Txid) {
			t.Errorf("backward: amount %d (want %d), path %v lacks the theft", e.Amount, co.Value, e.Path)
		}
		if accounted(res) != res.Total {
			t.Errorf("backward: accounted %d of %d", accounted(res), res.Total)
		}
	}
	if n == 0 {
		t.Fatal("no peel cash-out in the books")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestBadInput: unknown txids and addresses, vouts out of range, garbage,
// negative or absurd limits give clear errors or notes; tiny budgets stop
// the walk with the limit named.
func TestBadInput(t *testing.T) {
	c := testChain(t)
	tr := New(c.ix, c.attr, nil)
	ctx := context.Background()
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		from string
		lim  Limits
		want error
	}{
		{unknown, Limits{}, ErrNotFound},
		{unknown + ":0", Limits{}, ErrNotFound},
		{c.hdr.Theft.Txid + ":99", Limits{}, ErrBadInput},
		{c.hdr.Theft.Txid + ":x", Limits{}, ErrBadInput},
		{"not-an-address", Limits{}, ErrBadInput},
		{"bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", Limits{}, ErrBadInput},
		{"", Limits{}, ErrBadInput},
		{c.theftOut(), Limits{Hops: -1}, ErrBadInput},
		{c.theftOut(), Limits{FromHeight: 10, ToHeight: 5}, ErrBadInput},
		{"cluster:5", Limits{}, ErrBadInput},
	} {
		_, err := tr.Trace(ctx, Request{From: tc.from, Limits: tc.lim})
		if !errors.Is(err, tc.want) {
			t.Errorf("%q %+v: got %v, want %v", tc.from, tc.lim, err, tc.want)
		}
	}
	res, err := tr.Trace(ctx, Request{From: c.theftOut(), Limits: Limits{Hops: 1 << 30, Nodes: 1 << 40, Timeout: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 3 || res.Limits.Hops != MaxHops || res.Limits.Nodes != MaxNodes {
		t.Errorf("absurd limits not capped: %v %+v", res.Notes, res.Limits)
	}
	res, err = tr.Trace(ctx, Request{From: c.theftOut(), Limits: Limits{Nodes: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Txs != 3 || !hasLimit(res, "nodes") || accounted(res) != res.Total {
		t.Errorf("node budget 3: %d txs, limits %+v, accounted %d of %d", res.Txs, res.HitLimits, accounted(res), res.Total)
	}
	res, err = tr.Trace(ctx, Request{From: c.theftOut(), Limits: Limits{Hops: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !hasLimit(res, "hops") {
		t.Errorf("hops 1: limits %+v", res.HitLimits)
	}
	res, err = tr.Trace(ctx, Request{From: c.theftOut(), Limits: Limits{Timeout: time.Nanosecond}})
	if err != nil {
		t.Fatal(err)
	}
	if !hasLimit(res, "deadline") {
		t.Errorf("1 ns timeout: limits %+v", res.HitLimits)
	}
	// A coinbase traced backward ends at "newly mined".
	var cb string
	_ = c.ix.View(func(g index.Graph) error { cb = g.TxHash(0).String(); return nil })
	res, err = tr.Trace(ctx, Request{From: cb, Direction: Backward})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Endpoints) != 1 || res.Endpoints[0].Category != "coinbase" || res.Endpoints[0].Amount != res.Total {
		t.Errorf("backward from a coinbase: %+v", res.Endpoints)
	}
}

func hasLimit(res *Result, name string) bool {
	for _, h := range res.HitLimits {
		if h.Limit == name && h.Count > 0 {
			return true
		}
	}
	return false
}

// TestExposureOfDirectCashOut: the deposit address of a direct cash-out is
// indirectly exposed (receiving) to the victim exchange, through the theft.
func TestExposureOfDirectCashOut(t *testing.T) {
	c := testChain(t)
	var addr string
	for _, co := range c.hdr.CashOuts {
		if co.Via == "direct" {
			addr = co.Address
		}
	}
	if addr == "" {
		t.Skip("no direct cash-out in this run")
	}
	ex, err := New(c.ix, c.attr, nil).Exposure(context.Background(), ExposureRequest{Subject: addr, Direction: Receiving})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range ex.Indirect {
		if l.Entity == "Northbank" && l.Direction == Receiving && l.Hops >= 2 && contains(l.Path, c.hdr.Theft.Txid) {
			found = true
		}
	}
	if !found {
		t.Errorf("exposure of %s: %+v", addr, ex)
	}
}

// TestFormats: GraphML is well-formed XML with every node and edge, CSV has
// a row per endpoint, DOT is a digraph.
func TestFormats(t *testing.T) {
	c := testChain(t)
	res, err := New(c.ix, c.attr, nil).Trace(context.Background(), Request{From: c.theftOut(), Limits: Limits{Hops: 4}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteGraphML(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Graph struct {
			Nodes []struct{} `xml:"node"`
			Edges []struct{} `xml:"edge"`
		} `xml:"graph"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Graph.Nodes) != len(res.Graph.Nodes) || len(doc.Graph.Edges) != len(res.Graph.Edges) || len(res.Graph.Edges) == 0 {
		t.Errorf("graphml: %d nodes, %d edges; result %d, %d", len(doc.Graph.Nodes), len(doc.Graph.Edges), len(res.Graph.Nodes), len(res.Graph.Edges))
	}
	b.Reset()
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(res.Endpoints)+len(res.Candidates) {
		t.Errorf("csv: %d rows for %d endpoints", len(rows), len(res.Endpoints)+len(res.Candidates))
	}
	b.Reset()
	if err := WriteDOT(&b, res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "digraph trace {") || strings.Count(b.String(), "->") != len(res.Graph.Edges) {
		t.Errorf("dot: %.200s", b.String())
	}
}

var tempDirs []string

func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "chaintrace-trace-test-")
	if err == nil {
		tempDirs = append(tempDirs, d)
	}
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chainVal != nil {
		chainVal.ix.Close()
	}
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// BenchmarkForward6Hops traces 6 hops forward (haircut, no attribution) from
// spent outputs of the small simulated chain; bench/trace.sh measures the
// same on a large chain beside PostgreSQL.
func BenchmarkForward6Hops(b *testing.B) {
	c := testChainB(b)
	tr := New(c.ix, nil, KindsFunc(func(index.Graph, uint64) string { return "" }))
	var froms []string
	_ = c.ix.View(func(g index.Graph) error {
		for t := g.TxCount() / 3; len(froms) < 64 && t < g.TxCount(); t += 7 {
			r := g.TxRange(t)
			if g.Output(r.OutStart).SpentBy != index.NoID {
				froms = append(froms, fmt.Sprintf("%s:0", g.TxHash(t)))
			}
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Trace(context.Background(), Request{From: froms[i%len(froms)], CountPeelHops: true, Limits: Limits{Hops: 6}}); err != nil {
			b.Fatal(err)
		}
	}
}

func testChainB(b *testing.B) *simChain {
	chainOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			chainErr = err
			return
		}
		chainVal, chainErr = buildChain(dir, 7, 0.1)
	})
	if chainErr != nil {
		b.Fatal(chainErr)
	}
	return chainVal
}

// TestPassThrough: through CoinJoins and mixers the findings stay correct
// (precision ≥ 0.95) and recover more of the books than without; every
// mixer payout the trace follows is one the mixers paid the thief (their
// ledgers), and every deposit it matched is one of the thief's orders.
func TestPassThrough(t *testing.T) {
	c := testChain(t)
	tr := New(c.ix, c.attr, nil)
	res, err := tr.Trace(context.Background(), Request{From: c.theftOut(), ThroughCoinJoins: true, ThroughMixers: true, Limits: Limits{Hops: 50}})
	if err != nil {
		t.Fatal(err)
	}
	thiefPayouts := map[string]bool{}
	orders := map[string]bool{}
	for _, d := range c.hdr.Mixer {
		orders[fmt.Sprintf("%s:%d", d.Txid, d.Vout)] = true
		for _, p := range d.Payouts {
			thiefPayouts[p] = true
		}
	}
	followed := 0
	for _, m := range res.Mixers {
		if !m.Followed {
			continue
		}
		if !orders[m.Deposit] {
			t.Errorf("followed mixer deposit %s is not a thief order", m.Deposit)
		}
		for _, s := range m.Sets {
			for _, p := range s.Payouts {
				followed++
				if !thiefPayouts[p] {
					t.Errorf("followed payout %s (deposit %s) was not paid to the thief", p, m.Deposit)
				}
			}
		}
	}
	if len(c.hdr.Mixer) > 0 && followed == 0 {
		t.Errorf("no mixer payout followed of %d thief orders", len(c.hdr.Mixer))
	}
	if len(res.CoinJoins) == 0 {
		t.Error("no CoinJoin passed through")
	}
	rep, err := Eval(context.Background(), tr, c.hdr, Limits{Hops: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Rows[len(Models):] {
		plain := rep.Rows[i]
		if r.Precision < 0.95 || r.Recall <= plain.Recall+0.1 {
			t.Errorf("%s: with pass-through precision %.3f recall %.3f, without recall %.3f", r.Model, r.Precision, r.Recall, plain.Recall)
		}
	}
}
