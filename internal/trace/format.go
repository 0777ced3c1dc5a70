package trace

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/chaintrace/chaintrace/internal/graphml"
	"io"
	"strconv"
	"strings"
)

// Formats a Result can be written in.
var Formats = []string{"json", "csv", "graphml", "dot", "text"}

// Write writes res in format (json, csv, graphml, dot or text).
func Write(w io.Writer, res *Result, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(res)
	case "csv":
		return WriteCSV(w, res)
	case "graphml":
		return WriteGraphML(w, res)
	case "dot":
		return WriteDOT(w, res)
	case "text", "":
		WriteSummary(w, res)
		return nil
	}
	return badInput("unknown format %q (want json, csv, graphml, dot)", format)
}

// WriteCSV writes the endpoints (findings, then candidates) as CSV.
func WriteCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"kind", "entity", "category", "address", "outpoint", "amount_sat", "share", "hops", "confidence", "path"})
	for _, l := range []struct {
		kind string
		es   []Endpoint
	}{{"finding", res.Endpoints}, {"candidate", res.Candidates}} {
		for _, e := range l.es {
			_ = cw.Write([]string{l.kind, e.Entity, e.Category, e.Address, e.Outpoint, strconv.FormatInt(e.Amount, 10),
				strconv.FormatFloat(e.Share, 'f', 6, 64), strconv.Itoa(e.Hops), strconv.FormatFloat(e.Confidence, 'f', 4, 64),
				strings.Join(e.Path, " ")})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteGraphML writes the flow graph as GraphML (Gephi, yEd, Maltego).
func WriteGraphML(w io.Writer, res *Result) error {
	g := graphml.Graph{ID: "trace", Keys: []graphml.Key{
		{ID: "kind", For: "node", Name: "kind", Type: "string"}, {ID: "label", For: "node", Name: "label", Type: "string"},
		{ID: "amount", For: "edge", Name: "amount", Type: "long"}, {ID: "taint", For: "edge", Name: "taint", Type: "long"}}}
	for _, n := range res.Graph.Nodes {
		g.Nodes = append(g.Nodes, graphml.Node{ID: n.ID, Data: []graphml.Data{{Key: "kind", Value: n.Kind}, {Key: "label", Value: n.Label}}})
	}
	for _, e := range res.Graph.Edges {
		g.Edges = append(g.Edges, graphml.Edge{Source: e.From, Target: e.To,
			Data: []graphml.Data{{Key: "amount", Value: strconv.FormatInt(e.Amount, 10)}, {Key: "taint", Value: strconv.FormatInt(e.Taint, 10)}}})
	}
	return graphml.Write(w, g)
}

// WriteDOT writes the flow graph in Graphviz DOT.
func WriteDOT(w io.Writer, res *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph trace {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n")
	for _, n := range res.Graph.Nodes {
		label := n.ID
		if len(label) > 20 {
			label = label[:20] + "…"
		}
		if n.Label != "" {
			label += "\\n" + n.Label
		}
		shape := "box"
		if n.Kind != "tx" {
			shape = "ellipse"
		}
		fmt.Fprintf(&b, "  %s [label=%s, shape=%s];\n", strconv.Quote(n.ID), strconv.Quote(label), shape)
	}
	for _, e := range res.Graph.Edges {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), strconv.Quote(BTC(e.Taint)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary writes a human-readable account of res.
func WriteSummary(w io.Writer, res *Result) {
	fmt.Fprintf(w, "%s trace of %s under %s: %s traced, %d txs visited in %.1f ms\n",
		res.Direction, res.Source, res.Model, BTC(res.Total), res.Txs, res.ElapsedMS)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	byCat := map[string]int64{}
	for _, e := range res.Endpoints {
		byCat[e.Category] += e.Amount
	}
	fmt.Fprintf(w, "\nEndpoints (findings):\n")
	shown := 0
	for _, e := range res.Endpoints {
		if shown == 25 {
			fmt.Fprintf(w, "  … %d more (use --format json or csv)\n", len(res.Endpoints)-shown)
			break
		}
		shown++
		who := e.Category
		if e.Entity != "" {
			who += ": " + e.Entity
		}
		fmt.Fprintf(w, "  %-28s %18s %6.2f%%  hops %-3d conf %.2f  %s\n", who, BTC(e.Amount), 100*e.Share, e.Hops, e.Confidence, e.Address)
	}
	if len(res.Candidates) > 0 {
		fmt.Fprintf(w, "Candidates below confidence %.2f: %d\n", res.Limits.MinConfidence, len(res.Candidates))
	}
	for _, p := range res.PeelChains {
		fmt.Fprintf(w, "Peel chain from %s: %s\n", p.First, p.Summary())
	}
	for _, c := range res.CoinJoins {
		fmt.Fprintf(w, "Passed through %s CoinJoin %s: %s entered, anonymity set %d\n", c.Kind, c.Txid, BTC(c.Amount), c.AnonSet)
	}
	for _, m := range res.Mixers {
		state := "not followed (no unique payout match)"
		if m.Followed {
			state = "followed"
		}
		fmt.Fprintf(w, "Mixer %s deposit %s (%s): %d candidate payout sets, %s\n", m.Mixer, m.Deposit, BTC(m.Value), len(m.Sets), state)
	}
	fmt.Fprintf(w, "Mining fees: %s\n", BTC(res.Fees))
	for _, h := range res.HitLimits {
		fmt.Fprintf(w, "Limit %s hit %d times, stopping %s (first at %s)\n", h.Limit, h.Count, BTC(h.Amount), h.At)
	}
}
