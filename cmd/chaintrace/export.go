package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chaintrace/chaintrace/internal/export"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var (
		format, out string
		from, to    int64
	)
	cmd := &cobra.Command{
		Use:   "export --format parquet|csv --out DIR [--from H --to H]",
		Short: "Write the chain index as Parquet or CSV tables: txs, inputs, outputs, addresses",
		Long: `Write the chain index (blocks --from…--to, default all) as four tables in --out:
txs, inputs, outputs and addresses (those first seen in the range, with their totals),
as Parquet (zstd) or CSV with a header row, readable by Spark, DuckDB and PostgreSQL COPY.
The schema is in docs/export.md. Works while an ingest writes (it exports the last commit).`,
		Example: `  chaintrace export --data DIR --format parquet --out exported
  chaintrace export --data DIR --format csv --out exported --from 100000 --to 100999`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "parquet" && format != "csv" {
				return usageError{fmt.Errorf("--format %q: want parquet or csv", format)}
			}
			if out == "" {
				return usageError{errors.New("export: --out DIR is required")}
			}
			if cmd.Flags().Changed("from") && cmd.Flags().Changed("to") && from > to {
				return usageError{fmt.Errorf("--from %d is after --to %d", from, to)}
			}
			return withIndex(func(ix *index.Index) error {
				last := time.Now()
				s, err := export.Run(ix, export.Options{Format: format, Out: out, From: from, To: to, Progress: func(h int64) {
					if time.Since(last) > 5*time.Second {
						last = time.Now()
						slog.Info("export", "height", h)
					}
				}})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "export: heights %d–%d: %d txs, %d inputs, %d outputs, %d addresses → %v\n",
					s.From, s.To, s.Txs, s.Inputs, s.Outputs, s.Addresses, s.Files)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "parquet", "parquet or csv")
	f.StringVar(&out, "out", "", "output folder (created; existing tables are overwritten)")
	f.Int64Var(&from, "from", 0, "first height (default: the index's first block)")
	f.Int64Var(&to, "to", -1, "last height (default: the tip)")
	rootCmd.AddCommand(cmd)
}
