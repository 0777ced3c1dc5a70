package main

import (
	"fmt"
	"io"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var (
		asJSON       bool
		kind, cursor string
		from, to     string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "txs --kind K [--from H] [--to H] [--limit N] [--cursor C] [--json]",
		Short: "List the indexed transactions of a kind (whirlpool, wasabi2, peel, …) in chain order, paged",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := classify.ParseKind(kind)
			if err != nil {
				return usageError{fmt.Errorf("--kind: %w", err)}
			}
			f, t, err := api.ParseHeights(from, to)
			if err != nil {
				return usageError{err}
			}
			c, err := api.ParseCursor(cursor)
			if err != nil {
				return usageError{err}
			}
			if limit < 0 {
				return usageError{fmt.Errorf("--limit %d: want 0 (all) or more", limit)}
			}
			return withIndex(func(ix *index.Index) error {
				warnStaleKinds(ix)
				v, err := api.TxsOfKind(cmd.Context(), ix, k, f, t, c, limit)
				if err != nil {
					return err
				}
				return printView(cmd.OutOrStdout(), asJSON, v, func(w io.Writer) {
					for _, tx := range v.Txs {
						fmt.Fprintf(w, "%7d  %s  %.2f\n", tx.BlockHeight, tx.Txid, tx.Confidence)
					}
					if v.NextCursor != nil {
						fmt.Fprintf(w, "more: --cursor %s\n", *v.NextCursor)
					}
				})
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "the kind: "+kindNames())
	cmd.Flags().StringVar(&from, "from", "", "lowest block height (default: the index's first)")
	cmd.Flags().StringVar(&to, "to", "", "highest block height (default: the tip)")
	cmd.Flags().IntVar(&limit, "limit", api.DefaultLimit, "at most this many txs (0 = all)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue from the next_cursor of a previous page")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("kind")
	rootCmd.AddCommand(cmd)
}

func kindNames() string {
	s := ""
	for i, k := range classify.Kinds {
		if i > 0 {
			s += ", "
		}
		s += string(k)
	}
	return s
}
