package main

import (
	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/trace"
)

func init() {
	var (
		tf     traceFlags
		req    trace.ExposureRequest
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "exposure ADDR|CLUSTER_ID [--direction sending|receiving|both] [--json]",
		Short: "An address's exposure to attributed entities: direct and indirect, per category and entity",
		Long: `exposure walks from an address (or a cluster, cluster:ID) backward through what it received and
forward through what it sent (haircut model), stopping at attributed services, and reports each
category and entity reached: directly (the counterparty itself) or indirectly (through unattributed
intermediaries), with amounts, shares, hop counts and the shortest evidence path. See docs/tracing.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Subject = args[0]
			return withIndex(func(ix *index.Index) error {
				return tf.withAttributor(cmd.Context(), ix, func(attr trace.Attributor) error {
					tr, done, err := newTracer(ix, attr, req.Subject)
					if err != nil {
						return err
					}
					defer done()
					ex, err := tr.Exposure(cmd.Context(), req)
					if err != nil {
						return traceError(err)
					}
					if asJSON {
						return printJSON(cmd.OutOrStdout(), ex)
					}
					trace.WriteExposure(cmd.OutOrStdout(), ex)
					return nil
				})
			})
		},
	}
	tf.add(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Direction, "direction", "both", "sending, receiving or both")
	f.IntVar(&req.Limits.Hops, "hops", trace.DefaultExposureHops, "most hops to look through")
	f.Int64Var(&req.Limits.MinSat, "min-sat", trace.DefaultMinSat, "dust cut in satoshis")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}
