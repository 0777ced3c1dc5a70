package main

import (
	"container/heap"
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
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/source"
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
	return demoReport(stdout, ix, simDir, hdr)
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

// demoLabels loads the investigator's starting labels: addresses of
// attributed services (the truth's addr records that carry a label).
func demoLabels(simDir string) (map[string]string, error) {
	labels := map[string]string{}
	err := sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type == "addr" && r.Label != "" {
			labels[r.Addr] = r.Label
		}
		return nil
	})
	return labels, err
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
	labels, err := demoLabels(simDir)
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
	// The stolen outputs: those of the theft tx not paid back to the victim.
	var starts []start
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
		starts = append(starts, start{txid: tv.Txid, vout: o.N, value: o.Value})
	}
	res, err := haircutWalk(ix, labels, starts)
	if err != nil {
		return err
	}
	res.print(w)
	groundTruth(w, hdr)
	return nil
}

type start struct {
	txid  string
	vout  uint32
	value int64
}

// walkResult is what a haircut walk found.
type walkResult struct {
	total      int64
	services   map[string]int64 // label → amount reached
	coinjoins  map[string]int64 // kind → amount entering
	unspent    int64
	unspentN   int
	fees       int64
	dust       int64 // below the walk's threshold, dropped
	peelHops   int
	txs        int
	truncated  bool
	longestRun int
}

func (r *walkResult) print(w io.Writer) {
	fmt.Fprintf(w, "\nWhere the funds went (haircut walk forward over the index's spent-by links; it stops at labelled\n")
	fmt.Fprintf(w, "services and at CoinJoins recognised by their published shapes):\n")
	fmt.Fprintf(w, "  txs walked: %d, peel-chain hops recognised: %d (longest chain %d hops)\n", r.txs, r.peelHops, r.longestRun)
	type kv struct {
		k string
		v int64
	}
	sorted := func(m map[string]int64) []kv {
		var out []kv
		for k, v := range m {
			out = append(out, kv{k, v})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].v > out[j].v || out[i].v == out[j].v && out[i].k < out[j].k })
		return out
	}
	for _, e := range sorted(r.services) {
		fmt.Fprintf(w, "  reached %-34s %22s  %6s\n", e.k, btc(e.v), pct(e.v, r.total))
	}
	for _, e := range sorted(r.coinjoins) {
		fmt.Fprintf(w, "  entered %-34s %22s  %6s\n", e.k, btc(e.v), pct(e.v, r.total))
	}
	fmt.Fprintf(w, "  %-42s %22s  %6s  (%d outputs)\n", "still unspent at unattributed addresses", btc(r.unspent), pct(r.unspent, r.total), r.unspentN)
	fmt.Fprintf(w, "  %-42s %22s  %6s\n", "paid as mining fees", btc(r.fees), pct(r.fees, r.total))
	if r.dust > 0 {
		fmt.Fprintf(w, "  %-42s %22s  %6s\n", "diluted below the walk's threshold", btc(r.dust), pct(r.dust, r.total))
	}
	if r.truncated {
		fmt.Fprintln(w, "  (walk stopped at its size limit)")
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
	var mixed, paid int64
	for _, d := range h.Mixer {
		mixed += d.Loot
		paid += d.PaidOut
	}
	fmt.Fprintf(w, "  through the custodial mixer: %s in %d orders, %s paid back out to the thief\n", btc(mixed), len(h.Mixer), btc(paid))
}

// txItem is a tx waiting in the walk, with the taint its inputs carry.
type txItem struct {
	num   uint64
	txid  chainhash.Hash
	taint int64
	peel  int // length of the peel chain that led here
}

type txHeap []*txItem

func (h txHeap) Len() int           { return len(h) }
func (h txHeap) Less(i, j int) bool { return h[i].num < h[j].num }
func (h txHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *txHeap) Push(x any)        { *h = append(*h, x.(*txItem)) }
func (h *txHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

const (
	walkMaxTxs   = 20000
	walkMinTaint = 10_000 // sat: smaller amounts are dropped as dust
)

// haircutWalk follows tainted amounts forward in chain order: a tx's taint
// is split over its outputs in proportion to value (the fee's share goes to
// the miner). It stops at labelled addresses and at CoinJoins.
func haircutWalk(ix *index.Index, labels map[string]string, starts []start) (*walkResult, error) {
	r := &walkResult{services: map[string]int64{}, coinjoins: map[string]int64{}}
	pending := map[uint64]*txItem{}
	h := &txHeap{}
	push := func(txid string, taint int64, peel int) error {
		if taint < walkMinTaint {
			r.dust += taint
			return nil
		}
		id, err := chainhash.NewHashFromStr(txid)
		if err != nil {
			return err
		}
		num, ok := ix.TxNumOf(*id)
		if !ok {
			return fmt.Errorf("walk: tx %s not indexed", txid)
		}
		if it := pending[num]; it != nil {
			it.taint += taint
			it.peel = max(it.peel, peel)
			return nil
		}
		it := &txItem{num: num, txid: *id, taint: taint, peel: peel}
		pending[num] = it
		heap.Push(h, it)
		return nil
	}
	// route sends taint on output o onward.
	route := func(o index.OutputView, taint int64, peel int) error {
		if taint <= 0 {
			return nil
		}
		a := ""
		if o.Address != nil {
			a = *o.Address
		}
		if l := labels[a]; l != "" {
			r.services[l] += taint
			return nil
		}
		if o.SpentBy == nil {
			r.unspent += taint
			r.unspentN++
			return nil
		}
		return push(o.SpentBy.Txid, taint, peel)
	}
	for _, s := range starts {
		r.total += s.value
		id, _ := chainhash.NewHashFromStr(s.txid)
		tv, err := ix.Tx(*id)
		if err != nil {
			return nil, err
		}
		if err := route(tv.Outputs[s.vout], s.value, 0); err != nil {
			return nil, err
		}
	}
	for h.Len() > 0 {
		it := heap.Pop(h).(*txItem)
		delete(pending, it.num)
		if r.txs >= walkMaxTxs {
			r.truncated = true
			r.dust += it.taint
			continue
		}
		r.txs++
		tv, err := ix.Tx(it.txid)
		if err != nil {
			return nil, err
		}
		if kind := coinjoinKind(tv); kind != "" {
			r.coinjoins[kind] += it.taint
			continue
		}
		var in int64
		for _, i := range tv.Inputs {
			if i.Value != nil {
				in += *i.Value
			}
		}
		if in <= 0 {
			continue
		}
		peel := 0
		if len(tv.Inputs) == 1 && len(tv.Outputs) == 2 {
			big := max(tv.Outputs[0].Value, tv.Outputs[1].Value)
			if big*10 >= in*8 {
				r.peelHops++
				peel = it.peel + 1
				r.longestRun = max(r.longestRun, peel)
			}
		}
		var given int64
		for _, o := range tv.Outputs {
			share := int64(float64(it.taint) * float64(o.Value) / float64(in))
			given += share
			if err := route(o, share, peel); err != nil {
				return nil, err
			}
		}
		r.fees += it.taint - given
	}
	return r, nil
}

// coinjoinNames are the demo report's names of the kinds its walk stops at.
var coinjoinNames = map[classify.Kind]string{
	classify.Whirlpool:    "Whirlpool",
	classify.WhirlpoolTx0: "Whirlpool Tx0",
	classify.Wasabi1:      "Wasabi 1",
	classify.Wasabi2:      "Wasabi 2",
	classify.JoinMarket:   "JoinMarket",
	classify.CoinJoin:     "CoinJoin (no known coordinator)",
}

// coinjoinKind names the CoinJoin kind (or Whirlpool Tx0) the index stored
// for the tx at ingest, "" for none.
func coinjoinKind(tv *index.TxView) string {
	for _, k := range classify.Set(tv.KindSet).Kinds() {
		if name, ok := coinjoinNames[k]; ok {
			return name
		}
	}
	return ""
}
