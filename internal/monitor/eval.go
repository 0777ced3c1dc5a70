package monitor

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// simLabels is what an investigator of a simulated chain knows: the
// simulation's investigator labels (services' addresses) and the reported
// theft, whose loot outputs (the theft tx's outputs not paying the victim)
// are the stolen coins — what `labels import` of those addresses as
// category stolen gives on a real case.
type simLabels struct {
	attr    trace.MapAttributor
	sources []Source
}

func (l *simLabels) Current(ctx context.Context) (trace.Attributor, string, error) {
	return l.attr, "sim", nil
}

func (l *simLabels) Illicit(ctx context.Context) ([]Source, error) { return l.sources, nil }

// EvalReport is `chaintrace kyt eval`'s answer.
type EvalReport struct {
	Seed  uint64  `json:"seed"`
	Scale float64 `json:"scale"`
	Theft string  `json:"theft"`
	// RulesSHA256 names the rules the alerts were raised by.
	RulesSHA256 string `json:"rules_sha256"`
	// Stolen sources: the reported theft's loot addresses.
	Sources []string `json:"sources"`
	// Cash-outs: the thief's deposits at exchanges (truth.json cash_outs).
	CashOuts        int               `json:"cash_outs"`
	CashOutsAlerted int               `json:"cash_outs_alerted"`
	Recall          float64           `json:"recall"`
	RecallByVia     map[string][2]int `json:"recall_by_via"`   // via → [alerted, total]
	CashOutLevels   map[Level]int     `json:"cash_out_levels"` // highest level per alerted cash-out
	// Missed are the cash-outs without an alert ("txid:vout via").
	Missed []string `json:"missed"`
	// Ordinary deposits: every other deposit at an exchange (customers that are not the thief's mules).
	Ordinary          int            `json:"ordinary"`
	OrdinaryAboveLow  int            `json:"ordinary_above_low"`
	FalseRate         float64        `json:"false_rate"`
	OrdinaryAlerted   int            `json:"ordinary_alerted"` // any level
	FalseByCategory   map[string]int `json:"false_by_category"`
	Registered        int            `json:"registered"`
	ScreenSeconds     float64        `json:"screen_seconds"`
	ScreensPerSecond  float64        `json:"screens_per_second"`
	RegisterPerSecond float64        `json:"register_per_second"`
}

// Eval registers every exchange deposit of a simulated chain (indexed in ix)
// as a received transfer in db (which should be empty), screens them with
// the investigator's knowledge only, and scores the alerts against the
// simulator's books: recall over the thief's cash-out deposits, false alerts
// above LOW over the ordinary customers' deposits.
func Eval(ctx context.Context, db *store.DB, ix *index.Index, simDir string, rules *Rules, progress io.Writer) (*EvalReport, error) {
	h, err := sim.ReadHeader(simDir)
	if err != nil {
		return nil, err
	}
	if h.Theft == nil || h.Labels.Theft == nil {
		return nil, fmt.Errorf("%s: no theft (scenario %s): kyt eval needs a lazarus simulation", simDir, h.Scenario)
	}
	attr, err := trace.SimLabels(simDir)
	if err != nil {
		return nil, err
	}
	th, err := chainhash.NewHashFromStr(h.Labels.Theft.Txid)
	if err != nil {
		return nil, err
	}
	tv, err := ix.Tx(*th)
	if err != nil {
		return nil, fmt.Errorf("theft tx %s: %w (is the simulation indexed in --data?)", h.Labels.Theft.Txid, err)
	}
	lab := &simLabels{attr: attr, sources: TheftSources(tv, h.Labels.Theft.Victim, attr)}
	rep := &EvalReport{Seed: h.Seed, Scale: h.Scale, Theft: h.Labels.Theft.Txid, RecallByVia: map[string][2]int{},
		CashOutLevels: map[Level]int{}, FalseByCategory: map[string]int{}}
	for _, s := range lab.sources {
		rep.Sources = append(rep.Sources, s.Address)
	}
	cs := chainOfIndex(ix)
	svc, err := New(ctx, db, Options{Chain: cs, Exposers: []Exposer{
		LabelExposer{L: lab}, TraceExposer{L: lab, Chain: cs}, &TaintExposer{L: lab, Chain: cs}}})
	if err != nil {
		return nil, err
	}
	if rules != nil {
		if _, _, err := svc.SetRules(ctx, "eval rules", []byte(rules.Text), "kyt eval"); err != nil {
			return nil, err
		}
	}
	rep.RulesSHA256 = svc.Rules().SHA256
	// The deposits: cash-outs from the books, the others from the deposit
	// addresses' histories in the index.
	type dep struct {
		ref, via string
		cashOut  bool
	}
	cash := map[string]string{}
	for _, c := range h.CashOuts {
		cash[c.Txid+":"+strconv.Itoa(int(c.Vout))] = c.Via
	}
	var deps []dep
	for ref, via := range cash {
		deps = append(deps, dep{ref, via, true})
	}
	var depositAddrs []string
	mules := map[string]bool{}
	err = sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type == "addr" && r.Role == "deposit" {
			if strings.HasPrefix(r.Customer, h.Theft.Thief) {
				mules[r.Addr] = true
			} else {
				depositAddrs = append(depositAddrs, r.Addr)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range depositAddrs {
		for off := 0; ; off += 1000 {
			av, err := ix.Address(a, off, 1000)
			if err != nil {
				break // never paid
			}
			for _, t := range av.Txs {
				if t.Received <= 0 {
					continue
				}
				hh, _ := chainhash.NewHashFromStr(t.Txid)
				tx, err := ix.Tx(*hh)
				if err != nil {
					return nil, err
				}
				for _, o := range tx.Outputs {
					ref := t.Txid + ":" + strconv.Itoa(int(o.N))
					if o.Address != nil && *o.Address == a && cash[ref] == "" {
						deps = append(deps, dep{ref: ref})
					}
				}
			}
			if len(av.Txs) < 1000 {
				break
			}
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].ref < deps[j].ref })
	start := time.Now()
	ids := make([]string, len(deps))
	for i, d := range deps {
		t, _, err := svc.Register(ctx, "customer", RegisterRequest{Network: NetworkBitcoin, Asset: AssetBTC, TransferReference: d.ref, Direction: string(Received)})
		if err != nil {
			return nil, fmt.Errorf("register %s: %w", d.ref, err)
		}
		ids[i] = t.ExternalID
	}
	rep.Registered = len(deps)
	rep.RegisterPerSecond = float64(len(deps)) / time.Since(start).Seconds()
	if progress != nil {
		fmt.Fprintf(progress, "kyt eval: registered %d deposits (%d cash-outs); screening…\n", len(deps), len(cash))
	}
	start = time.Now()
	n, err := svc.Drain(ctx)
	if err != nil {
		return nil, err
	}
	rep.ScreenSeconds = time.Since(start).Seconds()
	rep.ScreensPerSecond = float64(n) / rep.ScreenSeconds
	for i, d := range deps {
		as, err := svc.TransferAlerts(ctx, ids[i])
		if err != nil {
			return nil, err
		}
		top := Level("")
		for _, a := range as {
			if a.AlertLevel.Rank() > top.Rank() {
				top = a.AlertLevel
			}
		}
		if d.cashOut {
			rep.CashOuts++
			v := rep.RecallByVia[d.via]
			v[1]++
			if len(as) > 0 {
				rep.CashOutsAlerted++
				rep.CashOutLevels[top]++
				v[0]++
			} else {
				rep.Missed = append(rep.Missed, d.ref+" "+d.via)
			}
			rep.RecallByVia[d.via] = v
			continue
		}
		rep.Ordinary++
		if len(as) > 0 {
			rep.OrdinaryAlerted++
		}
		if top.Rank() > Low.Rank() {
			rep.OrdinaryAboveLow++
			for _, a := range as {
				if a.AlertLevel.Rank() > Low.Rank() {
					rep.FalseByCategory[a.Category+" "+string(a.ExposureType)]++
				}
			}
		}
	}
	rep.Recall = ratio(rep.CashOutsAlerted, rep.CashOuts)
	rep.FalseRate = ratio(rep.OrdinaryAboveLow, rep.Ordinary)
	return rep, nil
}

// TheftSources are a reported theft's loot: the theft tx's outputs that do
// not pay the victim (victim is its label, e.g. "exchange: Northbank", as
// attr attributes its addresses), as stolen sources.
func TheftSources(theft *index.TxView, victim string, attr trace.Attributor) []Source {
	v := trace.ParseLabel(victim)
	var out []Source
	for _, o := range theft.Outputs {
		if o.Address == nil {
			continue
		}
		if a, ok := attr.Attribute(*o.Address); ok && a.Entity == v.Entity {
			continue
		}
		out = append(out, Source{Address: *o.Address, Category: "stolen", Entity: "theft from " + victim})
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// chainOfIndex serves ix as the monitor's chain.
func chainOfIndex(ix *index.Index) ChainSource { return func() (Chain, error) { return ix, nil } }

// WriteEval prints the report.
func WriteEval(w io.Writer, r *EvalReport) {
	fmt.Fprintf(w, "lazarus seed %d scale %g: theft %s, %d loot address(es) reported as stolen; rules sha256 %.12s\n",
		r.Seed, r.Scale, r.Theft, len(r.Sources), r.RulesSHA256)
	fmt.Fprintf(w, "cash-out deposits alerted: %d of %d, recall %.3f (goal ≥ 0.95)\n", r.CashOutsAlerted, r.CashOuts, r.Recall)
	vias := make([]string, 0, len(r.RecallByVia))
	for v := range r.RecallByVia {
		vias = append(vias, v)
	}
	sort.Strings(vias)
	for _, v := range vias {
		c := r.RecallByVia[v]
		fmt.Fprintf(w, "  via %-18s %4d of %4d\n", v, c[0], c[1])
	}
	fmt.Fprintf(w, "  highest level:")
	for _, l := range Levels {
		fmt.Fprintf(w, " %s %d", l, r.CashOutLevels[l])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ordinary deposits with an alert above LOW: %d of %d, %.2f%% (goal ≤ 1%%); with any alert: %d\n",
		r.OrdinaryAboveLow, r.Ordinary, 100*r.FalseRate, r.OrdinaryAlerted)
	cats := make([]string, 0, len(r.FalseByCategory))
	for c := range r.FalseByCategory {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		fmt.Fprintf(w, "  %-22s %d\n", c, r.FalseByCategory[c])
	}
	fmt.Fprintf(w, "registered %d transfers (%.0f/s), screened in %.1fs (%.0f/s, 4 workers)\n", r.Registered, r.RegisterPerSecond,
		r.ScreenSeconds, r.ScreensPerSecond)
}
