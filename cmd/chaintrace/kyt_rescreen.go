package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// `chaintrace kyt rescreen [--transfer ID] [--since T]`.
func init() {
	var transfer, since string
	var noScreen bool
	cmd := &cobra.Command{
		Use:   "rescreen [--transfer EXTERNALID] [--since DURATION|TIME]",
		Short: "Screen registered transfers again (new rules, lists, labels or blocks)",
		Long: `Queue screened transfers for another screening: all of them, one (--transfer), or
those registered since a time (--since 72h, or an RFC 3339 time / date). A screening
that finds something new raises a new alert linked to the earlier one; earlier
screenings and alerts are kept. A running server re-screens by itself when a list
version or a label import changes, and the recent transfers on new blocks.
The queued transfers are screened here when the chain index is free (--no-screen:
leave them to a running server).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := monitor.RescreenFilter{ExternalID: transfer}
			if since != "" {
				if d, err := time.ParseDuration(since); err == nil {
					f.Since = time.Now().Add(-d)
				} else if f.Since, err = monitor.ParseTimeBound("--since", since); err != nil {
					return kytUsage(err)
				}
			}
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, !noScreen)
			if err != nil {
				return err
			}
			defer k.Close()
			start := time.Now()
			n, err := k.svc.Rescreen(ctx, f, "rescreen command")
			if err != nil {
				return kytUsage(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "queued %d transfer(s) for re-screening\n", n)
			if !noScreen {
				if err := k.drain(ctx, cmd.ErrOrStderr()); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "done in %s\n", time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&transfer, "transfer", "", "only this transfer (externalId)")
	cmd.Flags().StringVar(&since, "since", "", "only transfers registered since (a duration like 72h, or a time)")
	cmd.Flags().BoolVar(&noScreen, "no-screen", false, "only queue (a running server screens them)")
	kytCmd.AddCommand(cmd)
}
