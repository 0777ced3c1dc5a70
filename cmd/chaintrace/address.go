package main

import (
	"strconv"

	"github.com/chaintrace/chaintrace/internal/api"
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
			ix, err := openIndexRead(flagData)
			if err != nil {
				return err
			}
			defer ix.Close()
			if err := api.CheckAddress(ix, args[0]); err != nil {
				return usageError{err}
			}
			v, err := ix.Address(args[0], o, l)
			if err != nil {
				return notFound(err, "address "+args[0])
			}
			return printView(cmd, v, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&offset, "offset", 0, "skip this many of the address's transactions")
	cmd.Flags().IntVar(&limit, "limit", api.DefaultLimit, "show at most this many transactions")
	rootCmd.AddCommand(cmd)
}
