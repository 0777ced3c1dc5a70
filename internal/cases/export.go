package cases

import (
	"encoding/csv"
	"fmt"
	"github.com/chaintrace/chaintrace/internal/graphml"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
)

// categoryColour is the fill of a node of each category, the same as the UI's.
var categoryColour = map[string]string{
	"exchange":    "#2e7dd7",
	"mixer":       "#8e44ad",
	"coinjoin":    "#b07cd8",
	"sanctioned":  "#d62728",
	"sanctions":   "#d62728",
	"stolen":      "#e67e22",
	"perpetrator": "#e67e22",
	"peel":        "#7f8c8d",
}

// Colour returns the fill of category (grey for unknown).
func Colour(category string) string {
	if c, ok := categoryColour[category]; ok {
		return c
	}
	return "#b0b7bf"
}

// BTC formats satoshis as BTC with 8 decimals.
func BTC(sat int64) string { return strconv.FormatFloat(float64(sat)/1e8, 'f', 8, 64) }

type svgNode struct {
	Node
	SX, SY float64
	Fill   string
	Short  string
}

type svgEdge struct {
	X1, Y1, X2, Y2 float64
	Width          float64
	Colour         string
	Title          string
}

// SVG renders the visible graph at its saved positions, scaled into w×h.
func (g Graph) svg(w, h float64) (nodes []svgNode, edges []svgEdge, height float64) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	pos := map[string]Node{}
	for _, n := range g.Nodes {
		if n.Hidden {
			continue
		}
		pos[n.ID] = n
		minX, maxX = math.Min(minX, n.X), math.Max(maxX, n.X)
		minY, maxY = math.Min(minY, n.Y), math.Max(maxY, n.Y)
	}
	if len(pos) == 0 {
		return nil, nil, 100
	}
	const pad = 30.0
	if h <= 0 { // height from the drawing's shape, within reason
		h = math.Min(900, math.Max(320, 2*pad+(w-2*pad)*(maxY-minY)/math.Max(maxX-minX, 1)))
	}
	sx := (w - 2*pad) / math.Max(maxX-minX, 1)
	sy := (h - 2*pad) / math.Max(maxY-minY, 1)
	s := math.Min(sx, sy)
	at := func(n Node) (float64, float64) { return pad + (n.X-minX)*s, pad + (n.Y-minY)*s }
	var maxAmt int64 = 1
	for _, e := range g.Edges {
		if e.Amount > maxAmt {
			maxAmt = e.Amount
		}
	}
	for _, e := range g.Edges {
		a, ok1 := pos[e.Source]
		b, ok2 := pos[e.Target]
		if !ok1 || !ok2 {
			continue
		}
		x1, y1 := at(a)
		x2, y2 := at(b)
		col := "#9aa5b1"
		if e.Taint > 0 {
			col = "#d62728"
		}
		title := BTC(e.Amount) + " BTC"
		if e.Taint > 0 {
			title += ", tainted " + BTC(e.Taint)
		}
		edges = append(edges, svgEdge{x1, y1, x2, y2, 1 + 5*math.Sqrt(float64(e.Amount)/float64(maxAmt)), col, title})
	}
	ids := make([]string, 0, len(pos))
	for id := range pos {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := pos[id]
		x, y := at(n)
		short := n.Label
		if short == "" {
			short = n.ID
		}
		if len(short) > 14 {
			short = short[:6] + "…" + short[len(short)-6:]
		}
		if len(pos) > 120 && n.Entity == "" && n.Note == "" {
			short = "" // a big graph: only named and annotated nodes are labelled
		} else if n.Entity != "" {
			short = n.Entity
		}
		nodes = append(nodes, svgNode{n, x, y, Colour(n.Category), short})
	}
	return nodes, edges, h
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"btc": BTC,
	"pct": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Case {{.C.ID}}: {{.C.Title}} — chaintrace report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d2733;padding:0 1em}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d5dbe1}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e8ec;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-all}
.meta{color:#4a5866}svg{border:1px solid #d5dbe1;background:#fbfcfd;max-width:100%;height:auto}
.notes{white-space:pre-wrap;background:#f4f6f8;padding:.7em;border-radius:4px}
</style></head><body>
<h1>Case {{.C.ID}}: {{.C.Title}}</h1>
<p class="meta">Saved {{.C.Updated.Format "2006-01-02 15:04 UTC"}} at chain tip {{.C.MadeAt.TipHeight}}{{with .C.MadeAt.TipHash}} (<code>{{.}}</code>){{end}}.
Sanctions lists in force: {{range $i, $l := .C.MadeAt.Lists}}{{if $i}}, {{end}}{{$l.Label}}{{with $l.Published}} (published {{.}}){{end}}{{else}}none{{end}}.</p>
{{with .C.Notes}}<h2>Notes</h2><div class="notes">{{.}}</div>{{end}}
<h2>Flow graph</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="flow graph">
{{range .Edges}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" stroke="{{.Colour}}" stroke-width="{{.Width}}" stroke-opacity="0.8"><title>{{.Title}}</title></line>
{{end}}{{range .Nodes}}<g><circle cx="{{.SX}}" cy="{{.SY}}" r="{{if eq .Kind "tx"}}{{$.R}}{{else}}{{$.R2}}{{end}}" fill="{{.Fill}}" stroke="#33404d" stroke-width="1"><title>{{.ID}}{{with .Category}} ({{.}}){{end}}{{with .Note}}: {{.}}{{end}}</title></circle>
{{if .Short}}<text x="{{.SX}}" y="{{.SY}}" dy="18" font-size="9" text-anchor="middle" fill="#33404d">{{.Short}}</text>{{end}}</g>
{{end}}</svg>
{{with .C.Trace}}<h2>Trace endpoints</h2>
<p class="meta">From <code>{{.From}}</code>, model {{.Model}}{{if .Hops}}, {{.Hops}} hops{{end}}{{range .Options}}, {{.}}{{end}}.</p>
<table><thead><tr><th>Entity</th><th>Category</th><th>Address</th><th class="n">BTC</th><th class="n">Share</th><th class="n">Hops</th></tr></thead><tbody>
{{range .Endpoints}}<tr><td>{{.Entity}}</td><td>{{.Category}}</td><td><code>{{.Address}}</code></td><td class="n">{{btc .Amount}}</td><td class="n">{{pct .Share}}</td><td class="n">{{.Hops}}</td></tr>
{{end}}</tbody></table>{{end}}
<h2>Annotated nodes</h2>
<table><thead><tr><th>Node</th><th>Kind</th><th>Category</th><th>Note</th></tr></thead><tbody>
{{range .C.Graph.Nodes}}{{if or .Note .Pinned}}<tr><td><code>{{.ID}}</code></td><td>{{.Kind}}</td><td>{{.Category}}</td><td>{{.Note}}</td></tr>{{end}}
{{end}}</tbody></table>
<p class="meta">{{len .C.Graph.Nodes}} nodes, {{len .C.Graph.Edges}} edges. Made by chaintrace.</p>
</body></html>
`))

// WriteReport writes the case as a self-contained HTML page (no scripts, no
// external resources): the graph as SVG, the endpoints, the notes, and the
// chain tip and list versions the case was made at.
func WriteReport(w io.Writer, c *Case) error {
	const W = 1000.0
	nodes, edges, H := c.Graph.svg(W, 0)
	r := 6.0
	if len(nodes) > 120 {
		r = 3
	}
	return reportTmpl.Execute(w, struct {
		C     *Case
		W, H  float64
		Nodes []svgNode
		Edges []svgEdge
		R, R2 float64
	}{c, W, H, nodes, edges, r, r * 1.5})
}

// WriteCSV writes the graph's edges, one a row, with the nodes' categories.
func WriteCSV(w io.Writer, c *Case) error {
	cat := map[string]Node{}
	for _, n := range c.Graph.Nodes {
		cat[n.ID] = n
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"source", "source_kind", "source_category", "target", "target_kind", "target_category", "amount_btc", "taint_btc"})
	for _, e := range c.Graph.Edges {
		s, t := cat[e.Source], cat[e.Target]
		_ = cw.Write([]string{e.Source, s.Kind, s.Category, e.Target, t.Kind, t.Category, BTC(e.Amount), BTC(e.Taint)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteGraphML writes the graph as GraphML (nodes with kind, category, entity
// and note; edges with amount and taint in satoshis).
func WriteGraphML(w io.Writer, c *Case) error {
	g := graphml.Graph{ID: fmt.Sprintf("case-%d", c.ID), Keys: []graphml.Key{
		{ID: "kind", For: "node", Name: "kind", Type: "string"}, {ID: "category", For: "node", Name: "category", Type: "string"},
		{ID: "entity", For: "node", Name: "entity", Type: "string"}, {ID: "note", For: "node", Name: "note", Type: "string"},
		{ID: "amount", For: "edge", Name: "amount_sat", Type: "long"}, {ID: "taint", For: "edge", Name: "taint_sat", Type: "long"},
	}}
	for _, n := range c.Graph.Nodes {
		x := graphml.Node{ID: n.ID, Data: []graphml.Data{{Key: "kind", Value: n.Kind}}}
		for _, kv := range [][2]string{{"category", n.Category}, {"entity", n.Entity}, {"note", n.Note}} {
			if kv[1] != "" {
				x.Data = append(x.Data, graphml.Data{Key: kv[0], Value: kv[1]})
			}
		}
		g.Nodes = append(g.Nodes, x)
	}
	for _, e := range c.Graph.Edges {
		g.Edges = append(g.Edges, graphml.Edge{Source: e.Source, Target: e.Target, Data: []graphml.Data{
			{Key: "amount", Value: strconv.FormatInt(e.Amount, 10)}, {Key: "taint", Value: strconv.FormatInt(e.Taint, 10)}}})
	}
	return graphml.Write(w, g)
}
