package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// chainServer serves an index of blk00000.dat (mainnet heights 0–299).
func chainServer(t *testing.T) *httptest.Server {
	t.Helper()
	return chainServerWith(t, nil)
}

// chainServerWith is chainServer with a kinds hook (as ingest sets it).
func chainServerWith(t *testing.T, kinds *index.KindHook) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Config{btcConfig: btcConfig{Chain: chainIndex(t, kinds)}}))
	t.Cleanup(srv.Close)
	return srv
}

// chainIndex is an index of blk00000.dat (mainnet heights 0–299), with a
// kinds hook when kinds is set.
func chainIndex(t *testing.T, kinds *index.KindHook) *index.Index {
	t.Helper()
	files, err := source.ScanFiles([]string{testutil.SharedFile(t, "data/btc/blkfiles/blk00000.dat")}, source.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	ix, err := index.Open(t.TempDir(), index.Options{Network: files.Network(), CacheBytes: 16 << 20, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files),
		ingest.Options{Params: files.Network(), BlockHeight: chain.BlockHeight}); err != nil {
		t.Fatal(err)
	}
	return ix
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: content type %q", url, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v: %s", url, err, body)
	}
	return resp.StatusCode, m
}

func TestBTCRoutes(t *testing.T) {
	srv := chainServer(t)
	// blk00000.dat: 300 blocks, heights 0–299, 307 txs, 307 inputs, 312 outputs (MANIFEST.md).
	// Block 170 holds the first payment, f4184fc5…9e16, from block 9's coinbase
	// (the well-known Satoshi → Hal Finney transaction, 10 BTC out of 50).
	tests := []struct {
		path   string
		status int
		check  func(t *testing.T, m map[string]any)
	}{
		{"/v1/stats", 200, func(t *testing.T, m map[string]any) {
			tip := m["tip"].(map[string]any)
			if m["blocks"] != 300.0 || m["txs"] != 307.0 || m["inputs"] != 307.0 || m["outputs"] != 312.0 || tip["height"] != 299.0 {
				t.Fatalf("stats %v", m)
			}
		}},
		{"/v1/btc/blocks/170", 200, func(t *testing.T, m map[string]any) {
			if m["hash"] != "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee" {
				t.Fatalf("block 170: %v", m["hash"])
			}
		}},
		{"/v1/btc/blocks/000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", 200, func(t *testing.T, m map[string]any) {
			if m["height"] != 0.0 {
				t.Fatalf("genesis at height %v", m["height"])
			}
		}},
		{"/v1/btc/txs/f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", 200, func(t *testing.T, m map[string]any) {
			outs := m["outputs"].([]any)
			if m["block_height"] != 170.0 || len(outs) != 2 || outs[0].(map[string]any)["value"] != 1e9 {
				t.Fatalf("tx: %v", m)
			}
		}},
		{"/v1/btc/addresses/0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3?offset=1&limit=1", 200, func(t *testing.T, m map[string]any) {
			txs := m["txs"].([]any)
			if len(txs) != 1 || txs[0].(map[string]any)["txid"] != "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" {
				t.Fatalf("address page: %v", m)
			}
		}},
		{"/v1/btc/blocks/300", 404, nil},
		{"/v1/btc/blocks/-1", 400, nil},
		{"/v1/btc/blocks/00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2eX", 400, nil},
		{"/v1/btc/txs/abc", 400, nil},
		{"/v1/btc/txs/0000000000000000000000000000000000000000000000000000000000000001", 404, nil},
		{"/v1/btc/addresses/1BadAddress", 400, nil},
		{"/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", 404, nil},
		{"/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?limit=0", 400, nil},
		{"/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?offset=x", 400, nil},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.path, "/v1/"), func(t *testing.T) {
			status, m := get(t, srv.URL+tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, m)
			}
			if status != 200 {
				if s, _ := m["error"].(string); s == "" {
					t.Fatalf("error answer without an error: %v", m)
				}
				return
			}
			tc.check(t, m)
		})
	}
}

func TestBTCRoutesWithoutIndex(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	for _, p := range []string{"/v1/stats", "/v1/btc/blocks/1", "/v1/btc/txs/f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"} {
		status, m := get(t, srv.URL+p)
		if status != http.StatusServiceUnavailable || !strings.Contains(m["error"].(string), "chaintrace ingest") {
			t.Fatalf("%s: %d %v", p, status, m)
		}
	}
}
