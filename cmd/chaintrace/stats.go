package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/spf13/cobra"
)

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [--json]",
		Short: "Show the chain index's counts and tip",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withIndex(func(ix *index.Index) error {
				st := api.StatsOf(ix)
				return printView(cmd.OutOrStdout(), asJSON, st, func(w io.Writer) {
					fmt.Fprintf(w, "network    %s\n", ix.Network().Name)
					if st.Tip != nil {
						fmt.Fprintf(w, "tip        %d %s\n", st.Tip.Height, st.Tip.Hash)
					} else {
						fmt.Fprintf(w, "tip        (empty index)\n")
					}
					fmt.Fprintf(w, "blocks     %d\ntxs        %d\ninputs     %d\noutputs    %d\naddresses  %d\n",
						st.Blocks, st.Txs, st.Inputs, st.Outputs, st.Addresses)
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}

// withIndex runs fn over the chain index under --data, opened for queries.
func withIndex(fn func(ix *index.Index) error) error {
	ix, err := openIndexRead(flagData)
	if err != nil {
		return err
	}
	defer ix.Close()
	return fn(ix)
}

// printView prints v as indented JSON when asJSON is set, else as text.
func printView(w io.Writer, asJSON bool, v any, text func(io.Writer)) error {
	if asJSON {
		return printJSON(w, v)
	}
	text(w)
	return nil
}

// openIndexRead opens the chain index under dataDir for queries; a data folder without
// one is an error that says what to do.
func openIndexRead(dataDir string) (*index.Index, error) {
	dir := index.DirIn(dataDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err != nil && errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("chain index: %w", store.AccessError(dir, "read", err))
		}
		return nil, fmt.Errorf("no chain index in %s: run chaintrace ingest first", dataDir)
	}
	ix, err := index.Open(dir, index.Options{})
	if err != nil {
		return nil, indexOpenError(dataDir, err)
	}
	return ix, nil
}

// errIndexInUse is in the chain of an error opening a chain index that another
// chaintrace process (or another open in this one) holds.
var errIndexInUse = errors.New("in use by another chaintrace process (an ingest or a server)")

// indexOpenError words a failure to open the chain index, recognising the lock that
// another chaintrace process (an ingest, a server) holds on it.
func indexOpenError(dataDir string, err error) error {
	if errors.Is(err, index.ErrUpgradeKinds) {
		return fmt.Errorf("the chain index in %s is format v3, without transaction kinds: run `chaintrace classify --data %s --rebuild` to upgrade it to v4 (or re-ingest into a new --data folder)", dataDir, dataDir)
	}
	// EAGAIN: another process holds the lock; Pebble says "lock held by current
	// process" when this one does.
	if errors.Is(err, syscall.EAGAIN) || strings.Contains(err.Error(), "lock held by current process") {
		return fmt.Errorf("the chain index in %s is %w: %w", dataDir, errIndexInUse, err)
	}
	return fmt.Errorf("open chain index in %s: %w", dataDir, err)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
