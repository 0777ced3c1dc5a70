package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// `chaintrace kyt register --user U [--direction received|sent] REF...`.
func init() {
	var user, direction, network, asset string
	var noScreen, asJSON bool
	cmd := &cobra.Command{
		Use:   "register --user USER [--direction received|sent] TXID:VOUT|TXID:ADDRESS...",
		Short: "Register transfers for screening (idempotent: the same transfer keeps its externalId)",
		Long: `Register one or more transfers of a user: a deposit (--direction received) or a
withdrawal (sent), identified by TXID:VOUT or TXID:ADDRESS. Each gets an externalId;
registering the same transfer again returns the same one. The transfers are then
screened here when the chain index is free (--no-screen: leave them to a running
server); a transfer whose tx is not indexed yet stays pending and is screened when
its block arrives.

Output: one line per transfer, "EXTERNALID STATUS REFERENCE" (JSON with --json:
[{"externalId","status","created"}]).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, !noScreen)
			if err != nil {
				return err
			}
			defer k.Close()
			type row struct {
				ExternalID string `json:"externalId"`
				Status     string `json:"status"`
				Created    bool   `json:"created"`
				Reference  string `json:"transferReference"`
			}
			var rows []row
			for _, ref := range args {
				t, created, err := k.svc.Register(ctx, user, monitor.RegisterRequest{Network: network, Asset: asset,
					TransferReference: ref, Direction: direction})
				if err != nil {
					return kytUsage(fmt.Errorf("%s: %w", ref, err))
				}
				rows = append(rows, row{t.ExternalID, t.Status, created, t.TransferReference})
			}
			out := cmd.OutOrStdout()
			if !noScreen {
				if err := k.drain(ctx, cmd.ErrOrStderr()); err != nil {
					return err
				}
				for i := range rows {
					if t, err := k.svc.Transfer(ctx, rows[i].ExternalID); err == nil {
						rows[i].Status = t.Status
					}
				}
			}
			if asJSON {
				return printJSON(out, rows)
			}
			for _, r := range rows {
				note := ""
				if !r.Created {
					note = " (registered before)"
				}
				fmt.Fprintf(out, "%s %s %s%s\n", r.ExternalID, r.Status, r.Reference, note)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the exchange's user id (required)")
	f.StringVar(&direction, "direction", "received", "received (a deposit) or sent (a withdrawal)")
	f.StringVar(&network, "network", monitor.NetworkBitcoin, "network")
	f.StringVar(&asset, "asset", monitor.AssetBTC, "asset")
	f.BoolVar(&noScreen, "no-screen", false, "only queue the transfers (a running server screens them)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("user")
	kytCmd.AddCommand(cmd)
}
