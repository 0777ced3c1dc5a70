package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var (
		asJSON  bool
		page    int
		rebuild bool
		change  string
	)
	cmd := &cobra.Command{
		Use:   "cluster ADDRESS [--page N] [--json] | --rebuild [--change off|strict|on]",
		Short: "Show the cluster (likely one owner) of an address; rebuild the clustering",
		Long: `Addresses are clustered by common-input ownership (every non-coinbase tx
except CoinJoins and other multi-party txs) and, by default, by change
outputs that enough independent evidence singles out (--change strict).
Ingest clusters block by block; this command catches up first when the
index is ahead. --rebuild recomputes the clustering from scratch (needed
to switch --change). See docs/clustering.md.`,
		Example: `  chaintrace cluster --data DIR bcrt1q... --json
  chaintrace cluster --data DIR --rebuild --change on
  chaintrace cluster explain --data DIR ADDR_A ADDR_B --json
  chaintrace cluster eval --data DIR --truth SIMDIR --json`,
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if rebuild {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode := cluster.ChangeAny
			if cmd.Flags().Changed("change") || rebuild {
				m, err := cluster.ParseChangeMode(change)
				if err != nil {
					return usageError{fmt.Errorf("--change: %w", err)}
				}
				mode = m
			}
			if page < 0 {
				return usageError{fmt.Errorf("--page %d: must not be negative", page)}
			}
			return withIndex(func(ix *index.Index) error {
				if rebuild {
					return runRebuild(cmd.OutOrStdout(), ix, mode)
				}
				st, err := openClusterStore(flagData, ix, mode)
				if err != nil {
					return err
				}
				defer st.Close()
				id, err := addressID(ix, args[0])
				if err != nil {
					return err
				}
				var src cluster.LabelSource
				if ls := loadClusterLabels(cmd.Context(), flagData, ix.Network()); ls != nil {
					src = ls
				}
				v, err := st.ViewOf(ix, src, id, page)
				if err != nil {
					return err
				}
				return printView(cmd.OutOrStdout(), asJSON, v, func(w io.Writer) { printCluster(w, v) })
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&page, "page", 0, fmt.Sprintf("page of the cluster's addresses (%d a page, from 0)", cluster.PageSize))
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "recompute the clustering from the index")
	cmd.Flags().StringVar(&change, "change", "strict", "change heuristics: off (multi-input only), strict (the default: two heuristics agree; meets the precision goal, see docs/clustering.md) or on (one strong heuristic)")
	cmd.AddCommand(clusterExplainCmd(), clusterEvalCmd(), clusterVerifyCmd())
	rootCmd.AddCommand(cmd)
}

// addressID parses addr and returns its index id (exit 2 for a malformed
// address, "not in the index" for an unknown one).
func addressID(ix *index.Index, addr string) (uint64, error) {
	a, err := chain.ParseAddr(addr, ix.Network())
	if err != nil {
		return 0, usageError{fmt.Errorf("%w: %w", index.ErrBadAddress, err)}
	}
	id, ok := ix.AddressID(a.Key())
	if !ok {
		return 0, fmt.Errorf("address %s: not in the index", addr)
	}
	return id, nil
}

// runRebuild recomputes the data folder's clustering into a fresh folder
// and swaps it in when done (the old one serves until then).
func runRebuild(w io.Writer, ix *index.Index, mode cluster.ChangeMode) error {
	dir := cluster.DirIn(flagData)
	tmp := dir + ".rebuild"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	st, err := cluster.Open(tmp, clusterOptions(flagData, ix, mode))
	if err != nil {
		return err
	}
	if err := syncCluster(st, ix); err != nil {
		st.Close()
		return err
	}
	stats := st.Stats()
	if err := st.Close(); err != nil {
		return err
	}
	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	fmt.Fprintf(w, "cluster: rebuilt to height %d (%d txs, %d addresses, %d merge-log records, --change %s) in %s\n",
		stats.Height, stats.Txs, stats.Addresses, stats.LogRecords, stats.Change, filepath.Base(dir))
	return nil
}

func printCluster(w io.Writer, v *cluster.View) {
	fmt.Fprintf(w, "cluster   %d (%d addresses)\n", v.ClusterID, v.Size)
	fmt.Fprintf(w, "balance   %s (received %s, sent %s)\n", fmtBTC(v.Balance), fmtBTC(v.Received), fmtBTC(v.Sent))
	fmt.Fprintf(w, "seen      heights %d to %d, %d txs\n", v.FirstSeenHeight, v.LastSeenHeight, v.TxCount)
	for _, l := range v.Labels {
		fmt.Fprintf(w, "label     %s (%s, %s, confidence %.2f) on %s\n", l.Label, l.Category, l.Source, l.Confidence, l.Address)
	}
	if len(v.LabelConflicts) > 0 {
		fmt.Fprintf(w, "CONFLICT  service labels %q in one cluster\n", v.LabelConflicts)
	}
	fmt.Fprintf(w, "addresses page %d:\n", v.Page)
	for _, a := range v.Addresses {
		fmt.Fprintf(w, "  %s\n", a)
	}
}
