package api

import (
	"net/http"
	"strings"
	"testing"
)

// The first bitcoin payment: block 170's tx pays 10 BTC to Hal Finney
// (output 0) from the coinbase of block 9.
const (
	halTx      = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
	block9Base = "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
	halAddr    = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
)

func TestTraceRoutes(t *testing.T) {
	srv := chainServer(t)
	code, m := get(t, srv.URL+"/v1/btc/trace?from="+halTx+":0&direction=backward&model=fifo")
	if code != http.StatusOK {
		t.Fatalf("backward trace: %d %v", code, m)
	}
	eps := m["endpoints"].([]any)
	if len(eps) != 1 {
		t.Fatalf("endpoints: %v", eps)
	}
	e := eps[0].(map[string]any)
	path := e["path"].([]any)
	if e["category"] != "coinbase" || e["amount"].(float64) != 10e8 || path[0] != block9Base && path[len(path)-1] != block9Base {
		t.Errorf("backward from Hal's 10 BTC: %v", e)
	}
	if m["direction"] != "backward" || m["model"] != "fifo" || m["source"] != halTx+":0" {
		t.Errorf("echo: %v %v %v", m["direction"], m["model"], m["source"])
	}
	code, m = get(t, srv.URL+"/v1/btc/trace?from="+halTx+":0")
	if code != http.StatusOK || m["total"].(float64) != 10e8 {
		t.Fatalf("forward trace: %d %v", code, m)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"from=" + strings.Repeat("0", 64), http.StatusNotFound},
		{"from=" + halTx + ":7", http.StatusBadRequest},
		{"from=" + halTx + "&model=magic", http.StatusBadRequest},
		{"from=" + halTx + "&hops=-1", http.StatusBadRequest},
		{"from=" + halTx + "&direction=sideways", http.StatusBadRequest},
		{"", http.StatusBadRequest},
		{"from=1BoatSLRHtKNngkdXEeobR76b53LETtpyT", http.StatusNotFound},
	} {
		code, m := get(t, srv.URL+"/v1/btc/trace?"+tc.q)
		if code != tc.want || m["error"] == nil {
			t.Errorf("?%s: %d %v, want %d with an error", tc.q, code, m, tc.want)
		}
	}
	// Hal's output is pay-to-pubkey: the index names it by its key, not by
	// the P2PKH address wallets show.
	if code, _ := get(t, srv.URL+"/v1/btc/exposure/"+halAddr); code != http.StatusNotFound {
		t.Errorf("exposure of an address not in the index: %d", code)
	}
	_, tx := get(t, srv.URL+"/v1/btc/txs/"+halTx)
	hal := tx["outputs"].([]any)[0].(map[string]any)["address"].(string)
	code, m = get(t, srv.URL+"/v1/btc/exposure/"+hal+"?direction=receiving")
	if code != http.StatusOK || m["subject"] != hal || m["received"].(float64) != 10e8 || m["direct"] == nil || m["indirect"] == nil {
		t.Errorf("exposure: %d %v", code, m)
	}
	if code, _ := get(t, srv.URL+"/v1/btc/exposure/"+hal+"?direction=up"); code != http.StatusBadRequest {
		t.Errorf("exposure with a bad direction: %d", code)
	}
}
