// Command trace measures a 6-hop forward haircut trace on an indexed chain
// with internal/trace (the index's column graph and spent-by links) and the
// same trace as a PostgreSQL recursive CTE over the same tx graph, loaded by
// this command into a real PostgreSQL server, in the same run. bench/trace.sh
// simulates and indexes the chain and prints the one table.
//
// "The same trace": from the same outputs, the same hops (every tx counts,
// peel chains included), the same dust cut, haircut proportions over each
// tx's input value, no attribution and no CoinJoin stops. The CTE follows
// every path separately (SQL has no per-tx merge); the engine merges taint
// per tx in chain order.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/trace"
)

func main() {
	data := flag.String("data", "", "data folder with the chain index")
	dsn := flag.String("dsn", os.Getenv("CHAINTRACE_TEST_POSTGRES"), "PostgreSQL connection string (empty: skip the CTE)")
	n := flag.Int("n", 300, "traces measured with the engine")
	cteN := flag.Int("cte-n", 40, "traces measured with the CTE (a prefix of the same sources)")
	hops := flag.Int("hops", 6, "hops")
	minSat := flag.Int64("min-sat", 10_000, "dust cut")
	cteTimeout := flag.Duration("cte-timeout", 60*time.Second, "statement timeout of one CTE trace")
	label := flag.String("label", "", "what the chain is (for the table)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the engine's measured pass")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*data, *dsn, *n, *cteN, *hops, *minSat, *cteTimeout, *label); err != nil {
		fmt.Fprintln(os.Stderr, "bench/trace:", err)
		os.Exit(1)
	}
}

var profile string

type source struct {
	tx   uint64
	vout uint32
	from string
}

func run(data, dsn string, n, cteN, hops int, minSat int64, cteTimeout time.Duration, label string) error {
	ix, err := index.Open(index.DirIn(data), index.Options{})
	if err != nil {
		return err
	}
	defer ix.Close()
	st := ix.Stats()
	srcs, err := pickSources(ix, n)
	if err != nil {
		return err
	}
	ctx := context.Background()
	tr := trace.New(ix, nil, trace.KindsFunc(func(index.Graph, uint64) string { return "" }))
	req := func(s source) trace.Request {
		return trace.Request{From: s.from, Model: trace.Haircut, CountPeelHops: true,
			Limits: trace.Limits{Hops: hops, MinSat: minSat, Nodes: trace.MaxNodes}}
	}
	// One warm-up pass (page cache), then the measured pass.
	for _, s := range srcs {
		if _, err := tr.Trace(ctx, req(s)); err != nil {
			return err
		}
	}
	var eng []time.Duration
	var visited []int
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, s := range srcs {
		t0 := time.Now()
		res, err := tr.Trace(ctx, req(s))
		if err != nil {
			return err
		}
		eng = append(eng, time.Since(t0))
		visited = append(visited, res.Txs)
	}
	fmt.Printf("chain: %s — %d blocks, %d txs, %d outputs\n", label, st.Blocks, st.Txs, st.Outputs)
	fmt.Printf("trace: forward, haircut, %d hops (peel hops counted), dust cut %d sat, from %d random spent outputs ≥ 0.01 BTC\n\n", hops, minSat, len(srcs))
	fmt.Printf("%-34s %6s %10s %10s %10s %12s\n", "engine", "traces", "p50 ms", "p99 ms", "max ms", "txs/trace")
	row := func(name string, d []time.Duration, v []int) {
		p50, p99, mx := pct(d, 0.5), pct(d, 0.99), pct(d, 1)
		fmt.Printf("%-34s %6d %10.2f %10.2f %10.2f %12d\n", name, len(d), ms(p50), ms(p99), ms(mx), median(v))
	}
	row("chaintrace (column graph)", eng, visited)
	if dsn == "" {
		fmt.Println("PostgreSQL recursive CTE: skipped (no -dsn / CHAINTRACE_TEST_POSTGRES)")
		return nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("tracebench_%d", os.Getpid())
	t0 := time.Now()
	if err := load(ctx, conn, ix, schema); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	loadTime := time.Since(t0)
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET statement_timeout = %d", cteTimeout.Milliseconds())); err != nil {
		return err
	}
	q := fmt.Sprintf(`WITH RECURSIVE walk(tx, taint, depth) AS (
  SELECT o.spender, o.value::float8, 1 FROM %[1]s.outs o WHERE o.tx = $1 AND o.vout = $2 AND o.spender IS NOT NULL
  UNION ALL
  SELECT o.spender, w.taint * o.value / t.total_in, w.depth + 1
  FROM walk w JOIN %[1]s.txs t ON t.tx = w.tx JOIN %[1]s.outs o ON o.tx = w.tx
  WHERE w.depth < $3 AND o.spender IS NOT NULL AND w.taint * o.value / t.total_in >= $4
)
SELECT count(DISTINCT tx) FROM walk`, schema)
	var cte []time.Duration
	var cteTxs []int
	timeouts := 0
	for i, s := range srcs {
		if i == cteN {
			break
		}
		t0 := time.Now()
		var cnt int
		err := conn.QueryRow(ctx, q, int64(s.tx), int32(s.vout), hops, float64(minSat)).Scan(&cnt)
		d := time.Since(t0)
		if err != nil {
			if !strings.Contains(err.Error(), "statement timeout") {
				return fmt.Errorf("cte from %s: %w", s.from, err)
			}
			timeouts++
			d = cteTimeout
		}
		cte = append(cte, d)
		cteTxs = append(cteTxs, cnt)
	}
	row("PostgreSQL recursive CTE", cte, cteTxs)
	e50, e99 := pct(eng[:len(cte)], 0.5), pct(eng[:len(cte)], 0.99)
	fmt.Printf("\nCTE / engine on the same %d sources: p50 %.1f×, p99 %.1f×", len(cte), float64(pct(cte, 0.5))/float64(e50), float64(pct(cte, 0.99))/float64(e99))
	if timeouts > 0 {
		fmt.Printf(" (%d CTE traces hit the %s statement timeout, counted at it)", timeouts, cteTimeout)
	}
	fmt.Printf("\nPostgreSQL load (COPY %d outputs + index + analyze): %s\n", st.Outputs, loadTime.Round(time.Second))
	return nil
}

// pickSources picks n random spent outputs of at least 0.01 BTC, away from
// the chain's start and end (deterministic).
func pickSources(ix *index.Index, n int) ([]source, error) {
	rng := rand.New(rand.NewPCG(42, 7))
	var out []source
	err := ix.View(func(g index.Graph) error {
		nt := g.TxCount()
		for tries := 0; len(out) < n && tries < 100*n; tries++ {
			t := nt/10 + rng.Uint64N(nt*7/10)
			r := g.TxRange(t)
			if r.InStart < r.InEnd && g.Input(r.InStart) == index.CoinbaseID {
				continue
			}
			o := r.OutStart + rng.Uint64N(r.OutEnd-r.OutStart)
			out2 := g.Output(o)
			if out2.SpentBy == index.NoID || out2.Value < 1_000_000 {
				continue
			}
			out = append(out, source{tx: t, vout: uint32(o - r.OutStart), from: fmt.Sprintf("%s:%d", g.TxHash(t), o-r.OutStart)})
		}
		return nil
	})
	if len(out) < n {
		return nil, fmt.Errorf("found only %d sources", len(out))
	}
	return out, err
}

// load copies the tx graph into schema: outs(tx, vout, value, spender) and
// txs(tx, total_in), indexed as a CTE needs.
func load(ctx context.Context, conn *pgx.Conn, ix *index.Index, schema string) error {
	for _, s := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE UNLOGGED TABLE " + schema + ".outs (tx bigint NOT NULL, vout int NOT NULL, value bigint NOT NULL, spender bigint)",
		"CREATE UNLOGGED TABLE " + schema + ".txs (tx bigint NOT NULL, total_in bigint NOT NULL)",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	var outs, txs [][]any
	flush := func() error {
		if len(outs) > 0 {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{schema, "outs"}, []string{"tx", "vout", "value", "spender"}, pgx.CopyFromRows(outs)); err != nil {
				return err
			}
		}
		if len(txs) > 0 {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{schema, "txs"}, []string{"tx", "total_in"}, pgx.CopyFromRows(txs)); err != nil {
				return err
			}
		}
		outs, txs = outs[:0], txs[:0]
		return nil
	}
	nt := ix.TxCount()
	const chunk = 50_000
	for start := uint64(0); start < nt; start += chunk {
		err := ix.View(func(g index.Graph) error {
			for t := start; t < min(nt, start+chunk); t++ {
				r := g.TxRange(t)
				var in, sum int64
				for i := r.InStart; i < r.InEnd; i++ {
					if o := g.Input(i); o != index.NoID && o != index.CoinbaseID {
						in += g.Output(o).Value
					}
				}
				for o := r.OutStart; o < r.OutEnd; o++ {
					out := g.Output(o)
					sum += out.Value
					var sp any
					if out.SpentBy != index.NoID {
						sp = int64(g.TxOfInput(out.SpentBy))
					}
					outs = append(outs, []any{int64(t), int32(o - r.OutStart), out.Value, sp})
				}
				txs = append(txs, []any{int64(t), max(in, sum)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
	}
	for _, s := range []string{
		"ALTER TABLE " + schema + ".txs ADD PRIMARY KEY (tx)",
		"CREATE INDEX ON " + schema + ".outs (tx, vout)",
		"ANALYZE " + schema + ".outs",
		"ANALYZE " + schema + ".txs",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(v []int) int {
	s := append([]int(nil), v...)
	sort.Ints(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
