package main

import (
	"errors"
	"fmt"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tx TXID [--json]",
		Short: "Show an indexed transaction: inputs with the outputs they spend, outputs with their spenders",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			txid, err := api.ParseHash("txid", args[0])
			if err != nil {
				return usageError{err}
			}
			ix, err := openIndexRead(flagData)
			if err != nil {
				return err
			}
			defer ix.Close()
			v, err := ix.Tx(txid)
			if err != nil {
				return notFound(err, "transaction "+args[0])
			}
			return printView(cmd, v, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}

// notFound words index.ErrNotFound for the user.
func notFound(err error, what string) error {
	if errors.Is(err, index.ErrNotFound) {
		return fmt.Errorf("%s: not in the index", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// printView prints a query's view as JSON or as readable text.
func printView(cmd *cobra.Command, v any, asJSON bool) error {
	if asJSON {
		return printJSON(cmd.OutOrStdout(), v)
	}
	return printText(cmd.OutOrStdout(), v)
}
