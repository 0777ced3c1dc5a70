package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func clusterEvalCmd() *cobra.Command {
	var (
		asJSON bool
		truth  string
	)
	cmd := &cobra.Command{
		Use:   "eval --truth SIMDIR [--json]",
		Short: "Measure clustering against a simulated chain's true owners (pairwise precision and recall)",
		Long: `Clusters the --data index once per --change setting (off = multi-input only,
strict, on) into temporary folders and compares each with the simulator's
truth (SIMDIR/truth.jsonl, owners at actor level): pairwise precision and
recall over address pairs (counted from cluster × owner contingency counts),
and the largest cluster against the largest true owner. The investigator's
known labels in the truth feed the label guard.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if truth == "" {
				return usageError{errors.New("eval: --truth SIMDIR is required")}
			}
			return withIndex(func(ix *index.Index) error {
				tr, err := cluster.ReadTruth(truth, ix)
				if err != nil {
					return err
				}
				var out []cluster.Eval
				for _, mode := range cluster.ChangeModes {
					dir, err := os.MkdirTemp(flagData, "cluster-eval-")
					if err != nil {
						return err
					}
					opt := cluster.Options{Change: mode, MultiParty: cluster.ClassifierMultiParty(ix)}
					opt.Labeler = cluster.NewTruthLabeler(tr, ix)
					st, err := cluster.Open(dir, opt)
					if err == nil {
						err = st.Sync(ix, nil)
						if err == nil {
							out = append(out, st.Evaluate(tr))
						}
						st.Close()
					}
					os.RemoveAll(dir)
					if err != nil {
						return err
					}
				}
				return printView(cmd.OutOrStdout(), asJSON, out, func(w io.Writer) {
					fmt.Fprintf(w, "%-7s %9s %9s %9s %8s %8s %7s %s\n", "change", "precision", "recall", "clusters", "largest", "owner", "ratio", "merges (wrong): multi-input, change; refused, held")
					for _, e := range out {
						fmt.Fprintf(w, "%-7s %9.4f %9.4f %9d %8d %8d %7.3f %d (%d), %d (%d); %d, %d\n", e.Change, e.Precision, e.Recall, e.Clusters,
							e.LargestCluster, e.LargestOwner, e.LargestRatio, e.MultiInput, e.WrongMultiInput, e.ChangeMerges, e.WrongChange, e.RefusedLabels, e.HeldSize)
					}
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&truth, "truth", "", "simulator output folder (with truth.jsonl)")
	return cmd
}
