package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

var (
	ofacOnce   sync.Once
	ofacParsed *sanctions.Parsed
	ofacErr    error
)

// sanctionsServer serves a store holding the real 2025-02 OFAC list.
func sanctionsServer(t *testing.T) (*httptest.Server, *sanctions.Store) {
	t.Helper()
	dir := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	ofacOnce.Do(func() { ofacParsed, ofacErr = sanctions.ParseOFACCSV(dir) })
	if ofacErr != nil {
		t.Fatal(ofacErr)
	}
	st, err := sanctions.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, _, err := st.Import(context.Background(), ofacParsed, sanctions.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// Build the name index now: a request's deadline (10 s) would otherwise
	// bound its first build, which a loaded machine may not finish in time.
	if err := st.WarmNameIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	cfg.Sanctions = st
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv, st
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return resp.StatusCode
}

func TestScreenAddressEndpoint(t *testing.T) {
	srv, _ := sanctionsServer(t)
	// The exact contract: address, sanctioned, list_version, matches[{list, entity_id, name, programs, ticker}].
	var raw map[string]json.RawMessage
	code := getJSON(t, srv.URL+"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96", &raw)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	keys := func(m map[string]json.RawMessage) string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		return strings.Join(sortStrings(k), ",")
	}
	if got := keys(raw); got != "address,list_version,matches,sanctioned" {
		t.Errorf("keys = %s", got)
	}
	var res struct {
		Address     string                       `json:"address"`
		Sanctioned  bool                         `json:"sanctioned"`
		ListVersion string                       `json:"list_version"`
		Matches     []map[string]json.RawMessage `json:"matches"`
	}
	getJSON(t, srv.URL+"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96", &res)
	if !res.Sanctioned || res.ListVersion != "ofac-sdn@1" || len(res.Matches) != 1 {
		t.Fatalf("res = %+v", res)
	}
	if got := keys(res.Matches[0]); got != "category,entity,entity_id,list,name,programs,ticker" {
		t.Errorf("match keys = %s", got)
	}
	var m sanctions.Match
	b, _ := json.Marshal(res.Matches[0])
	json.Unmarshal(b, &m)
	if m.EntityID != "ofac:27307" || m.Name != "LAZARUS GROUP" || m.Ticker != "ETH" || m.Programs[0] != "DPRK3" || m.Category != "sanctions" {
		t.Errorf("match = %+v", m)
	}

	var clean sanctions.AddressResult
	if code := getJSON(t, srv.URL+"/v1/screen/address/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", &clean); code != 200 || clean.Sanctioned || clean.Matches == nil {
		t.Errorf("clean: %d %+v", code, clean)
	}
	for _, bad := range []string{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97", "hello"} {
		var e errorBody
		if code := getJSON(t, srv.URL+"/v1/screen/address/"+bad, &e); code != 400 || !strings.Contains(e.Error, "malformed") {
			t.Errorf("%s: %d %+v", bad, code, e)
		}
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestChainalysisCompatible(t *testing.T) {
	srv, _ := sanctionsServer(t)
	var res struct {
		Identifications []map[string]string `json:"identifications"`
	}
	if code := getJSON(t, srv.URL+"/api/v1/address/3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(res.Identifications) != 1 {
		t.Fatalf("identifications = %+v", res.Identifications)
	}
	id := res.Identifications[0]
	if len(id) != 4 || id["category"] != "sanctions" || !strings.Contains(id["name"], "BLENDER.IO") ||
		!strings.Contains(id["description"], "CYBER2") || id["url"] != "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=37070" {
		t.Errorf("identification = %+v", id)
	}
	var clean map[string][]any
	getJSON(t, srv.URL+"/api/v1/address/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", &clean)
	if ids, ok := clean["identifications"]; !ok || ids == nil || len(ids) != 0 {
		t.Errorf("clean = %v, want an empty identifications list", clean)
	}
}

func TestScreenBatchAndLists(t *testing.T) {
	srv, _ := sanctionsServer(t)
	body := `{"addresses":["3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3","bogus","1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],"names":["LAZARUS GROUP"]}`
	resp, err := http.Post(srv.URL+"/v1/screen", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var br struct {
		ListVersion string `json:"list_version"`
		Addresses   []struct {
			Address    string `json:"address"`
			Sanctioned bool   `json:"sanctioned"`
			Error      string `json:"error"`
		} `json:"addresses"`
		Names []map[string]any `json:"names"`
	}
	json.NewDecoder(resp.Body).Decode(&br)
	if resp.StatusCode != 200 || len(br.Addresses) != 3 || !br.Addresses[0].Sanctioned || br.Addresses[1].Error == "" ||
		br.Addresses[2].Sanctioned || br.Addresses[2].Error != "" || len(br.Names) != 1 {
		t.Errorf("batch: %d %+v", resp.StatusCode, br)
	}
	for _, bad := range []string{`{}`, `{"addresses": 5}`, `not json`} {
		resp, err := http.Post(srv.URL+"/v1/screen", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
	var lists struct {
		InForce  string              `json:"in_force"`
		Versions []sanctions.Version `json:"versions"`
	}
	getJSON(t, srv.URL+"/v1/lists", &lists)
	if lists.InForce != "ofac-sdn@1" || len(lists.Versions) != 1 || lists.Versions[0].Addresses != 661 || !lists.Versions[0].InForce {
		t.Errorf("lists = %+v", lists)
	}
}

func TestScreenNameHookInBatch(t *testing.T) {
	_, st := sanctionsServer(t)
	var cfg Config
	cfg.Sanctions = st
	cfg.ScreenName = func(ctx context.Context, name string) (any, error) {
		if name == "" {
			return nil, errors.New("empty name")
		}
		return map[string]string{"query": name, "hook": "called"}, nil
	}
	h := New(cfg)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/screen", strings.NewReader(`{"names":["X",""]}`)))
	var br struct {
		Names []map[string]string `json:"names"`
	}
	json.Unmarshal(rec.Body.Bytes(), &br)
	if len(br.Names) != 2 || br.Names[0]["hook"] != "called" || br.Names[1]["error"] != "empty name" {
		t.Errorf("names = %+v", br.Names)
	}
}

func TestScreenWithoutLists(t *testing.T) {
	st, err := sanctions.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, cfg := range []Config{{}, {screenConfig: screenConfig{Sanctions: st}}} {
		rec := httptest.NewRecorder()
		New(cfg).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/screen/address/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503 (a screen against no list must not read as clean)", rec.Code)
		}
	}
}

// BenchmarkScreenAddressHandler measures GET /v1/screen/address in process
// (routing, the in-memory lookup and JSON encoding; no network).
func BenchmarkScreenAddressHandler(b *testing.B) {
	dir := testutil.SharedFile(b, "data/sanctions/ofac-2025-02")
	p, err := sanctions.ParseOFACCSV(dir)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sanctions.OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.Import(context.Background(), p, sanctions.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	var cfg Config
	cfg.Sanctions = st
	h := New(cfg)
	paths := []string{"/v1/screen/address/3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", "/v1/screen/address/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
		"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96"}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", paths[i%len(paths)], nil))
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
			i++
		}
	})
}
