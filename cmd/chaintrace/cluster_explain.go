package main

import (
	"fmt"
	"io"

	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func clusterExplainCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain ADDRESS_A ADDRESS_B [--json]",
		Short: "Show the chain of merges (tx, heuristic, score) that put two addresses in one cluster",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withIndex(func(ix *index.Index) error {
				st, err := openClusterStore(flagData, ix, cluster.ChangeAny)
				if err != nil {
					return err
				}
				defer st.Close()
				a, err := addressID(ix, args[0])
				if err != nil {
					return err
				}
				b, err := addressID(ix, args[1])
				if err != nil {
					return err
				}
				v, err := st.ExplainOf(ix, a, b)
				if err != nil {
					return err
				}
				return printView(cmd.OutOrStdout(), asJSON, v, func(w io.Writer) {
					if !v.SameCluster {
						fmt.Fprintln(w, "not in one cluster")
						return
					}
					fmt.Fprintf(w, "one cluster, joined by %d merges:\n", len(v.Path))
					for _, p := range v.Path {
						fmt.Fprintf(w, "  %s — %s  %s (score %.2f) in %s\n", p.From, p.To, p.Heuristic, p.Score, p.Txid)
					}
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
