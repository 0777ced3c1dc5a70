package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
	"github.com/chaintrace/chaintrace/internal/sanctions/namematch/eval"
	"github.com/spf13/cobra"
)

// `chaintrace screen eval`: recall and false positives of name screening.
func init() {
	var (
		set        string
		files      []string
		thresholds string
		verbose    bool
	)
	cmd := &cobra.Command{
		Use:   "eval [--set main|holdout] [--file POS.csv --file NEG.csv] [--thresholds 0.7,0.8]",
		Short: "Measure name screening (recall, false-positive rate, precision) on a labelled query set",
		Long: `Screen every query of a labelled set against the lists in force and report
recall (positive queries whose expected entity scores at or above the
threshold), false-positive rate (negative queries with any hit) and
query-level precision, for a sweep of thresholds.

The built-in sets expect the 2025-02 OFAC SDN and the UN consolidated list to
be imported. A set file is CSV with the header query,expect,category; expect
is an entity id ("ofac:27307", "un:KPi.033") or empty for a negative query.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ths []float64
			for _, f := range strings.Split(thresholds, ",") {
				v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
				if err != nil || v <= 0 || v > 1 {
					return usageError{fmt.Errorf("--thresholds %q: want numbers in (0,1]", thresholds)}
				}
				ths = append(ths, v)
			}
			var cases []eval.Case
			if len(files) > 0 {
				for _, f := range files {
					cs, err := eval.LoadSet(f)
					if err != nil {
						return usageError{err}
					}
					cases = append(cases, cs...)
				}
			} else {
				cs, err := eval.BuiltinSet(set)
				if err != nil {
					return usageError{err}
				}
				cases = cs
			}
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			if st.InForceLabel() == "" {
				return errors.New("no sanctions list imported: run `chaintrace lists import` first")
			}
			ix, label, err := st.NameIndex(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			src := "set " + set
			if len(files) > 0 {
				src = strings.Join(files, " + ")
			}
			fmt.Fprintf(out, "%s, %d queries, lists %s\n\n", src, len(cases), label)
			eval.Report(out, eval.Run(ix, cases, ths), namematch.DefaultMinScore, verbose)
			return nil
		},
	}
	cmd.Flags().StringVar(&set, "set", "main", "built-in set: main or holdout")
	cmd.Flags().StringArrayVar(&files, "file", nil, "set file(s) instead of a built-in set (repeatable)")
	cmd.Flags().StringVar(&thresholds, "thresholds", "0.70,0.75,0.80,0.85,0.90", "thresholds to report")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list misses and false hits at the default threshold")
	screenCmd.AddCommand(cmd)
}
