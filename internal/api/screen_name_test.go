package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// nameServer serves a store holding the real UN consolidated list.
func nameServer(t *testing.T) *httptest.Server {
	t.Helper()
	p, err := sanctions.ParseUNXML(testutil.SharedFile(t, "data/sanctions/un/consolidated-2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sanctions.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, _, err := st.Import(context.Background(), p, sanctions.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	cfg.Sanctions = st
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func TestScreenNameRoute(t *testing.T) {
	srv := nameServer(t)
	var res sanctions.NameResult
	code := getJSON(t, srv.URL+"/v1/screen/name?q="+url.QueryEscape("Saddam Hussein al-Tikriti"), &res)
	if code != http.StatusOK || len(res.Matches) == 0 || res.Matches[0].EntityID != "un:IQi.001" || res.ListVersion == "" {
		t.Fatalf("status %d, result %+v", code, res)
	}
	if res.Matches[0].Explanation.Summary == "" || len(res.Matches[0].Explanation.Matches) == 0 {
		t.Errorf("no explanation: %+v", res.Matches[0].Explanation)
	}
	// Filters and limits.
	code = getJSON(t, srv.URL+"/v1/screen/name?q=Saddam+Hussein+al-Tikriti&type=entity", &res)
	if code != http.StatusOK || len(res.Matches) != 0 {
		t.Errorf("type=entity: status %d, %d matches", code, len(res.Matches))
	}
	code = getJSON(t, srv.URL+"/v1/screen/name?q=Hussein&min_score=0.3&limit=2", &res)
	if code != http.StatusOK || len(res.Matches) != 2 {
		t.Errorf("limit=2: status %d, %d matches", code, len(res.Matches))
	}
	bad := []string{
		"", "?q=", "?q=%20%20", "?q=x&min_score=2", "?q=x&min_score=abc", "?q=x&limit=0",
		"?q=x&type=person", "?q=x&dob=84", "?q=x&dob=1984-13-01",
	}
	for _, b := range bad {
		var e errorBody
		if code := getJSON(t, srv.URL+"/v1/screen/name"+b, &e); code != http.StatusBadRequest || e.Error == "" {
			t.Errorf("%q: status %d, error %q, want 400", b, code, e.Error)
		}
	}
}

// Country filters by code or any spelling, a comma inside a country name,
// and unknown list / program / country values answering 400 naming the
// valid values; a filter that removes a match says so.
func TestScreenNameFilterValues(t *testing.T) {
	srv := nameServer(t)
	for _, c := range []string{"KP", "PRK", "North Korea", "Korea, North", "RU,KP"} {
		var res sanctions.NameResult
		code := getJSON(t, srv.URL+"/v1/screen/name?q=Ri+Je-son&country="+url.QueryEscape(c), &res)
		found := false
		for _, m := range res.Matches {
			found = found || m.EntityID == "un:KPi.002"
		}
		if code != http.StatusOK || !found {
			t.Errorf("country=%q: status %d, %+v", c, code, res)
		}
	}
	var res sanctions.NameResult
	if code := getJSON(t, srv.URL+"/v1/screen/name?q=Ri+Je-son&country=RU", &res); code != http.StatusOK || len(res.Matches) != 0 ||
		len(res.Filtered) != 1 || res.Filtered[0].Filter != "country" || res.Filtered[0].Matches < 1 {
		t.Errorf("country=RU: status %d, %+v", code, res)
	}
	for q, want := range map[string]string{"list=ofac": "un", "program=NOSUCH": "DPRK", "country=Narnia": "ISO 3166"} {
		var e errorBody
		if code := getJSON(t, srv.URL+"/v1/screen/name?q=Ri+Je-son&"+q, &e); code != http.StatusBadRequest || !strings.Contains(e.Error, want) {
			t.Errorf("%s: status %d, error %q, want 400 naming %q", q, code, e.Error, want)
		}
	}
}

func TestScreenNameBatchHook(t *testing.T) {
	srv := nameServer(t)
	body, _ := json.Marshal(map[string]any{"names": []string{"Usama bin Laden", " "}})
	resp, err := http.Post(srv.URL+"/v1/screen", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Names []map[string]any `json:"names"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(out.Names) != 2 {
		t.Fatalf("status %d, names %+v", resp.StatusCode, out.Names)
	}
	ms, _ := out.Names[0]["matches"].([]any)
	if len(ms) == 0 {
		t.Errorf("batch name screen found nothing: %+v", out.Names[0])
	}
	if out.Names[1]["error"] == nil {
		t.Errorf("blank name in batch: %+v, want an error", out.Names[1])
	}
}

func TestScreenNameNoStore(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	var e errorBody
	if code := getJSON(t, srv.URL+"/v1/screen/name?q=abc", &e); code != http.StatusServiceUnavailable {
		t.Errorf("no store: status %d, want 503", code)
	}
}
