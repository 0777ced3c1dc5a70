package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// traceFlags are the flags trace and exposure share.
type traceFlags struct {
	simLabels string
}

func (f *traceFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.simLabels, "sim-labels", "", "attribute addresses with a simulated chain's investigator labels (SIMDIR/truth.jsonl) instead of the label store")
}

// withAttributor calls fn with the address attribution the flags select:
// the simulation's investigator labels with --sim-labels, else the label
// store of the data folder (none when it has no labels).
func (f *traceFlags) withAttributor(ctx context.Context, ix *index.Index, fn func(trace.Attributor) error) error {
	if f.simLabels != "" {
		attr, err := trace.SimLabels(f.simLabels)
		if err != nil {
			return err
		}
		return fn(attr)
	}
	// The index is open here: name its network (the label store would
	// otherwise open the index to learn it).
	err := withLabels(chain.NetworkName(ix.Network()), false, func(st *labels.Store) error {
		sn, err := st.Snapshot(ctx)
		if err != nil {
			return err
		}
		return fn(trace.FromLabels(sn))
	})
	if errors.Is(err, errNoLabels) {
		return fn(nil)
	}
	return err
}

// traceError maps trace errors to exit codes: bad input and unknown
// txids/addresses are usage errors (exit 2).
func traceError(err error) error {
	if errors.Is(err, trace.ErrBadInput) || errors.Is(err, trace.ErrNotFound) || errors.Is(err, index.ErrBadAddress) {
		return usageError{err}
	}
	return err
}

func init() {
	var (
		tf       traceFlags
		backward bool
		model    string
		format   string
		req      trace.Request
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "trace (TXID[:VOUT] | ADDR) [--backward] [--model poison|haircut|fifo|tiho] [--hops N] [--min-sat N] [--through-coinjoins] [--through-mixers] [--format json|csv|graphml|dot]",
		Short: "Follow coins forward (where did they go) or backward (where did they come from)",
		Long: `trace follows the coins of an output (TXID:VOUT), of every output of a tx (TXID), or of everything
an address received, through the chain index under a taint model, and reports where they ended:
attributed services (the trace stops there), CoinJoins, unspent outputs; with the path of txids as
evidence. Addresses are attributed with the data folder's label store (chaintrace labels import), or
with a simulated chain's investigator labels (--sim-labels). Without --format it prints a summary.
Unknown txids and addresses, vouts out of range and bad limits exit with code 2. See docs/tracing.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := trace.ParseModel(model)
			if err != nil {
				return usageError{err}
			}
			switch format {
			case "", "json", "csv", "graphml", "dot", "text":
			default:
				return usageError{fmt.Errorf("--format %q: want json, csv, graphml or dot", format)}
			}
			if cmd.Flags().Changed("hops") && req.Limits.Hops <= 0 {
				return usageError{fmt.Errorf("--hops %d: must be at least 1", req.Limits.Hops)}
			}
			if cmd.Flags().Changed("nodes") && req.Limits.Nodes <= 0 {
				return usageError{fmt.Errorf("--nodes %d: must be at least 1", req.Limits.Nodes)}
			}
			req.From, req.Model, req.Limits.Timeout = args[0], m, timeout
			req.Direction = trace.Forward
			if backward {
				req.Direction = trace.Backward
			}
			return withIndex(func(ix *index.Index) error {
				return tf.withAttributor(cmd.Context(), ix, func(attr trace.Attributor) error {
					tr, done, err := newTracer(ix, attr, req.From)
					if err != nil {
						return err
					}
					defer done()
					res, err := tr.Trace(cmd.Context(), req)
					if err != nil {
						return traceError(err)
					}
					return trace.Write(cmd.OutOrStdout(), res, format)
				})
			})
		},
	}
	f := cmd.Flags()
	tf.add(cmd)
	f.BoolVar(&backward, "backward", false, "trace backward: where the coins came from")
	f.StringVar(&model, "model", "haircut", "taint model: poison, haircut, fifo, tiho")
	f.StringVar(&format, "format", "", "output: json, csv (endpoints), graphml, dot (flow graph); default a summary")
	f.IntVar(&req.Limits.Hops, "hops", trace.DefaultHops, "most txs to follow a coin through (a peel chain counts as one)")
	f.Int64Var(&req.Limits.MinSat, "min-sat", trace.DefaultMinSat, "dust cut: taint below this many satoshis is not followed")
	f.Int64Var(&req.Limits.FromHeight, "from-height", 0, "follow only txs at or above this height")
	f.Int64Var(&req.Limits.ToHeight, "to-height", 0, "follow only txs at or below this height")
	f.IntVar(&req.Limits.Nodes, "nodes", trace.DefaultNodes, "most txs to visit")
	f.DurationVar(&timeout, "timeout", trace.DefaultTimeout, "stop the trace after this long")
	f.Float64Var(&req.Limits.MinConfidence, "min-confidence", trace.DefaultMinConfidence, "endpoints below this confidence are candidates, not findings")
	f.BoolVar(&req.ThroughCoinJoins, "through-coinjoins", false, "follow CoinJoin outputs (equal outputs with confidence 1/anonymity set)")
	f.BoolVar(&req.FollowPeels, "follow-peels", false, "follow a peel chain's payments to unattributed recipients further (default: they are endpoints)")
	f.BoolVar(&req.ThroughMixers, "through-mixers", false, "match deposits into attributed custodial mixers with their payouts")
	rootCmd.AddCommand(cmd)
}

func init() {
	var (
		truthDir string
		asJSON   bool
		hops     int
	)
	cmd := &cobra.Command{
		Use:   "eval --truth SIMDIR --data DIR [--json]",
		Short: "Score every taint model against a simulated theft's loot books",
		Long: `eval traces a simulated lazarus theft (SIMDIR from chaintrace simulate, indexed under --data)
forward under each taint model, without and with pass-through (CoinJoins and custodial mixers), and
prints the satoshi-weighted precision and recall of the stolen coins its findings attribute to
exchange deposits against the simulator's books, and the same counted in deposits. Addresses are
attributed with the simulation's investigator labels only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if truthDir == "" {
				return usageError{errors.New("--truth SIMDIR is required")}
			}
			h, err := sim.ReadHeader(truthDir)
			if err != nil {
				return usageError{fmt.Errorf("--truth %s: %w", truthDir, err)}
			}
			attr, err := trace.SimLabels(truthDir)
			if err != nil {
				return err
			}
			return withIndex(func(ix *index.Index) error {
				rep, err := trace.Eval(cmd.Context(), trace.New(ix, attr, nil), h, trace.Limits{Hops: hops})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), rep)
				}
				trace.WriteEval(cmd.OutOrStdout(), rep)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&truthDir, "truth", "", "the simulation's folder (truth.json, truth.jsonl)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&hops, "hops", 50, "hop limit of the traces")
	for _, c := range rootCmd.Commands() {
		if c.Name() == "trace" {
			c.AddCommand(cmd)
		}
	}
}

// newTracer returns a tracer over ix with attr; when subject names a cluster
// ("cluster:ID" or a bare number) it opens the data folder's clustering for
// it, and close releases it.
func newTracer(ix *index.Index, attr trace.Attributor, subject string) (tr *trace.Tracer, close func(), err error) {
	tr = trace.New(ix, attr, nil)
	id := strings.TrimPrefix(subject, "cluster:")
	if _, perr := strconv.ParseUint(id, 10, 64); perr != nil || id == "" {
		return tr, func() {}, nil
	}
	st, err := openClusterStore(flagData, ix, cluster.ChangeAny)
	if err != nil {
		return nil, nil, fmt.Errorf("open the clustering for %s: %w", subject, err)
	}
	return tr.WithClusters(st), func() { st.Close() }, nil
}
