package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// defaultDemoDir is the demo's data folder when --data is not given: the
// demo never mixes a regtest chain into the user's real data folder.
const defaultDemoDir = "./chaintrace-demo"

func init() {
	var (
		serve  bool
		listen string
		seed   uint64
		scale  float64
	)
	cmd := &cobra.Command{
		Use:   "demo [--data DIR] [--serve] [--listen ADDR]",
		Short: "Simulate a theft, index the chain and print an investigator's report",
		Long: `demo simulates the lazarus scenario (a thief robs an exchange and launders the loot) into
DIR/sim, ingests its blocks into the chain index under DIR, and prints what chaintrace can tell an
investigator who knows the theft transaction and the labelled services. With --serve it then serves
the API over DIR.

DIR defaults to ` + defaultDemoDir + ` (not the usual data folder). Re-running with the same DIR
reuses the simulated chain and the index (ingest skips indexed blocks); a simulation that was cut
short is rebuilt.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := flagData
			if !cmd.Flags().Changed("data") && !cmd.Root().PersistentFlags().Changed("data") {
				dir = defaultDemoDir
			}
			if scale <= 0 {
				return usageError{fmt.Errorf("--scale %v: must be > 0", scale)}
			}
			if err := runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dir, seed, scale); err != nil {
				return err
			}
			if serve {
				id, err := demoCase(cmd.Context(), cmd.OutOrStdout(), dir)
				if err != nil {
					return err
				}
				if id != 0 {
					uiHome = fmt.Sprintf("/cases/%d", id)
				}
				flagData = dir
				return runServe(cmd.Context(), listen)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&serve, "serve", false, "serve the API over the demo's data folder afterwards")
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "with --serve: address to listen on")
	f.Uint64Var(&seed, "seed", 1, "simulation seed")
	f.Float64Var(&scale, "scale", 0.3, "simulation scale (see chaintrace simulate)")
	rootCmd.AddCommand(cmd)
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, dir string, seed uint64, scale float64) error {
	simDir := filepath.Join(dir, "sim")
	fmt.Fprintf(stderr, "demo: working in %s: simulate a theft, index its blocks, print the report (a first run takes a minute or two)\n", dir)
	// Refuse a folder holding another network's index before writing anything.
	if st, err := os.Stat(index.DirIn(dir)); err == nil && st.IsDir() {
		ix, err := openIndexRead(dir)
		if err != nil {
			return err
		}
		net := ix.Network()
		ix.Close()
		if net != nil && net.Net != chaincfg.RegressionNetParams.Net {
			return fmt.Errorf("%s holds a %s chain index: the demo needs a folder of its own (--data)", dir, chain.NetworkName(net))
		}
	}
	hdr, err := demoSimulate(ctx, stderr, simDir, seed, scale)
	if err != nil {
		return err
	}
	if err := demoIngest(ctx, stderr, dir, simDir); err != nil {
		return err
	}
	ix, err := openIndexRead(dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	if err := demoReport(stdout, ix, simDir, hdr); err != nil {
		return err
	}
	if err := demoClusters(stdout, ix, dir, simDir, hdr); err != nil {
		return err
	}
	return demoKYT(ctx, stdout, ix, dir, simDir, hdr)
}

// demoSimulate reuses a complete simulation in simDir made with the same
// parameters, rebuilds one that was cut short, and refuses to touch one made
// with other parameters or a folder holding anything else.
func demoSimulate(ctx context.Context, stderr io.Writer, simDir string, seed uint64, scale float64) (*sim.Header, error) {
	if h, err := sim.ReadHeader(simDir); err == nil {
		if h.Seed != seed || h.Scale != scale || h.Scenario != sim.ScenarioLazarus || !h.Signed {
			return nil, fmt.Errorf("%s holds a simulation with seed %d, scale %g (%s): use another --data, or the same --seed/--scale",
				simDir, h.Seed, h.Scale, h.Scenario)
		}
		fmt.Fprintf(stderr, "demo: reusing the simulated chain in %s (seed %d, scale %g)\n", simDir, seed, scale)
		return h, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if ents, err := os.ReadDir(simDir); err == nil && len(ents) > 0 {
		// A run cut short leaves blocks/ and truth.jsonl but no truth.json.
		for _, e := range ents {
			if n := e.Name(); n != "blocks" && n != sim.TruthRecordsFile {
				return nil, fmt.Errorf("%s holds %s, which the simulator did not write: refusing to delete it", simDir, n)
			}
		}
		fmt.Fprintf(stderr, "demo: %s holds an unfinished simulation: rebuilding it\n", simDir)
		if err := os.RemoveAll(simDir); err != nil {
			return nil, err
		}
	}
	defer tuneGC()()
	fmt.Fprintf(stderr, "demo: simulating the lazarus scenario (seed %d, scale %g) into %s\n", seed, scale, simDir)
	start := time.Now()
	h, err := sim.Run(ctx, sim.Config{Scenario: sim.ScenarioLazarus, Seed: seed, Scale: scale, OutDir: simDir,
		Progress: progressPrinter(stderr, "simulate")})
	if isTerminal(stderr) {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "demo: %d blocks, %d txs in %s\n", h.Blocks, h.Txs, time.Since(start).Round(time.Millisecond))
	return h, nil
}

// demoIngest indexes the simulated blocks under dir (blocks already indexed
// are skipped, so a re-run is quick).
func demoIngest(ctx context.Context, stderr io.Writer, dir, simDir string) error {
	net := &chaincfg.RegressionNetParams
	files, err := source.ScanFiles([]string{filepath.Join(simDir, "blocks")}, source.FileOptions{Network: net})
	if err != nil {
		return err
	}
	defer files.Close()
	ix, err := openIndexWrite(dir, net, 64)
	if err != nil {
		return err
	}
	defer ix.Close()
	sum, err := ingest.Blocks(ctx, ingest.FromIndex(ix), ingest.FileCandidates(files),
		ingest.Options{Params: net, BlockHeight: chain.BlockHeight})
	if cerr := ix.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close index: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("demo: ingest: %w", err)
	}
	fmt.Fprintf(stderr, "demo: ingest: %s\n", sum)
	return nil
}

func btc(sat int64) string { return fmt.Sprintf("%.8f BTC", float64(sat)/1e8) }

func pct(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// demoReport prints the investigator's report.
func demoReport(w io.Writer, ix *index.Index, simDir string, hdr *sim.Header) error {
	st := ix.Stats()
	fmt.Fprintf(w, "\n== chaintrace demo: investigator's report ==\n\n")
	fmt.Fprintf(w, "Chain index (%s): %d blocks, %d txs, %d inputs, %d outputs, %d addresses",
		chain.NetworkName(ix.Network()), st.Blocks, st.Txs, st.Inputs, st.Outputs, st.Addresses)
	if st.Tip != nil {
		fmt.Fprintf(w, ", tip %s at height %d", st.Tip.Hash, st.Tip.Height)
	}
	fmt.Fprintln(w)
	labels, err := sim.InvestigatorAddressLabels(simDir)
	if err != nil {
		return err
	}
	ents := hdr.Labels.Entities
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Label)
	}
	fmt.Fprintf(w, "Known services (investigator labels): %d addresses of %s\n", len(labels), strings.Join(names, ", "))
	th := hdr.Labels.Theft
	if th == nil {
		fmt.Fprintln(w, "No theft reported in this chain.")
		return nil
	}
	id, err := chainhash.NewHashFromStr(th.Txid)
	if err != nil {
		return err
	}
	tv, err := ix.Tx(*id)
	if err != nil {
		return fmt.Errorf("theft tx %s: %w", th.Txid, err)
	}
	fmt.Fprintf(w, "\nThe theft: tx %s (block %d)\n  victim: %s, reported amount %s\n", tv.Txid, tv.BlockHeight, th.Victim, btc(th.Amount))
	for _, o := range tv.Outputs {
		a := ""
		if o.Address != nil {
			a = *o.Address
		}
		if labels[a] == th.Victim {
			fmt.Fprintf(w, "  output %d: %s back to the victim (change)\n", o.N, btc(o.Value))
			continue
		}
		fmt.Fprintf(w, "  output %d: %s to %s (the thief)\n", o.N, btc(o.Value), a)
	}
	attr := trace.MapAttributor{}
	for a, l := range labels {
		attr[a] = trace.ParseLabel(l)
	}
	tr := trace.New(ix, attr, nil)
	limits := trace.Limits{Hops: 50}
	// One trace told in words: haircut, through CoinJoins and the mixer.
	res, err := tr.Trace(context.Background(), trace.Request{From: fmt.Sprintf("%s:%d", hdr.Theft.Txid, hdr.Theft.Outputs[0]),
		Model: trace.Haircut, Limits: limits, ThroughCoinJoins: true, ThroughMixers: true})
	if err != nil {
		return err
	}
	demoWhere(w, res)
	rep, err := trace.Eval(context.Background(), tr, hdr, limits)
	if err != nil {
		return err
	}
	demoSideBySide(w, rep)
	groundTruth(w, hdr)
	return nil
}

// demoWhere summarises a trace by category and entity.
func demoWhere(w io.Writer, res *trace.Result) {
	fmt.Fprintf(w, "\nWhere the funds went (chaintrace trace, %s model, through CoinJoins and the mixer; it stops at\n", res.Model)
	fmt.Fprintf(w, "labelled services; a peel chain's payments to unknown recipients are endpoints):\n")
	fmt.Fprintf(w, "  txs walked: %d, peel chains: %d", res.Txs, len(res.PeelChains))
	if len(res.PeelChains) > 0 {
		fmt.Fprintf(w, " (longest: %s)", res.PeelChains[0].Summary())
	}
	fmt.Fprintln(w)
	type kv struct {
		k string
		v int64
	}
	sum := map[string]int64{}
	for _, e := range res.Endpoints {
		k := e.Category
		if e.Entity != "" {
			k += ": " + e.Entity
		}
		switch e.Category {
		case "unspent":
			k = "still unspent at unattributed addresses"
		case "payee":
			k = "paid to unattributed recipients"
		}
		sum[k] += e.Amount
	}
	var cand int64
	for _, e := range res.Candidates {
		cand += e.Amount
	}
	var rows []kv
	for k, v := range sum {
		rows = append(rows, kv{k, v})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].v > rows[j].v || rows[i].v == rows[j].v && rows[i].k < rows[j].k })
	for _, r := range rows {
		fmt.Fprintf(w, "  reached %-40s %22s  %6s\n", r.k, btc(r.v), pct(r.v, res.Total))
	}
	fmt.Fprintf(w, "  %-48s %22s  %6s\n", "candidates (below the confidence cut)", btc(cand), pct(cand, res.Total))
	fmt.Fprintf(w, "  %-48s %22s  %6s\n", "paid as mining fees", btc(res.Fees), pct(res.Fees, res.Total))
	followed := 0
	for _, m := range res.Mixers {
		if m.Followed {
			followed++
		}
	}
	fmt.Fprintf(w, "  CoinJoins passed: %d; mixer deposits: %d, matched to a unique payout set: %d\n", len(res.CoinJoins), len(res.Mixers), followed)
}

// demoSideBySide prints, per exchange, what each model's findings attribute
// to it (with pass-through) next to the simulator's books.
func demoSideBySide(w io.Writer, rep *trace.EvalReport) {
	fmt.Fprintf(w, "\nStolen coins per cash-out exchange: each model's findings (with pass-through) vs the simulator's books\n")
	fmt.Fprintf(w, "  %-12s %16s", "exchange", "books")
	var rows []trace.EvalRow
	for _, r := range rep.Rows {
		if r.PassThrough {
			rows = append(rows, r)
			fmt.Fprintf(w, " %16s", r.Model)
		}
	}
	fmt.Fprintln(w)
	var names []string
	for _, e := range rows[0].PerExchange {
		names = append(names, e.Exchange)
	}
	for i, name := range names {
		fmt.Fprintf(w, "  %-12s %16.8f", name, float64(rows[0].PerExchange[i].Books)/1e8)
		for _, r := range rows {
			fmt.Fprintf(w, " %16.8f", float64(r.PerExchange[i].Found)/1e8)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n  %-26s %9s %9s %9s %9s\n", "model (pass-through)", "sat-prec", "sat-rec", "dep-prec", "dep-rec")
	for _, r := range rep.Rows {
		pt := "no"
		if r.PassThrough {
			pt = "yes"
		}
		fmt.Fprintf(w, "  %-26s %9.3f %9.3f %9.3f %9.3f\n", fmt.Sprintf("%s (%s)", r.Model, pt), r.Precision, r.Recall, r.DepositPrecision, r.DepositRecall)
	}
}

// groundTruth prints the simulator's own books next to the walk.
func groundTruth(w io.Writer, h *sim.Header) {
	fmt.Fprintf(w, "\nGround truth (the simulator's books, which a real investigator would not have):\n")
	byEx := map[string]int64{}
	byVia := map[string]int64{}
	var cashed int64
	for _, c := range h.CashOuts {
		byEx[c.Exchange] += c.Loot
		byVia[c.Via] += c.Loot
		cashed += c.Loot
	}
	name := map[string]string{}
	for _, a := range h.Actors {
		name[a.ID] = a.Name
	}
	fmt.Fprintf(w, "  stolen %s; cashed out %s (%s) in %d deposits at other exchanges\n", btc(h.Theft.Amount), btc(cashed), pct(cashed, h.Theft.Amount), len(h.CashOuts))
	exs := slices.Sorted(func(yield func(string) bool) {
		for k := range byEx {
			if !yield(k) {
				return
			}
		}
	})
	for _, e := range exs {
		fmt.Fprintf(w, "    at %-12s %22s\n", name[e], btc(byEx[e]))
	}
	vias := make([]string, 0, len(byVia))
	for v := range byVia {
		vias = append(vias, v)
	}
	sort.Strings(vias)
	for _, v := range vias {
		fmt.Fprintf(w, "    via %-28s %22s\n", v, btc(byVia[v]))
	}
	type mix struct {
		mixed, paid int64
		orders      int
	}
	mixers := map[string]*mix{}
	var ids []string
	for _, d := range h.Mixer {
		m := mixers[d.Mixer]
		if m == nil {
			m = &mix{}
			mixers[d.Mixer] = m
			ids = append(ids, d.Mixer)
		}
		m.mixed += d.Loot
		m.paid += d.PaidOut
		m.orders++
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := mixers[id]
		fmt.Fprintf(w, "  through the custodial mixer %s: %s in %d orders, %s paid back out to the thief\n", name[id], btc(m.mixed), m.orders, btc(m.paid))
	}
}
