package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/chaintrace/chaintrace/internal/sim"
)

func init() {
	var cfg sim.Config
	var quiet bool
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate a Bitcoin economy with known ground truth (regtest block files + truth.json)",
		Long: `simulate writes a regtest chain as Bitcoin Core block files (OUT/blocks/blk*.dat) and its ground
truth (OUT/truth.json and OUT/truth.jsonl): who owns every address, what every transaction is, and
where stolen coins went. The same seed gives byte-identical output. See docs/simulator.md.

Scenarios:
` + scenarioHelp(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Scale <= 0 {
				return usageError{fmt.Errorf("--scale %v: must be > 0", cfg.Scale)}
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			if cfg.OutDir == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			if ents, err := os.ReadDir(cfg.OutDir); err == nil && len(ents) > 0 {
				return usageError{fmt.Errorf("--out %s is not empty: refusing to overwrite it", cfg.OutDir)}
			}
			tuneGC()
			var stderr io.Writer = cmd.ErrOrStderr()
			if !quiet {
				cfg.Progress = progressPrinter(stderr, "simulate")
			}
			start := time.Now()
			h, err := sim.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			el := time.Since(start)
			if !quiet && isTerminal(stderr) {
				fmt.Fprintln(stderr)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "simulated %s (seed %d, scale %g, %s): %d blocks, %d txs, %d addresses in %s (%.0f tx/s)\n",
				h.Scenario, h.Seed, h.Scale, map[bool]string{true: "fast, unsigned", false: "signed"}[h.Fast],
				h.Blocks, h.Txs, h.Addresses, el.Round(time.Millisecond), float64(h.Txs)/el.Seconds())
			fmt.Fprintf(cmd.OutOrStdout(), "tip %s at height %d\n", h.TipHash, h.TipHeight)
			if h.Theft != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "theft %s: %s sat from %s, %d cash-outs\n", h.Theft.Txid, fmtInt(h.Theft.Amount), h.Theft.Victim, len(h.CashOuts))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s/blocks, %s/%s, %s/%s\n", cfg.OutDir, cfg.OutDir, sim.TruthHeaderFile, cfg.OutDir, sim.TruthRecordsFile)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Scenario, "scenario", sim.ScenarioLazarus, "scenario: "+strings.Join(sim.Scenarios(), ", "))
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed (same seed ⇒ byte-identical output)")
	f.Float64Var(&cfg.Scale, "scale", 1, "size: about scale × 10 000 background transactions (≥ 3 days of blocks)")
	f.BoolVar(&cfg.Fast, "fast", false, "skip signing (placeholder signatures, for benchmarks: a node rejects the blocks)")
	f.StringVar(&cfg.OutDir, "out", "", "output folder (must not exist or be empty)")
	f.BoolVar(&quiet, "no-progress", false, "no progress on stderr")
	deprecatedAlias(f, "quiet", "no-progress", &quiet)
	rootCmd.AddCommand(cmd)
}

// tuneGC trades memory for speed in the simulator, which allocates fast
// but keeps a small live heap: GOGC=300 unless the user set GOGC (about 20 %
// less CPU at 3× the live heap, a few hundred MB at most; docs/simulator.md).
// It returns a function restoring the previous setting.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(300)
	return func() { debug.SetGCPercent(old) }
}

func scenarioHelp() string {
	var b strings.Builder
	for _, n := range sim.Scenarios() {
		fmt.Fprintf(&b, "  %-8s %s\n", n, sim.ScenarioDescription(n))
	}
	return b.String()
}

// progressPrinter returns a sim.Progress callback printing a status line to
// w: redrawn every 200 ms on a terminal, a new line every 10 s otherwise.
func progressPrinter(w io.Writer, what string) func(sim.Progress) {
	var last time.Time
	start := time.Now()
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	every, prefix, suffix := 10*time.Second, "", "\n"
	if tty {
		every, prefix, suffix = 200*time.Millisecond, "\r", " "
	}
	return func(p sim.Progress) {
		if time.Since(last) < every && p.Height < p.Target {
			return
		}
		if !tty && p.Height == p.Target && last.IsZero() {
			return // a short run: no progress lines
		}
		last = time.Now()
		el := time.Since(start).Seconds()
		fmt.Fprintf(w, "%s%s: block %d/%d, %d txs, %.0f tx/s%s", prefix, what, p.Height, p.Target, p.Txs, float64(p.Txs)/max(el, 1e-3), suffix)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// fmtInt formats n with thousands separators.
func fmtInt(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
