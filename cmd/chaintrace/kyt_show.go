package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// `chaintrace kyt show EXTERNALID`.
func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show EXTERNALID",
		Short: "Show a registered transfer with its alerts and exposure",
		Long: `Show a transfer as GET /v1/kyt/transfers/{externalId} does, with its alerts and the
exposure lines of its latest screening.

JSON: {"transfer":{…},"alerts":[…],"exposures":{"direct":[…],"indirect":[…]}}`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, false)
			if err != nil {
				return err
			}
			defer k.Close()
			t, err := k.svc.Transfer(ctx, args[0])
			if err != nil {
				return kytUsage(err)
			}
			as, err := k.svc.TransferAlerts(ctx, args[0])
			if err != nil {
				return err
			}
			ex, err := k.svc.TransferExposures(ctx, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, struct {
					Transfer  *monitor.Transfer  `json:"transfer"`
					Alerts    []monitor.Alert    `json:"alerts"`
					Exposures *monitor.Exposures `json:"exposures"`
				}{t, as, ex})
			}
			fmt.Fprintf(out, "transfer   %s\nuser       %s\nreference  %s (%s)\nstatus     %s\n", t.ExternalID, t.UserID, t.TransferReference, t.Direction, t.Status)
			if t.Error != "" {
				fmt.Fprintf(out, "error      %s\n", t.Error)
			}
			if t.AssetAmount != nil {
				fmt.Fprintf(out, "amount     %s\n", sat(*t.AssetAmount))
			}
			if t.Timestamp != nil {
				fmt.Fprintf(out, "block time %s\n", t.Timestamp.Format("2006-01-02 15:04:05 UTC"))
			}
			if t.ScreenedAt != nil {
				fmt.Fprintf(out, "screened   %s (screening %d: %s; %s; rules v%d)\n", t.ScreenedAt.Format("2006-01-02 15:04:05 UTC"),
					ex.ScreeningID, ex.Reason, ex.Sources, ex.Rules)
			}
			fmt.Fprintf(out, "alerts     %d\n", len(as))
			for _, a := range as {
				printAlertLine(out, a)
			}
			for _, group := range [][]monitor.Line{ex.Direct, ex.Indirect} {
				for _, l := range group {
					fmt.Fprintf(out, "exposure   %-8s %-10s %q %s share %.3f hops %d via %v (%s)\n", l.ExposureType, l.Category, l.Entity,
						sat(l.Amount), l.Share, l.Hops, l.Path, l.Source)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	kytCmd.AddCommand(cmd)
}
