package main

import (
	"io"

	"github.com/chaintrace/chaintrace/internal/index"
	"os"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
	"github.com/chaintrace/chaintrace/internal/store"
)

// `chaintrace kyt eval --truth SIMDIR --data DIR`.
func init() {
	var truthDir, rulesFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --truth SIMDIR --data DIR [--json]",
		Short: "Measure KYT alerts on a simulated theft against the simulator's books",
		Long: `eval registers every deposit at an exchange of a simulated lazarus chain (SIMDIR, indexed
under --data) as a received transfer, screens them knowing only what an investigator knows
(the simulation's investigator labels and the reported theft, whose loot addresses count as
stolen), and prints the recall of alerts over the thief's cash-out deposits (truth.json
cash_outs) and the share of ordinary customers' deposits alerted above LOW. It uses a
throwaway store (the data folder's store is not touched).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var rules *monitor.Rules
			if rulesFile != "" {
				text, err := os.ReadFile(rulesFile)
				if err != nil {
					return usageError{err}
				}
				if rules, err = monitor.ParseRules(rulesFile, text); err != nil {
					return kytUsage(err)
				}
			}
			tmp, err := os.MkdirTemp("", "chaintrace-kyt-eval-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			db, err := store.Open(tmp)
			if err != nil {
				return err
			}
			defer db.Close()
			return withIndex(func(ix *index.Index) error {
				rep, err := monitor.Eval(cmd.Context(), db, ix, truthDir, rules, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				return printView(cmd.OutOrStdout(), asJSON, rep, func(w io.Writer) { monitor.WriteEval(w, rep) })
			})
		},
	}
	cmd.Flags().StringVar(&truthDir, "truth", "", "the simulation's folder (truth.json, truth.jsonl)")
	cmd.Flags().StringVar(&rulesFile, "rules", "", "alert rules file (default: the built-in defaults)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("truth")
	kytCmd.AddCommand(cmd)
}
