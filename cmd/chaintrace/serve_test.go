package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/api"
)

// serve --help lists the contract's routes, and each route it lists is served.
func TestServeHelpListsRoutes(t *testing.T) {
	cmd, _, err := rootCmd.Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{}))
	defer srv.Close()
	// The routes of issues #2 and #4 (contract), with a concrete path to try.
	routes := []struct{ help, method, path string }{
		{"GET  /v1/stats", "GET", "/v1/stats"},
		{"GET  /v1/btc/blocks/{height|hash}", "GET", "/v1/btc/blocks/1"},
		{"GET  /v1/btc/txs/{txid}", "GET", "/v1/btc/txs/" + strings.Repeat("0", 64)},
		{"GET  /v1/btc/addresses/{address}", "GET", "/v1/btc/addresses/1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
		{"GET  /v1/screen/address/{address}", "GET", "/v1/screen/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
		{"GET  /v1/screen/name?q=NAME", "GET", "/v1/screen/name?q=x"},
		{"POST /v1/screen", "POST", "/v1/screen"},
		{"GET  /v1/lists", "GET", "/v1/lists"},
		{"GET  /api/v1/address/{address}", "GET", "/api/v1/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
	}
	for _, r := range routes {
		if !strings.Contains(cmd.Long, r.help) {
			t.Errorf("serve --help does not list %q", r.help)
		}
		req, _ := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, the route is not served", r.method, r.path, resp.StatusCode)
		}
	}
}
