package main

import (
	"errors"
	"fmt"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Check the chain index's consistency and print its content digest",
		Long: `Check the chain index's internal consistency (chain links and work, column
lengths, spend links, txid and address maps, address postings) and print the
digest of its logical content. Two indexes of the same chain have the same
digest whatever their history of flushes, crashes and reorgs. Exits non-zero
when the index is inconsistent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withIndex(func(ix *index.Index) error {
				rep, verr := ix.Verify(cmd.Context())
				if rep == nil {
					return fmt.Errorf("verify: %w", verr)
				}
				w := cmd.OutOrStdout()
				consistent := len(rep.Problems) == 0 && verr == nil
				if asJSON {
					// The report with the verdict, so that a caller need not read the exit status.
					out := struct {
						Consistent bool `json:"consistent"`
						*index.VerifyReport
					}{consistent, rep}
					if err := printJSON(w, out); err != nil {
						return err
					}
				} else {
					status := "consistent"
					if !consistent {
						status = fmt.Sprintf("INCONSISTENT (%d problem(s))", len(rep.Problems))
					}
					fmt.Fprintf(w, "index      %s\n", status)
					fmt.Fprintf(w, "blocks     %d\ntxs        %d\ninputs     %d\noutputs    %d\naddresses  %d\npostings   %d\ndigest     %s\n",
						rep.Blocks, rep.Txs, rep.Inputs, rep.Outputs, rep.Addresses, rep.Postings, rep.Digest)
					for _, p := range rep.Problems {
						fmt.Fprintf(w, "problem    %s\n", p)
					}
				}
				if verr != nil {
					return verr
				}
				if len(rep.Problems) > 0 {
					return errors.New("the chain index is inconsistent")
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	rootCmd.AddCommand(cmd)
}
