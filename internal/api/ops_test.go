package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/auth"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/store"
)

func keyStore(t *testing.T) *auth.Store {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ks, err := auth.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// do sends a request with an optional key header and returns status, headers and body.
func do(t *testing.T, method, url, header, key, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if key != "" {
		if header == "bearer" {
			req.Header.Set("Authorization", "Bearer "+key)
		} else {
			req.Header.Set("X-API-Key", key)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 && ct != "application/json" {
		t.Errorf("%s %s: %d with content type %q", method, url, resp.StatusCode, ct)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestKeysAndScopes(t *testing.T) {
	ks := keyStore(t)
	ctx := context.Background()
	_, readKey, _ := ks.Create(ctx, auth.ScopeRead, "r", 0)
	_, screenKey, _ := ks.Create(ctx, auth.ScopeScreen, "s", 0)
	revoked, revokedKey, _ := ks.Create(ctx, auth.ScopeAdmin, "x", 0)
	ks.Revoke(ctx, revoked.ID)
	var cfg Config
	cfg.Keys, cfg.RequireKey = ks, true
	srv := httptest.NewServer(New(cfg))
	defer srv.Close()
	u := srv.URL
	tests := []struct {
		path, header, key string
		status            int
		want              string
	}{
		{"/healthz", "", "", 200, ""},
		{"/readyz", "", "", 503, ""},
		{"/openapi.json", "", "", 200, ""},
		{"/v1/lists", "", "", 401, "API key required"},
		{"/v1/lists", "", "ct_000000000000_nope", 401, "unknown API key"},
		{"/v1/lists", "", revokedKey, 401, "revoked"},
		{"/v1/lists", "", readKey, 503, ""}, // past auth: no store in this server
		{"/v1/lists", "bearer", readKey, 503, ""},
		{"/v1/screen/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "", readKey, 403, "needs screen"},
		{"/v1/screen/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "bearer", screenKey, 503, ""},
		{"/v1/stats", "", screenKey, 503, ""}, // screen includes read
		{"/metrics", "", "", 401, ""},
		{"/metrics", "", readKey, 200, ""},
	}
	for _, tc := range tests {
		status, h, body := do(t, "GET", u+tc.path, tc.header, tc.key, "")
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s (key %.10s): %d %s, want %d with %q", tc.path, tc.key, status, body, tc.status, tc.want)
		}
		if status == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", tc.path)
		}
	}
	// On loopback (keys optional) a request without a key is served, a bad key is not.
	cfg.RequireKey = false
	open := httptest.NewServer(New(cfg))
	defer open.Close()
	if status, _, _ := do(t, "GET", open.URL+"/v1/lists", "", "", ""); status != 503 {
		t.Errorf("keyless on loopback: %d", status)
	}
	if status, _, _ := do(t, "GET", open.URL+"/v1/lists", "", "ct_000000000000_nope", ""); status != 401 {
		t.Errorf("bad key on loopback: %d", status)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	ks := keyStore(t)
	ctx := context.Background()
	_, slow, _ := ks.Create(ctx, auth.ScopeRead, "slow", 0.5)
	_, other, _ := ks.Create(ctx, auth.ScopeRead, "other", 0)
	var cfg Config
	cfg.Keys, cfg.RequireKey, cfg.Burst = ks, true, 1
	srv := httptest.NewServer(New(cfg))
	defer srv.Close()
	if status, _, _ := do(t, "GET", srv.URL+"/v1/lists", "", slow, ""); status == 429 {
		t.Fatal("first request limited")
	}
	status, h, body := do(t, "GET", srv.URL+"/v1/lists", "", slow, "")
	if status != 429 || !strings.Contains(body, "rate limit") {
		t.Fatalf("second request at 0.5/s: %d %s", status, body)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q, want 1–2 s", h.Get("Retry-After"))
	}
	// Another key has its own budget.
	if status, _, _ := do(t, "GET", srv.URL+"/v1/lists", "", other, ""); status == 429 {
		t.Error("another key was limited by the first one's use")
	}
}

func TestBodyBounds(t *testing.T) {
	srv, _ := sanctionsServer(t)
	big := `{"addresses":["` + strings.Repeat("a", 2<<20) + `"]}`
	if status, _, body := do(t, "POST", srv.URL+"/v1/screen", "", "", big); status != 413 {
		t.Errorf("2 MB body: %d %.200s", status, body)
	}
	// Without a Content-Length (chunked), the limit still holds.
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte(big)); pw.Close() }()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/screen", pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked 2 MB body: %d", resp.StatusCode)
	}
	for _, b := range []string{`{"addresses":["x"]}{"names":["y"]}`, `{"addresses":["x"]} junk`, `{"addresses":["x"]}]`} {
		status, _, body := do(t, "POST", srv.URL+"/v1/screen", "", "", b)
		if status != 400 || !strings.Contains(body, "after the JSON object") && !strings.Contains(body, "invalid") {
			t.Errorf("%s: %d %s, want 400", b, status, body)
		}
	}
	if status, _, _ := do(t, "POST", srv.URL+"/v1/screen", "", "", `{"addresses":["x"]}`+"\n  "); status != 200 {
		t.Errorf("trailing whitespace refused: %d", status)
	}
}

// A 900 KB path element is quoted in an error by its first 200 bytes only.
func TestErrorsQuoteLittleInput(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	long := strings.Repeat("x", 900<<10)
	for _, p := range []string{"/v1/nope/" + long, "/v1/screen/address/" + long} {
		status, _, body := do(t, "GET", srv.URL+p, "", "", "")
		if len(body) > 1200 || status < 400 {
			t.Errorf("GET %.30s…: %d with a %d-byte body", p, status, len(body))
		}
	}
	if got := clip(long); len(got) > maxQuoted+30 || !strings.Contains(got, "921600 bytes") {
		t.Errorf("clip: %d bytes %q", len(got), got[len(got)-20:])
	}
	if got := publicMessage(500, `store: open /srv/data/chaintrace.db: disk I/O error`); strings.Contains(got, "/srv") {
		t.Errorf("server error keeps a path: %q", got)
	}
}

func TestMetricsAndReadiness(t *testing.T) {
	srv, _ := sanctionsServer(t)
	for _, p := range []string{"/v1/screen/address/3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", "/v1/screen/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "/v1/lists", "/readyz"} {
		do(t, "GET", srv.URL+p, "", "", "")
	}
	do(t, "POST", srv.URL+"/v1/screen", "", "", `{"addresses":["a","b","c"],"names":["Blender.io"]}`)
	status, _, body := do(t, "GET", srv.URL+"/metrics", "", "", "")
	if status != 200 {
		t.Fatal(status)
	}
	for _, want := range []string{
		`chaintrace_http_requests_total{code="200",method="GET",route="GET /v1/screen/address/{address}"} 2`,
		`chaintrace_http_requests_total{code="200",method="POST",route="POST /v1/screen"} 1`,
		`chaintrace_http_request_duration_seconds_count{route="GET /v1/lists"} 1`,
		`chaintrace_screens_total{kind="address"} 5`,
		`chaintrace_screens_total{kind="name"} 1`,
		`chaintrace_list_version{list="ofac-sdn"} 1`,
		`chaintrace_list_addresses{list="ofac-sdn"} 661`,
		`chaintrace_ready 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	code := getJSON(t, srv.URL+"/readyz", &ready)
	if code != 200 || ready.Status != "ready" || ready.Checks["lists"] != "loaded ofac-sdn@1" || ready.Checks["index"] != "absent" {
		t.Errorf("readyz: %d %+v", code, ready)
	}
	// With the chain index held by another process, the node is not ready.
	var cfg Config
	cfg.Sanctions = nil
	cfg.PendingChain = func() (*indexT, error) { return nil, errTest }
	ns := httptest.NewServer(New(cfg))
	defer ns.Close()
	if code := getJSON(t, ns.URL+"/readyz", &ready); code != 503 || !strings.HasPrefix(ready.Checks["index"], "unavailable") {
		t.Errorf("pending index: %d %+v", code, ready)
	}
}

// /v1/lists names an imported file, never the server's path to it.
func TestListsHidePaths(t *testing.T) {
	srv, _ := sanctionsServer(t)
	var lists struct {
		Versions []struct{ Source string }
	}
	getJSON(t, srv.URL+"/v1/lists", &lists)
	if len(lists.Versions) == 0 {
		t.Fatal("no versions")
	}
	for _, v := range lists.Versions {
		if strings.Contains(v.Source, "/") || v.Source == "" {
			t.Errorf("source %q", v.Source)
		}
	}
	if got := publicSource("https://example.org/SDN.CSV"); got != "https://example.org/SDN.CSV" {
		t.Errorf("URL source: %q", got)
	}
}

// The access log has one JSON record per request: route, status, key id; no
// key secret and no query string.
func TestAccessLog(t *testing.T) {
	ks := keyStore(t)
	k, secret, _ := ks.Create(context.Background(), auth.ScopeRead, "", 0)
	var buf bytes.Buffer
	var cfg Config
	cfg.Keys, cfg.AccessLog = ks, slog.New(slog.NewJSONHandler(&buf, nil))
	srv := httptest.NewServer(New(cfg))
	defer srv.Close()
	do(t, "GET", srv.URL+"/v1/lists?secret=shh", "", secret, "")
	do(t, "GET", srv.URL+"/v1/nope", "", "", "")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d records: %s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["route"] != "GET /v1/lists" || rec["status"] != float64(503) || rec["key"] != k.ID || rec["method"] != "GET" {
		t.Errorf("record %v", rec)
	}
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), "shh") {
		t.Error("access log holds the key or the query")
	}
	if !regexp.MustCompile(`"route":"unmatched".*"status":404`).MatchString(lines[1]) {
		t.Errorf("unmatched record %s", lines[1])
	}
}

type indexT = index.Index

var errTest = errors.New("in use by another chaintrace process")

// A batch is bounded by its time budget (the long-route deadline) and by the
// batch slots: it answers 503 instead of running on.
func TestBatchBudget(t *testing.T) {
	_, st := sanctionsServer(t)
	var cfg Config
	cfg.Sanctions, cfg.LongTimeout, cfg.BatchSlots = st, 30*time.Millisecond, 1
	s := New(cfg)
	srv := httptest.NewServer(s)
	defer srv.Close()
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("Mohammed Abdul Rahman Al Qadir %d Ivanovich", i)
	}
	b, _ := json.Marshal(map[string][]string{"names": names})
	start := time.Now()
	status, _, body := do(t, "POST", srv.URL+"/v1/screen", "", "", string(b))
	if status != 503 || !strings.Contains(body, "time budget") {
		t.Errorf("1000 long names in 30 ms: %d %.200s", status, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("batch ran %v past its 30 ms budget", d)
	}
	// With the only slot taken, a batch waits its deadline and answers busy.
	s.longSlots <- struct{}{}
	status, h, body := do(t, "POST", srv.URL+"/v1/screen", "", "", `{"addresses":["x"]}`)
	<-s.longSlots
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(body, "busy") {
		t.Errorf("no free slot: %d %s", status, body)
	}
	if status, _, _ := do(t, "POST", srv.URL+"/v1/screen", "", "", `{"addresses":["x"]}`); status != 200 {
		t.Errorf("free slot: %d", status)
	}
}

// A route's own body limit (e.g. a label import's) wins over the server's.
func TestRouteBodyLimit(t *testing.T) {
	routeTable["POST /v1/test/upload"] = Route{Scope: auth.ScopeRead, MaxBody: 8 << 20}
	defer delete(routeTable, "POST /v1/test/upload")
	s := New(Config{})
	s.mux.HandleFunc("POST /v1/test/upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"bytes": n})
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	big := strings.Repeat("x", 3<<20)
	if status, _, body := do(t, "POST", srv.URL+"/v1/test/upload", "", "", big); status != 200 || !strings.Contains(body, `"bytes":3145728`) {
		t.Errorf("3 MiB upload: %d %s", status, body)
	}
	if status, _, _ := do(t, "POST", srv.URL+"/v1/screen", "", "", big); status != 413 && status != 503 {
		t.Errorf("3 MiB batch: %d", status)
	}
}
