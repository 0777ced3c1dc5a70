package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func clusterVerifyCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Check the clustering's consistency and print its digest",
		Long: `Brings the clustering to the index's tip, checks the union-find invariants
(every member list closes on its root with exactly its size; sizes add up to
the address count) and prints a digest of every address's cluster and the
merge log. The same chain gives the same digest whatever the history of
crashes, resumes, reorgs and rebuilds.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withIndex(func(ix *index.Index) error {
				st, err := openClusterStore(flagData, ix, cluster.ChangeAny)
				if err != nil {
					return err
				}
				defer st.Close()
				d, err := st.Verify()
				if err != nil {
					return fmt.Errorf("the clustering is inconsistent: %w (run chaintrace cluster --rebuild)", err)
				}
				out := struct {
					cluster.Stats
					Consistent bool   `json:"consistent"`
					Digest     string `json:"digest"`
				}{st.Stats(), true, hex.EncodeToString(d[:])}
				return printView(cmd.OutOrStdout(), asJSON, out, func(w io.Writer) {
					fmt.Fprintf(w, "clustering consistent\nheight     %d\ntxs        %d\naddresses  %d\nmerge log  %d records\nchange     %s\ndigest     %s\n",
						out.Height, out.Txs, out.Addresses, out.LogRecords, out.Change, out.Digest)
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
