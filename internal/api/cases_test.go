package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/cases"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// casesServer serves the case routes over db.
func casesServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	cs, err := cases.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	cfg.Cases = cs
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func TestCasesRoutesSQLite(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	checkCasesRoutes(t, newValidator(t), casesServer(t, db))
}

func TestCasesRoutesPostgres(t *testing.T) {
	db, err := store.OpenPostgres(context.Background(), testutil.PostgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	checkCasesRoutes(t, newValidator(t), casesServer(t, db))
}

const caseBody = `{"title":"Theft <b>A</b>","notes":"seen at Kestrel","graph":{"nodes":[
 {"id":"t1","kind":"tx","label":"t1","category":"stolen","x":0,"y":0},
 {"id":"addr:a1","kind":"address","label":"a1","category":"exchange","entity":"Kestrel","note":"deposit","x":100,"y":20,"pinned":true}],
 "edges":[{"source":"t1","target":"addr:a1","amount":150000000,"taint":120000000}]},
 "trace":{"from":"t1:0","model":"haircut","hops":5,"endpoints":[{"entity":"Kestrel","category":"exchange","address":"a1","amount":120000000,"share":0.8,"hops":1}]}}`

// checkCasesRoutes saves, lists, reopens, updates and exports a case over
// HTTP, validating each answer against openapi.json.
func checkCasesRoutes(t *testing.T, v *validator, srv *httptest.Server) {
	var c cases.Case
	if st := call(t, v, srv, "POST", "/v1/cases", "/v1/cases", caseBody, &c); st != 201 || c.ID == 0 {
		t.Fatalf("create: %d %+v", st, c)
	}
	id := strconv.FormatInt(c.ID, 10)
	var list struct{ Cases []cases.Summary }
	call(t, v, srv, "GET", "/v1/cases", "/v1/cases", "", &list)
	if len(list.Cases) != 1 || list.Cases[0].Title != "Theft <b>A</b>" || list.Cases[0].Nodes != 2 {
		t.Fatalf("list %+v", list)
	}
	var got cases.Case
	call(t, v, srv, "GET", "/v1/cases/{id}", "/v1/cases/"+id, "", &got)
	if len(got.Graph.Nodes) != 2 || got.Graph.Nodes[1].Note != "deposit" || !got.Graph.Nodes[1].Pinned ||
		got.Graph.Edges[0].Taint != 120000000 || got.Trace == nil || got.Trace.Endpoints[0].Entity != "Kestrel" || got.Notes != "seen at Kestrel" {
		t.Fatalf("reopened %+v", got)
	}
	upd := strings.Replace(caseBody, "seen at Kestrel", "confirmed with Kestrel", 1)
	if st := call(t, v, srv, "PUT", "/v1/cases/{id}", "/v1/cases/"+id, upd, &got); st != 200 || got.Notes != "confirmed with Kestrel" || !got.Created.Equal(c.Created) {
		t.Fatalf("update: %d %+v", st, got)
	}
	// bad input: named field, nothing stored
	for _, bad := range []string{`{"title":""}`, `{"title":"x","graph":{"nodes":[],"edges":[{"source":"a","target":"b","amount":1}]}}`, `{"title":"x","bogus":1}`, `{`} {
		var e map[string]string
		if st := call(t, v, srv, "POST", "/v1/cases", "/v1/cases", bad, &e); st != 400 || e["error"] == "" {
			t.Errorf("%s: %d %v", bad, st, e)
		}
	}
	var e map[string]string
	if st := call(t, v, srv, "GET", "/v1/cases/{id}", "/v1/cases/999999", "", &e); st != 404 {
		t.Errorf("missing case: %d %v", st, e)
	}
	if st := call(t, v, srv, "PUT", "/v1/cases/{id}", "/v1/cases/999999", caseBody, &e); st != 404 {
		t.Errorf("update missing case: %d %v", st, e)
	}
	// a graph bigger than the server's 1 MiB body limit is accepted
	var big strings.Builder
	big.WriteString(`{"title":"big","graph":{"edges":[],"nodes":[`)
	for i := 0; i < 12000; i++ {
		if i > 0 {
			big.WriteByte(',')
		}
		big.WriteString(`{"id":"addr:bcrt1q` + strconv.Itoa(100000+i) + strings.Repeat("x", 50) + `","kind":"address","x":1,"y":2}`)
	}
	big.WriteString(`]}}`)
	var bc cases.Case
	if big.Len() <= DefaultMaxBody {
		t.Fatalf("the big case is only %d bytes", big.Len())
	}
	if st := call(t, nil, srv, "POST", "", "/v1/cases", big.String(), &bc); st != 201 || len(bc.Graph.Nodes) != 12000 {
		t.Fatalf("big case (%d bytes): %d", big.Len(), st)
	}
	call(t, nil, srv, "GET", "", "/v1/cases", "", &list)
	if len(list.Cases) != 2 {
		t.Errorf("bad input stored a case: %+v", list)
	}
	// report: self-contained HTML with the SVG, the endpoints, escaped title
	body, ct := getRaw(t, v, srv, "/v1/cases/{id}/report.html", "/v1/cases/"+id+"/report.html")
	if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "<svg") || !strings.Contains(body, "Theft &lt;b&gt;A&lt;/b&gt;") ||
		!strings.Contains(body, "1.20000000") || !strings.Contains(body, "confirmed with Kestrel") || strings.Contains(body, "<script") ||
		strings.Contains(body, "src=\"http") {
		t.Errorf("report (%s):\n%.2000s", ct, body)
	}
	if n := strings.Count(body, "<circle"); n != 2 {
		t.Errorf("report SVG has %d nodes, want 2", n)
	}
	// CSV: one row per edge
	body, _ = getRaw(t, v, srv, "/v1/cases/{id}/export", "/v1/cases/"+id+"/export?format=csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "t1" || rows[1][5] != "exchange" || rows[1][6] != "1.50000000" || rows[1][7] != "1.20000000" {
		t.Errorf("csv %v %v", rows, err)
	}
	// GraphML parses, with the node and edge
	body, _ = getRaw(t, v, srv, "/v1/cases/{id}/export", "/v1/cases/"+id+"/export?format=graphml")
	var gm struct {
		Graph struct {
			Nodes []struct {
				ID string `xml:"id,attr"`
			} `xml:"node"`
			Edges []struct {
				Source string `xml:"source,attr"`
			} `xml:"edge"`
		} `xml:"graph"`
	}
	if err := xml.Unmarshal([]byte(body), &gm); err != nil || len(gm.Graph.Nodes) != 2 || len(gm.Graph.Edges) != 1 || gm.Graph.Edges[0].Source != "t1" {
		t.Errorf("graphml %+v %v\n%s", gm, err, body)
	}
	if st := call(t, nil, srv, "GET", "", "/v1/cases/"+id+"/export?format=pdf", "", &e); st != 400 {
		t.Errorf("format pdf: %d", st)
	}
}

func getRaw(t *testing.T, v *validator, srv *httptest.Server, docPath, path string) (string, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	v.check("get", docPath, resp, bytes.Clone(b))
	return string(b), resp.Header.Get("Content-Type")
}

// Without a case store the routes answer 503; the UI is served at / only
// when configured, and API paths never fall back to it.
func TestCasesUnavailableAndUI(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	var e map[string]string
	if st := call(t, nil, srv, "GET", "", "/v1/cases", "", &e); st != 503 {
		t.Errorf("no store: %d %v", st, e)
	}
	if st := call(t, nil, srv, "GET", "", "/somewhere", "", &e); st != 404 || e["error"] == "" {
		t.Errorf("no UI: %d %v", st, e)
	}
	var cfg Config
	cfg.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ui page") })
	ui := httptest.NewServer(New(cfg))
	defer ui.Close()
	resp, err := http.Get(ui.URL + "/graph")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ui page" {
		t.Errorf("UI not served: %s", b)
	}
	if st := call(t, nil, ui, "POST", "", "/graph", "", &e); st != 404 {
		t.Errorf("POST to a UI path: %d", st)
	}
	if st := call(t, nil, ui, "GET", "", "/v1/stats", "", &e); st != 503 {
		t.Errorf("API route with UI: %d", st)
	}
	// A server requiring keys still serves the page (it holds no data); the
	// API calls the page makes need the key the user enters.
	cfg.RequireKey = true
	locked := httptest.NewServer(New(cfg))
	defer locked.Close()
	resp, err = http.Get(locked.URL + "/cases/1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ui page" {
		t.Errorf("UI with keys required: %d %s", resp.StatusCode, b)
	}
	if st := call(t, nil, locked, "GET", "", "/v1/cases", "", &e); st != 401 {
		t.Errorf("cases without a key: %d %v", st, e)
	}
}
