package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/spf13/cobra"
)

func init() {
	var (
		asJSON         bool
		esplora, truth string
		misses         int
	)
	cmd := &cobra.Command{
		Use:   "eval (--esplora FILE | --truth SIMDIR --data DIR) [--json]",
		Short: "Measure the classifier: per-kind precision and recall, false-positive rate on non-CoinJoins",
		Long: `--esplora FILE: Esplora JSON objects carrying a "label" (wasabi1, wasabi2, whirlpool, whirlpool-tx0,
joinmarket, coinjoin = any CoinJoin kind, none = no CoinJoin kind and no whirlpool-tx0), classified
from the JSON.
--truth SIMDIR --data DIR: the simulator's tx kinds (truth.jsonl) against the kinds stored in the
chain index that ingested the simulated blocks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (esplora == "") == (truth == "") {
				return usageError{errors.New("classify eval: give --esplora FILE or --truth SIMDIR")}
			}
			var rep classify.Report
			var err error
			if esplora != "" {
				rep, err = evalEsplora(cmd, esplora)
			} else {
				rep, err = evalTruth(truth, flagData)
			}
			if err != nil {
				return err
			}
			return printView(cmd.OutOrStdout(), asJSON, rep, func(w io.Writer) { rep.WriteTable(w, misses) })
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&esplora, "esplora", "", "labelled Esplora JSON file (- for stdin)")
	cmd.Flags().StringVar(&truth, "truth", "", "simulator output folder (truth.jsonl), evaluated against the index under --data")
	cmd.Flags().IntVar(&misses, "misses", 20, "list at most this many txs that disagree with their label (table output)")
	classifyCmd.AddCommand(cmd)
}

func evalEsplora(cmd *cobra.Command, path string) (classify.Report, error) {
	tally := classify.NewTally(classify.DevKinds, true)
	var c classify.Classifier
	_, err := eachEsplora(cmd, path, false, func(e *classify.EsploraTx) error {
		want, scope, anyCJ, err := classify.DevLabel(e.Label)
		if err != nil {
			return fmt.Errorf("line %d (tx %s): %w", e.Line, e.Txid, err)
		}
		tally.Add(e.Txid, e.Label, want, scope, anyCJ, c.Set(&e.Tx))
		return nil
	})
	if err != nil {
		return classify.Report{}, err
	}
	rep := tally.Report()
	if rep.Rows == 0 {
		return rep, fmt.Errorf("%s: no transactions", path)
	}
	return rep, nil
}

// simKinds maps the simulator's tx kinds to the kind the classifier should
// find; sim kinds not listed should carry none of simScored.
var simKinds = map[string]classify.Kind{
	"coinbase":               classify.Coinbase,
	"coinjoin:wasabi1":       classify.Wasabi1,
	"coinjoin:wasabi2":       classify.Wasabi2,
	"coinjoin:whirlpool":     classify.Whirlpool,
	"coinjoin:whirlpool-tx0": classify.WhirlpoolTx0,
	"coinjoin:joinmarket":    classify.JoinMarket,
	"peel":                   classify.Peel,
	"consolidation":          classify.Consolidation,
	"sweep":                  classify.Consolidation,
	"mixer-consolidation":    classify.Consolidation,
	"batch":                  classify.Batch,
}

// simScored are the kinds a simulator evaluation scores, in table order.
var simScored = []classify.Kind{classify.Whirlpool, classify.WhirlpoolTx0, classify.Wasabi1, classify.Wasabi2, classify.JoinMarket, classify.Coinbase, classify.Peel, classify.Consolidation, classify.Batch}

func evalTruth(simDir, dataDir string) (classify.Report, error) {
	ix, err := openIndexRead(dataDir)
	if err != nil {
		return classify.Report{}, err
	}
	defer ix.Close()
	warnStaleKinds(ix)
	tally := classify.NewTally(simScored, false)
	scope := classify.SetOf(simScored...) | classify.SetOf(classify.CoinJoin)
	var missing int
	err = sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type != "tx" {
			return nil
		}
		h, err := chainhash.NewHashFromStr(r.Txid)
		if err != nil {
			return fmt.Errorf("truth tx %q: %w", r.Txid, err)
		}
		t, ok := ix.TxNumOf(*h)
		if !ok {
			missing++
			return nil
		}
		raw, _ := ix.TxKinds(t)
		want := simKinds[r.Kind].Bit()
		tally.Add(r.Txid, r.Kind, want, scope, false, classify.Set(raw))
		return nil
	})
	if err != nil {
		return classify.Report{}, err
	}
	rep := tally.Report()
	if rep.Rows == 0 {
		return rep, fmt.Errorf("no truth tx of %s is in the chain index under %s: ingest the simulated blocks first", simDir, dataDir)
	}
	if missing > 0 {
		return rep, fmt.Errorf("%d truth txs of %s are not in the chain index under %s (%w)", missing, simDir, dataDir, index.ErrNotFound)
	}
	return rep, nil
}
