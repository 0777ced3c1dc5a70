package trace

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/sim"
)

// EvalRow is one model's accuracy on a simulated theft: the stolen satoshis
// its findings attribute to exchange deposits, against the simulator's loot
// books (truth.json cash_outs).
type EvalRow struct {
	Model       Model `json:"model"`
	PassThrough bool  `json:"pass_through"`
	// Satoshi-weighted: Found is the taint the findings put on exchange
	// deposits, Books the loot the thief cashed out, Correct the part of
	// Found that is loot on that very deposit (min of the two per deposit).
	Found     int64   `json:"found"`
	Books     int64   `json:"books"`
	Correct   int64   `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// Counted in deposits: exchange deposits found, cash-out deposits in
	// the books, and found deposits that are cash-outs.
	FoundDeposits    int     `json:"found_deposits"`
	BookDeposits     int     `json:"book_deposits"`
	CorrectDeposits  int     `json:"correct_deposits"`
	DepositPrecision float64 `json:"deposit_precision"`
	DepositRecall    float64 `json:"deposit_recall"`
	// PerExchange splits Found/Books/Correct by exchange name.
	PerExchange []ExchangeEval `json:"per_exchange"`
	ElapsedMS   float64        `json:"elapsed_ms"`
}

// ExchangeEval is one exchange's line of an EvalRow.
type ExchangeEval struct {
	Exchange string `json:"exchange"`
	Found    int64  `json:"found"`
	Books    int64  `json:"books"`
	Correct  int64  `json:"correct"`
}

// EvalReport is `chaintrace trace eval`'s answer.
type EvalReport struct {
	Seed   uint64    `json:"seed"`
	Scale  float64   `json:"scale"`
	Theft  string    `json:"theft"`
	Stolen int64     `json:"stolen"`
	Rows   []EvalRow `json:"rows"`
}

// Eval traces the simulated theft in h forward under every model, without
// and with pass-through (CoinJoins and mixers), and scores the findings at
// exchanges against the loot books.
func Eval(ctx context.Context, tr *Tracer, h *sim.Header, limits Limits) (*EvalReport, error) {
	if h.Theft == nil {
		return nil, fmt.Errorf("the simulation has no theft (scenario %s): eval needs a lazarus run", h.Scenario)
	}
	names := map[string]string{}
	for _, a := range h.Actors {
		names[a.ID] = a.Name
	}
	type book struct {
		loot     int64
		exchange string
	}
	books := map[string]book{}
	var total int64
	perEx := map[string]int64{}
	for _, c := range h.CashOuts {
		k := c.Txid + ":" + strconv.Itoa(int(c.Vout))
		b := books[k]
		b.loot += c.Loot
		b.exchange = names[c.Exchange]
		books[k] = b
		total += c.Loot
		perEx[names[c.Exchange]] += c.Loot
	}
	rep := &EvalReport{Seed: h.Seed, Scale: h.Scale, Theft: h.Theft.Txid, Stolen: h.Theft.Amount}
	for _, pass := range []bool{false, true} {
		for _, m := range Models {
			row := EvalRow{Model: m, PassThrough: pass, Books: total, BookDeposits: len(books)}
			ex := map[string]*ExchangeEval{}
			for name, v := range perEx {
				ex[name] = &ExchangeEval{Exchange: name, Books: v}
			}
			found := map[string]int64{}
			for _, vout := range h.Theft.Outputs {
				res, err := tr.Trace(ctx, Request{From: fmt.Sprintf("%s:%d", h.Theft.Txid, vout), Model: m, Limits: limits,
					ThroughCoinJoins: pass, ThroughMixers: pass})
				if err != nil {
					return nil, err
				}
				row.ElapsedMS += res.ElapsedMS
				for _, e := range res.Endpoints {
					if e.Category != "exchange" {
						continue
					}
					row.Found += e.Amount
					if ex[e.Entity] == nil {
						ex[e.Entity] = &ExchangeEval{Exchange: e.Entity}
					}
					ex[e.Entity].Found += e.Amount
					key := e.Outpoint
					if key == "" {
						key = "in:" + e.Path[len(e.Path)-1]
					}
					found[key] += e.Amount
				}
			}
			for k, amt := range found {
				row.FoundDeposits++
				b, ok := books[k]
				if !ok {
					continue
				}
				c := min(amt, b.loot)
				row.Correct += c
				row.CorrectDeposits++
				ex[b.exchange].Correct += c
			}
			row.Precision = ratio(row.Correct, row.Found)
			row.Recall = ratio(row.Correct, row.Books)
			row.DepositPrecision = ratio(int64(row.CorrectDeposits), int64(row.FoundDeposits))
			row.DepositRecall = ratio(int64(row.CorrectDeposits), int64(row.BookDeposits))
			for _, e := range ex {
				row.PerExchange = append(row.PerExchange, *e)
			}
			sort.Slice(row.PerExchange, func(i, j int) bool { return row.PerExchange[i].Exchange < row.PerExchange[j].Exchange })
			rep.Rows = append(rep.Rows, row)
		}
	}
	return rep, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteEval prints the report as a table.
func WriteEval(w io.Writer, r *EvalReport) {
	fmt.Fprintf(w, "lazarus seed %d scale %g: theft %s, %s stolen\n", r.Seed, r.Scale, r.Theft, BTC(r.Stolen))
	fmt.Fprintf(w, "%-8s %-12s %9s %9s %9s %9s %14s %14s\n", "model", "pass-through", "sat-prec", "sat-rec", "dep-prec", "dep-rec", "found BTC", "books BTC")
	for _, row := range r.Rows {
		pt := "no"
		if row.PassThrough {
			pt = "yes"
		}
		fmt.Fprintf(w, "%-8s %-12s %9.3f %9.3f %9.3f %9.3f %14.4f %14.4f\n", row.Model, pt, row.Precision, row.Recall,
			row.DepositPrecision, row.DepositRecall, float64(row.Found)/1e8, float64(row.Books)/1e8)
	}
}
