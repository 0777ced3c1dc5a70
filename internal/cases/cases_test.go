package cases

import (
	"context"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/store"
)

func TestValidate(t *testing.T) {
	ok := Graph{Nodes: []Node{{ID: "a", Kind: "tx"}, {ID: "b", Kind: "address"}}, Edges: []Edge{{Source: "a", Target: "b", Amount: 5}}}
	for _, tc := range []struct {
		c    Case
		want string // "" valid
	}{
		{Case{Title: "  t  ", Graph: ok}, ""},
		{Case{Title: " ", Graph: ok}, "title is empty"},
		{Case{Title: strings.Repeat("x", MaxTitle+1)}, "title longer"},
		{Case{Title: "t", Graph: Graph{Nodes: []Node{{ID: "a"}, {ID: "a"}}}}, "nodes[1]: duplicate id"},
		{Case{Title: "t", Graph: Graph{Nodes: []Node{{ID: ""}}}}, "nodes[0]: empty id"},
		{Case{Title: "t", Graph: Graph{Nodes: ok.Nodes, Edges: []Edge{{Source: "a", Target: "z"}}}}, "edges[0]"},
		{Case{Title: "t", Graph: Graph{Nodes: ok.Nodes, Edges: []Edge{{Source: "a", Target: "b", Amount: -1}}}}, "negative"},
	} {
		err := tc.c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.c.Title, err, tc.want)
		}
	}
}

// The report is inert HTML: text from the case is escaped, nothing is
// loaded from elsewhere, and the graph is drawn at the saved positions.
func TestReportEscapes(t *testing.T) {
	c := &Case{ID: 7, Title: `<script>alert(1)</script>`, Notes: `"><img src=x onerror=alert(2)>`,
		Graph: Graph{Nodes: []Node{{ID: "t", Kind: "tx", X: 0, Y: 0}, {ID: "addr:x", Kind: "address", Entity: `<b>Kestrel</b>`, Category: "exchange", Note: `</title><script>`, X: 100, Y: 50}},
			Edges: []Edge{{Source: "t", Target: "addr:x", Amount: 1e8, Taint: 5e7}}},
		Trace:  &Trace{From: "t:0", Model: "haircut", Endpoints: []Endpoint{{Entity: "<i>E</i>", Category: "exchange", Amount: 5e7, Share: 0.5}}},
		MadeAt: MadeAt{TipHeight: 1584, Lists: []ListVersion{{Label: "ofac-sdn@2"}}}}
	var b strings.Builder
	if err := WriteReport(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<img", "<b>Kestrel", "<i>E", "src=\"http", "href=\"http"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "0.50000000", "50.0%", "ofac-sdn@2", "chain tip 1584", `fill="#2e7dd7"`, "<line"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, db); err != nil { // migrations run once
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 1); err != ErrNotFound {
		t.Fatalf("empty store: %v", err)
	}
	c := &Case{Title: "one", Notes: "n", Graph: Graph{Nodes: []Node{{ID: "a", Kind: "tx", Note: "x", Pinned: true, X: 1.5}}}}
	if err := s.Create(ctx, c); err != nil || c.ID == 0 {
		t.Fatal(c.ID, err)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil || got.Title != "one" || got.Graph.Nodes[0] != c.Graph.Nodes[0] || got.Graph.Edges == nil {
		t.Fatalf("%+v %v", got, err)
	}
	if err := s.Update(ctx, c.ID+1, c); err != ErrNotFound {
		t.Errorf("update of a missing case: %v", err)
	}
	if id, _ := s.FindByTitle(ctx, "one"); id != c.ID {
		t.Errorf("FindByTitle: %d", id)
	}
	bad := &Case{Title: ""}
	if err := s.Create(ctx, bad); err == nil {
		t.Error("empty title stored")
	}
	if list, _ := s.List(ctx); len(list) != 1 {
		t.Errorf("list %+v", list)
	}
}
