package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/cases"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// demoCaseTitle names the case demo --serve opens the UI on.
const demoCaseTitle = "Demo: the theft from Northbank"

// demoCase stores (once) the investigator's case of the simulated theft: a
// haircut trace from the theft's first output through CoinJoins and mixers,
// kept to the paths that reach attributed services, with its endpoints. It
// returns the case id.
func demoCase(ctx context.Context, w io.Writer, dir string) (int64, error) {
	simDir := filepath.Join(dir, "sim")
	hdr, err := sim.ReadHeader(simDir)
	if err != nil || hdr.Labels.Theft == nil {
		return 0, err
	}
	db, err := openStore(ctx, dir)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	cs, err := cases.New(ctx, db)
	if err != nil {
		return 0, err
	}
	if id, err := cs.FindByTitle(ctx, demoCaseTitle); err != nil || id != 0 {
		return id, err
	}
	ix, err := openIndexRead(dir)
	if err != nil {
		return 0, err
	}
	defer ix.Close()
	attr, err := trace.SimLabels(simDir)
	if err != nil {
		return 0, err
	}
	from := fmt.Sprintf("%s:%d", hdr.Theft.Txid, hdr.Theft.Outputs[0])
	res, err := trace.New(ix, attr, nil).Trace(ctx, trace.Request{From: from, Model: trace.Haircut,
		Limits: trace.Limits{Hops: 50}, ThroughCoinJoins: true, ThroughMixers: true})
	if err != nil {
		return 0, err
	}
	c := &cases.Case{Title: demoCaseTitle, Graph: servicePaths(res),
		Notes: fmt.Sprintf("Theft tx %s (victim %s). Haircut trace from output %d through CoinJoins and mixers; "+
			"the graph keeps the paths to attributed services. Expand nodes to follow the rest.",
			hdr.Labels.Theft.Txid, hdr.Labels.Theft.Victim, hdr.Theft.Outputs[0]),
		Trace: &cases.Trace{From: from, Model: string(res.Model), Hops: 50, Options: []string{"through_coinjoins", "through_mixers"}}}
	for _, e := range res.Endpoints {
		c.Trace.Endpoints = append(c.Trace.Endpoints, cases.Endpoint{Entity: e.Entity, Category: e.Category,
			Address: e.Address, Amount: e.Amount, Share: e.Share, Hops: e.Hops})
	}
	if st := ix.Stats(); st.Tip != nil {
		c.MadeAt.TipHeight, c.MadeAt.TipHash = st.Tip.Height, st.Tip.Hash
	}
	if err := cs.Create(ctx, c); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "\nThe case %q (id %d) is ready in the web UI.\n", c.Title, c.ID)
	return c.ID, nil
}

// servicePaths keeps the trace graph's nodes on the evidence paths of the
// endpoints at attributed services (not the unspent or unattributed ones).
func servicePaths(res *trace.Result) cases.Graph {
	keep := map[string]bool{}
	for _, e := range res.Endpoints {
		if e.Entity == "" {
			continue
		}
		for _, t := range e.Path {
			keep[t] = true
		}
		if e.Address != "" {
			keep["addr:"+e.Address] = true
		}
	}
	var g cases.Graph
	for _, n := range res.Graph.Nodes {
		if !keep[n.ID] {
			continue
		}
		cat := n.Kind
		switch {
		case n.Label == "source":
			cat = "stolen"
		case n.Kind == "tx":
			cat = ""
		}
		entity := ""
		if n.Kind != "tx" && n.Label != "" && "addr:"+n.Label != n.ID {
			entity = n.Label
		}
		g.Nodes = append(g.Nodes, cases.Node{ID: n.ID, Kind: nodeKind(n.Kind), Label: labelOf(n.ID), Category: cat, Entity: entity})
	}
	for _, e := range res.Graph.Edges {
		if keep[e.From] && keep[e.To] {
			g.Edges = append(g.Edges, cases.Edge{Source: e.From, Target: e.To, Amount: e.Amount, Taint: e.Taint})
		}
	}
	return g
}

func nodeKind(k string) string {
	if k == "tx" {
		return "tx"
	}
	return "address"
}

func labelOf(id string) string {
	if len(id) > 5 && id[:5] == "addr:" {
		return id[5:]
	}
	return id
}
