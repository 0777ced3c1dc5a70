package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/spf13/cobra"
)

func init() {
	var (
		asJSON, keepGoing, rebuild bool
		esplora                    string
	)
	cmd := &cobra.Command{
		Use:   "classify [TXID] [--esplora FILE|-] [--rebuild] [--json]",
		Short: "Say what transactions are: CoinJoins (Wasabi 1/2, Whirlpool, JoinMarket), Tx0s, Stonewalls, peel hops, consolidations, batches",
		Long: `Classify an indexed transaction (TXID), transactions in Esplora JSON (--esplora FILE, or - for
stdin: one object per line or one JSON array), or recompute the kinds stored in the chain index
after a rules change (--rebuild: resumable, the previous kinds stay in force until it completes).
See docs/classify.md for the rules and their measured accuracy.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			modes := 0
			for _, on := range []bool{len(args) == 1, esplora != "", rebuild} {
				if on {
					modes++
				}
			}
			if modes != 1 {
				return usageError{errors.New("classify: give exactly one of TXID, --esplora FILE or --rebuild")}
			}
			out := cmd.OutOrStdout()
			switch {
			case rebuild:
				return classifyRebuild(cmd, flagData)
			case esplora != "":
				return classifyEsplora(cmd, esplora, asJSON, keepGoing)
			}
			txid, err := api.ParseHash("txid", args[0])
			if err != nil {
				return usageError{err}
			}
			return withIndex(func(ix *index.Index) error {
				warnStaleKinds(ix)
				t, ok := ix.TxNumOf(txid)
				if !ok {
					return notFound(index.ErrNotFound, "transaction "+args[0])
				}
				rs, _ := classify.Indexed(ix, t)
				res := api.NewClassifyResult(args[0], rs)
				return printView(out, asJSON, res, func(w io.Writer) { printClassified(w, res) })
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (one object per transaction)")
	cmd.Flags().StringVar(&esplora, "esplora", "", "classify the transactions in this Esplora JSON file (- for stdin)")
	cmd.Flags().BoolVar(&keepGoing, "keep-going", false, "with --esplora: report a bad record on stderr and go on")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "recompute the kinds stored in the chain index under --data")
	rootCmd.AddCommand(cmd)
	classifyCmd = cmd
}

// classifyCmd is the parent of `classify eval`.
var classifyCmd *cobra.Command

func printClassified(w io.Writer, r api.ClassifyResult) {
	if len(r.Kinds) == 0 {
		fmt.Fprintf(w, "%s  -\n", r.Txid)
		return
	}
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "%s  %-13s %.2f  %s: %s\n", r.Txid, k.Kind, k.Confidence, k.Rule, k.Evidence)
	}
}

// printClassifiedLine writes one line per tx: the txid and its kinds with
// their confidence ("-" for none).
func printClassifiedLine(w io.Writer, r api.ClassifyResult) {
	line := r.Txid + " "
	if len(r.Kinds) == 0 {
		line += " -"
	}
	for _, k := range r.Kinds {
		line += fmt.Sprintf(" %s:%.2f", k.Kind, k.Confidence)
	}
	fmt.Fprintln(w, line)
}

// warnStaleKinds warns when the index's stored kinds were made by other
// rules than this build's.
func warnStaleKinds(ix *index.Index) {
	if v, ok := ix.KindsVersion(); ok && v != classify.RulesVersion {
		slog.Warn("the chain index's stored transaction kinds were made by other classification rules: run `chaintrace classify --rebuild`",
			"index_rules", v, "build_rules", classify.RulesVersion)
	}
}

// openInput opens path, or stdin for "-".
func openInput(cmd *cobra.Command, path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(cmd.InOrStdin()), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// eachEsplora calls fn for every transaction of an Esplora JSON input. Bad
// records stop it with an error naming the file and line, or with keepGoing
// are reported on stderr and counted.
func eachEsplora(cmd *cobra.Command, path string, keepGoing bool, fn func(*classify.EsploraTx) error) (bad int, err error) {
	in, err := openInput(cmd, path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	name := path
	if path == "-" {
		name = "stdin"
	}
	r := classify.NewEsploraReader(in)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return bad, nil
		}
		var re *classify.RecordError
		if errors.As(err, &re) && keepGoing {
			bad++
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", name, err)
			continue
		}
		if err != nil {
			return bad, fmt.Errorf("%s: %w", name, err)
		}
		if err := fn(e); err != nil {
			return bad, err
		}
	}
}

func classifyEsplora(cmd *cobra.Command, path string, asJSON, keepGoing bool) error {
	w := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
	enc := json.NewEncoder(w)
	var c classify.Classifier
	var rs []classify.Result
	n := 0
	bad, err := eachEsplora(cmd, path, keepGoing, func(e *classify.EsploraTx) error {
		n++
		rs = c.Classify(&e.Tx, rs[:0])
		res := api.NewClassifyResult(e.Txid, rs)
		if asJSON {
			return enc.Encode(res)
		}
		printClassifiedLine(w, res)
		return nil
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d bad %s skipped (see above), %d classified", bad, plural(bad, "record", "records"), n)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func classifyRebuild(cmd *cobra.Command, dataDir string) error {
	dir := index.DirIn(dataDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("no chain index in %s: run chaintrace ingest first", dataDir)
	}
	ix, err := index.Open(dir, index.Options{Upgrade: true})
	if err != nil {
		return indexOpenError(dataDir, err)
	}
	defer ix.Close()
	start := time.Now()
	last := start
	resumed, err := ix.RebuildKinds(cmd.Context(), *classify.IndexHook(), func(done, total uint64) {
		if time.Since(last) > 2*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(cmd.ErrOrStderr(), "classify: %d of %d txs (%.0f%%)\n", done, total, 100*float64(done)/float64(max(total, 1)))
		}
	})
	if err != nil {
		return fmt.Errorf("classify --rebuild: %w (the previous kinds stay in force; run it again to resume)", err)
	}
	if resumed > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "classify: resumed at tx %d; ", resumed)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "classify: %d txs classified with rules v%d in %s\n", ix.TxCount(), classify.RulesVersion, time.Since(start).Round(time.Millisecond))
	return nil
}
