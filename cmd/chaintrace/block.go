package main

import (
	"fmt"
	"io"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
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
			return withIndex(func(ix *index.Index) error {
				var v *index.BlockView
				if hash != nil {
					v, err = ix.BlockByHash(*hash)
				} else {
					v, err = ix.BlockByHeight(height)
				}
				if err != nil {
					return notFound(err, "block "+args[0])
				}
				return printView(cmd.OutOrStdout(), asJSON, v, func(w io.Writer) {
					fmt.Fprintf(w, "block    %d %s\n", v.Height, v.Hash)
					fmt.Fprintf(w, "parent   %s\n", v.PrevHash)
					fmt.Fprintf(w, "time     %s\n", time.Unix(v.Time, 0).UTC().Format(time.RFC3339))
					fmt.Fprintf(w, "header   version 0x%08x, bits 0x%08x, nonce %d, merkle root %s\n", uint32(v.Version), v.Bits, v.Nonce, v.MerkleRoot)
					fmt.Fprintf(w, "size     %d bytes, weight %d\n", v.Size, v.Weight)
					fmt.Fprintf(w, "fees     %s\n", optBTC(v.Fees))
					fmt.Fprintf(w, "txs      %d\n", v.TxCount)
					for i, id := range v.Txids {
						fmt.Fprintf(w, "  %4d  %s\n", i, id)
					}
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}
