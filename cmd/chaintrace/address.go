package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var (
		asJSON        bool
		offset, limit int
	)
	cmd := &cobra.Command{
		Use:   "address ADDRESS [--offset N] [--limit N] [--json]",
		Short: "Show an address's balance and transactions (paged)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, l, err := api.ParsePage(strconv.Itoa(offset), strconv.Itoa(limit))
			if err != nil {
				return usageError{err}
			}
			return withIndex(func(ix *index.Index) error {
				v, err := ix.Address(args[0], o, l)
				if errors.Is(err, index.ErrBadAddress) {
					return usageError{err}
				}
				if err != nil {
					return notFound(err, "address "+args[0])
				}
				return printView(cmd.OutOrStdout(), asJSON, v, func(w io.Writer) {
					fmt.Fprintf(w, "address   %s (%s)\n", v.Address, v.Type)
					fmt.Fprintf(w, "balance   %s (received %s, sent %s)\n", fmtBTC(v.Balance), fmtBTC(v.Received), fmtBTC(v.Sent))
					fmt.Fprintf(w, "seen      heights %d to %d\n", v.FirstSeenHeight, v.LastSeenHeight)
					fmt.Fprintf(w, "txs       %d (showing %d from offset %d)\n", v.TxCount, len(v.Txs), v.Offset)
					for _, t := range v.Txs {
						fmt.Fprintf(w, "  %7d  %s  +%s  -%s\n", t.BlockHeight, t.Txid, fmtBTC(t.Received), fmtBTC(t.Sent))
					}
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&offset, "offset", 0, "skip this many of the address's transactions")
	cmd.Flags().IntVar(&limit, "limit", api.DefaultLimit, "show at most this many transactions")
	rootCmd.AddCommand(cmd)
}
