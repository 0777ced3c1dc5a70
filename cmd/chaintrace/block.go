package main

import (
	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/spf13/cobra"
)

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "block HEIGHT|HASH [--json]",
		Short: "Show an indexed block by height or hash",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			height, hash, err := api.ParseBlockID(args[0])
			if err != nil {
				return usageError{err}
			}
			ix, err := openIndexRead(flagData)
			if err != nil {
				return err
			}
			defer ix.Close()
			var v any
			if hash != nil {
				v, err = ix.BlockByHash(*hash)
			} else {
				v, err = ix.BlockByHeight(height)
			}
			if err != nil {
				return notFound(err, "block "+args[0])
			}
			return printView(cmd, v, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}
