package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Routes that do not exist, or exist for another method, answer with the same
// JSON error body as every other error.
func TestUnknownRouteJSON(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/nope", http.StatusNotFound, ""},
		{"GET", "/", http.StatusNotFound, ""},
		{"GET", "/v1/btc/txs/", http.StatusNotFound, ""},
		{"POST", "/v1/stats", http.StatusMethodNotAllowed, "GET"},
		{"DELETE", "/v1/screen", http.StatusMethodNotAllowed, "POST"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body errorBody
		derr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || derr != nil || body.Error == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: status %d, content type %q, body %+v (%v); want %d with a JSON error",
				tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, derr, tc.status)
		}
		if tc.allow != "" && !strings.Contains(resp.Header.Get("Allow"), tc.allow) {
			t.Errorf("%s %s: Allow %q, want %s in it", tc.method, tc.path, resp.Header.Get("Allow"), tc.allow)
		}
	}
}

// Known routes still answer normally (the JSON 404 is only for unmatched paths).
func TestKnownRouteUnaffected(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
}
