package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [--json]",
		Short: "Show the chain index's counts and tip",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ix, err := openIndexRead(flagData)
			if err != nil {
				return err
			}
			defer ix.Close()
			st := api.StatsOf(ix)
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "network    %s\n", ix.Network().Name)
			if st.Tip != nil {
				fmt.Fprintf(w, "tip        %d %s\n", st.Tip.Height, st.Tip.Hash)
			} else {
				fmt.Fprintf(w, "tip        (empty index)\n")
			}
			fmt.Fprintf(w, "blocks     %d\ntxs        %d\ninputs     %d\noutputs    %d\naddresses  %d\n",
				st.Blocks, st.Txs, st.Inputs, st.Outputs, st.Addresses)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}

// openIndexRead opens the chain index under dataDir for queries; a data folder without
// one is an error that says what to do.
func openIndexRead(dataDir string) (*index.Index, error) {
	dir := index.DirIn(dataDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("no chain index in %s: run chaintrace ingest first", dataDir)
	}
	ix, err := index.Open(dir, index.Options{})
	if err != nil {
		return nil, fmt.Errorf("open chain index in %s: %w", dataDir, err)
	}
	return ix, nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printText writes v (a JSON-tagged view) as indented "key: value" lines, the readable
// form of the query commands.
func printText(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return err
	}
	var b strings.Builder
	writeTree(&b, tree, 0)
	_, err = io.WriteString(w, b.String())
	return err
}

func writeTree(b *strings.Builder, v any, depth int) {
	pad := strings.Repeat("  ", depth)
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch c := t[k].(type) {
			case map[string]any:
				fmt.Fprintf(b, "%s%s:\n", pad, k)
				writeTree(b, c, depth+1)
			case []any:
				fmt.Fprintf(b, "%s%s: (%d)\n", pad, k, len(c))
				writeTree(b, c, depth+1)
			default:
				fmt.Fprintf(b, "%s%s: %s\n", pad, k, scalar(c))
			}
		}
	case []any:
		for i, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				fmt.Fprintf(b, "%s[%d]\n", pad, i)
				writeTree(b, e, depth+1)
			default:
				fmt.Fprintf(b, "%s- %s\n", pad, scalar(e))
			}
		}
	default:
		fmt.Fprintf(b, "%s%s\n", pad, scalar(t))
	}
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return "-"
	case string:
		return t
	case json.Number:
		return t.String()
	default:
		return fmt.Sprint(t)
	}
}
