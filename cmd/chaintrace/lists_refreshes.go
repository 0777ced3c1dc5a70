package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// `chaintrace lists refreshes`: the history kept by `serve --refresh`.
func init() {
	var f struct {
		json  bool
		limit int
	}
	cmd := &cobra.Command{
		Use:   "refreshes [--json] [--limit N]",
		Short: "Show the outcomes of serve --refresh, newest first (with each new version's diff in --json)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.limit < 1 {
				return usageError{fmt.Errorf("--limit %d: want at least 1", f.limit)}
			}
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			rs, err := st.Refreshes(cmd.Context(), f.limit)
			if err != nil {
				return err
			}
			if f.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rs)
			}
			if len(rs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no refreshes recorded: `chaintrace serve --refresh 24h` fetches the lists on a schedule")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FETCHED\tSOURCE\tOUTCOME\tFROM\tTO\tCHANGES\tERROR")
			for _, r := range rs {
				changes := "-"
				if d := r.Diff; d != nil {
					changes = fmt.Sprintf("+%d -%d ~%d entities, +%d -%d addresses", len(d.Added), len(d.Removed), len(d.Changed), len(d.AddedAddresses), len(d.RemovedAddresses))
				}
				errText := r.Error
				if len(errText) > 80 {
					errText = errText[:80] + "…"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Fetched.Format(time.RFC3339), r.Source, r.Outcome, r.From, r.To, changes, errText)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON (with the diffs)")
	cmd.Flags().IntVar(&f.limit, "limit", 50, "most recent refreshes shown")
	for _, c := range rootCmd.Commands() {
		if c.Name() == "lists" {
			c.AddCommand(cmd)
			return
		}
	}
	panic("lists_refreshes.go: the lists command is not registered yet")
}
