package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/spf13/cobra"
)

// `chaintrace labels …`: import, show and delete address labels.
func init() {
	var network string
	labelsCmd := &cobra.Command{
		Use:   "labels",
		Short: "Import, show and delete address labels (TagPacks, CSV, STIX); lists the datasets without a subcommand",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := withLabels(network, false, func(st *labels.Store) error {
				ds, err := st.Datasets(cmd.Context())
				if err != nil {
					return err
				}
				if len(ds) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no labels imported yet: try `chaintrace labels import`")
					return nil
				}
				names := make([]string, 0, len(ds))
				for d := range ds {
					names = append(names, d)
				}
				sort.Strings(names)
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "DATASET\tLABELS")
				for _, d := range names {
					fmt.Fprintf(tw, "%s\t%d\n", d, ds[d])
				}
				return tw.Flush()
			})
			if errors.Is(err, errNoLabels) {
				fmt.Fprintln(cmd.ErrOrStderr(), "no labels imported yet: try `chaintrace labels import`")
				return nil
			}
			return err
		},
	}
	labelsCmd.PersistentFlags().StringVar(&network, "network", "", "network the addresses are of: "+strings.Join(chain.NetworkNames(), ", ")+" (default: the chain index's, else mainnet)")

	var imp struct {
		format, dataset string
		defaults        labels.Defaults
		columns         []string
		asJSON          bool
	}
	importCmd := &cobra.Command{
		Use:   "import --format tagpack|csv|stix FILE...",
		Short: "Import label files in one transaction (a refused file changes nothing; a second import of a file changes nothing)",
		Long: `Import label files into the store under --data, all in ONE transaction: a
malformed file, an unknown category, an invalid or other-network address
refuses the whole import with the file and line, and nothing is stored. A label
already stored (same address, source, label and category) is kept as it is, so
importing a file twice changes nothing.

Formats:
  tagpack  GraphSense TagPack (YAML); header fields apply to every tag unless
           the tag sets its own; tags of other currencies are counted and skipped
  csv      a header row naming address,label,category,source,confidence (and
           optionally actor, abuse, currency); other columns are ignored and
           named; --column FILE_COLUMN=COLUMN renames one
  stix     a STIX 2.1 bundle: indicators whose pattern compares
           cryptocurrency-wallet:value, x-cryptocurrency-wallet:value,
           x-opencti-cryptocurrency-wallet:value or x-crypto:value (= or IN, also
           inside OR); other indicators are counted and skipped

Categories: ` + strings.Join(labels.Categories, ", ") + `
(GraphSense concepts such as mixing_service or market are mapped; see docs/labels.md).
Confidence: a number from 0 to 1, or a GraphSense name (` + strings.Join(labels.ConfidenceNames(), ", ") + `).

--category, --source, --confidence and --label fill records that leave them
empty, e.g. for the BitcoinHeist ransomware data set:
  chaintrace labels import --format csv --category ransomware --source BitcoinHeist \
      --confidence forensic bitcoinheist-ransomware-sample.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(labels.Formats, imp.format) {
				return usageError{fmt.Errorf("--format %q: want one of %s", imp.format, strings.Join(labels.Formats, ", "))}
			}
			cols := map[string]string{}
			for _, c := range imp.columns {
				from, to, ok := strings.Cut(c, "=")
				if !ok || from == "" || to == "" {
					return usageError{fmt.Errorf("--column %q: want FILE_COLUMN=COLUMN, e.g. family=label", c)}
				}
				cols[strings.ToLower(from)] = strings.ToLower(to)
			}
			var inputs []labels.Input
			for _, p := range args {
				f, err := os.Open(p)
				if err != nil {
					return fmt.Errorf("refused, nothing changed: %w", err)
				}
				defer f.Close()
				inputs = append(inputs, labels.Input{Name: p, Format: imp.format, R: f})
			}
			return withLabels(network, true, func(st *labels.Store) error {
				ew := cmd.ErrOrStderr()
				sum, err := st.Import(cmd.Context(), inputs, labels.ImportOptions{
					Dataset: imp.dataset, Defaults: imp.defaults, Columns: cols,
					Progress: func(file string, n int) { fmt.Fprintf(ew, "labels: %s: %d records read…\n", file, n) },
				})
				if errors.Is(err, labels.ErrOptions) {
					return usageError{err}
				}
				if err != nil {
					return fmt.Errorf("refused, nothing changed: %w", err)
				}
				if imp.asJSON {
					return printJSON(cmd.OutOrStdout(), sum)
				}
				printImport(cmd.OutOrStdout(), sum)
				return nil
			})
		},
	}
	fl := importCmd.Flags()
	fl.StringVar(&imp.format, "format", "", "file format: "+strings.Join(labels.Formats, ", "))
	fl.StringVar(&imp.dataset, "dataset", "", "name of this import (default: each file's name); `labels delete --source` accepts it")
	fl.StringVar(&imp.defaults.Category, "category", "", "category for records without one")
	fl.StringVar(&imp.defaults.Source, "source", "", "source for records without one (default: the dataset)")
	fl.StringVar(&imp.defaults.Confidence, "confidence", "", "confidence for records without one (default: unknown = 0.05)")
	fl.StringVar(&imp.defaults.Label, "label", "", "label for records without one")
	fl.StringSliceVar(&imp.columns, "column", nil, "CSV column rename FILE_COLUMN=COLUMN (repeatable)")
	fl.BoolVar(&imp.asJSON, "json", false, "print the summary as JSON")

	var showJSON bool
	showCmd := &cobra.Command{
		Use:   "show ADDRESS [--json]",
		Short: "Show an address's labels, with those of the sanctions lists in force",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLabels(network, false, func(st *labels.Store) error {
				ls, err := st.LabelsOf(cmd.Context(), args[0])
				if errors.Is(err, labels.ErrBadAddress) {
					return usageError{err}
				}
				if err != nil {
					return err
				}
				addr := args[0]
				if c, _, err := labels.CanonicalAddress(addr, st.Network()); err == nil {
					addr = c
				}
				ans := api.LabelsAnswer{Address: addr, Labels: ls}
				return printView(cmd.OutOrStdout(), showJSON, ans, func(w io.Writer) {
					if len(ls) == 0 {
						fmt.Fprintf(w, "%s: no labels\n", addr)
						return
					}
					fmt.Fprintf(w, "%s: %d label(s)\n", addr, len(ls))
					for _, l := range ls {
						where := l.Dataset
						if l.Line > 0 {
							where = fmt.Sprintf("%s:%d", l.Dataset, l.Line)
						}
						fmt.Fprintf(w, "  %-11s %s  (confidence %.2f; source %s; from %s)\n", l.Category, l.Label, l.Confidence, l.Source, where)
					}
				})
			})
		},
	}
	showCmd.Flags().BoolVar(&showJSON, "json", false, "print JSON")

	var delSource string
	deleteCmd := &cobra.Command{
		Use:   "delete --source S",
		Short: "Delete every label whose source or dataset is S (one transaction)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if delSource == "" {
				return usageError{errors.New("--source is required (a label source or a dataset name, see `chaintrace labels`)")}
			}
			return withLabels(network, false, func(st *labels.Store) error {
				n, err := st.Delete(cmd.Context(), delSource)
				if err != nil {
					return err
				}
				if n == 0 {
					return fmt.Errorf("no label has source or dataset %q (see `chaintrace labels`)", delSource)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %d labels with source or dataset %q\n", n, delSource)
				return nil
			})
		},
	}
	deleteCmd.Flags().StringVar(&delSource, "source", "", "label source or dataset name")

	labelsCmd.AddCommand(importCmd, showCmd, deleteCmd)
	rootCmd.AddCommand(labelsCmd)
}

// labelsNetwork resolves --network: the flag, else the chain index's, else mainnet.
func labelsNetwork(flag, dataDir string) (*chaincfg.Params, error) {
	if flag != "" {
		p, err := chain.NetworkByName(flag)
		if err != nil {
			return nil, usageError{fmt.Errorf("--network: %w", err)}
		}
		return p, nil
	}
	if p := existingNetwork(dataDir); p != nil {
		return p, nil
	}
	return &chaincfg.MainNetParams, nil
}

// errNoLabels is the answer of a reading labels command before anything was imported.
var errNoLabels = errors.New("no label store in the data folder: run `chaintrace labels import` first")

// withLabels opens the label store under --data with the sanctions lists in
// force (one SQL store). Without create, a data folder with no store gives
// errNoLabels and nothing is created.
func withLabels(network string, create bool, fn func(st *labels.Store) error) error {
	p, err := labelsNetwork(network, flagData)
	if err != nil {
		return err
	}
	if !create && !store.Exists(flagData, flagDB) {
		return errNoLabels
	}
	db, err := openStore(context.Background(), flagData)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	sanc, err := sanctions.NewStore(ctx, db)
	if err != nil {
		return err
	}
	st, err := labels.New(ctx, db, labels.Options{Network: p, Sanctions: sanc})
	if err != nil {
		return err
	}
	return fn(st)
}

func printImport(w io.Writer, sum *labels.Summary) {
	for _, f := range sum.Files {
		fmt.Fprintf(w, "%s (%s, dataset %s): %d records, %d labels stored, %d already present", f.File, f.Format, f.Dataset, f.Records, f.Stored, f.Existing)
		if n := sumCounts(f.SkippedCurrency); n > 0 {
			fmt.Fprintf(w, "; %d of other currencies skipped (%s)", n, formatCounts(f.SkippedCurrency))
		}
		fmt.Fprintln(w)
		if f.Format == labels.FormatSTIX {
			fmt.Fprintf(w, "  %d indicators; %d of other types skipped", f.Indicators, sumCounts(f.SkippedIndicators))
			if len(f.SkippedIndicators) > 0 {
				fmt.Fprintf(w, " (%s)", formatCounts(f.SkippedIndicators))
			}
			fmt.Fprintln(w)
		}
		if len(f.IgnoredColumns) > 0 {
			fmt.Fprintf(w, "  columns ignored: %s\n", strings.Join(f.IgnoredColumns, ", "))
		}
	}
	fmt.Fprintf(w, "imported: %d labels stored, %d already present, %d skipped\n", sum.Stored, sum.Existing, sum.Skipped)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// formatCounts renders "ETH 6, MATIC 3" (largest first).
func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
