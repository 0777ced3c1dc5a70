package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/classify"
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
			return withIndex(func(ix *index.Index) error {
				v, err := ix.Tx(txid)
				if err != nil {
					return notFound(err, "transaction "+args[0])
				}
				t, _ := ix.TxNumOf(txid)
				kv := api.TxWithKinds{TxView: v, Kinds: api.TxKinds(ix, t)}
				return printView(cmd.OutOrStdout(), asJSON, kv, func(w io.Writer) { printTx(w, v) })
			})
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

// printTx writes a transaction as readable text.
func printTx(w io.Writer, v *index.TxView) {
	fmt.Fprintf(w, "tx       %s\n", v.Txid)
	fmt.Fprintf(w, "block    %d %s\n", v.BlockHeight, v.BlockHash)
	fmt.Fprintf(w, "size     %d bytes, %d vbytes, weight %d; version %d, locktime %d\n", v.Size, v.Vsize, v.Weight, v.Version, v.LockTime)
	fmt.Fprintf(w, "fee      %s\n", optBTC(v.Fee))
	fmt.Fprintf(w, "kinds    %s\n", classify.Set(v.KindSet))
	fmt.Fprintf(w, "inputs   %d\n", len(v.Inputs))
	for i, in := range v.Inputs {
		if in.Coinbase {
			fmt.Fprintf(w, "  %4d  coinbase\n", i)
			continue
		}
		fmt.Fprintf(w, "  %4d  %s  %s  from %s:%d\n", i, optBTC(in.Value), optStr(in.Address), in.PrevTxid, in.PrevVout)
	}
	fmt.Fprintf(w, "outputs  %d\n", len(v.Outputs))
	for _, out := range v.Outputs {
		spent := "unspent"
		if out.SpentBy != nil {
			spent = fmt.Sprintf("spent by %s:%d", out.SpentBy.Txid, out.SpentBy.Vin)
		}
		addr := optStr(out.Address)
		if len(out.Addresses) > 1 {
			addr = strings.Join(out.Addresses, ",")
		}
		fmt.Fprintf(w, "  %4d  %s  %-9s %s  %s\n", out.N, fmtBTC(out.Value), out.ScriptType, addr, spent)
	}
}

// fmtBTC formats satoshis as BTC with 8 decimals.
func fmtBTC(sat int64) string {
	sign := ""
	if sat < 0 {
		sign, sat = "-", -sat
	}
	return fmt.Sprintf("%s%d.%08d BTC", sign, sat/1e8, sat%1e8)
}

func optBTC(sat *int64) string {
	if sat == nil {
		return "unknown (spent output not indexed)"
	}
	return fmtBTC(*sat)
}

func optStr(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
