package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// firstP2PKH decodes a raw block with btcd (independently of the index) and
// returns the address of its first P2PKH output.
func firstP2PKH(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	for _, tx := range b.Transactions {
		for _, out := range tx.TxOut {
			class, addrs, _, err := txscript.ExtractPkScriptAddrs(out.PkScript, &chaincfg.MainNetParams)
			if err == nil && class == txscript.PubKeyHashTy {
				return addrs[0].(*btcutil.AddressPubKeyHash).EncodeAddress()
			}
		}
	}
	t.Fatal("no P2PKH output")
	return ""
}

func labelsServer(t *testing.T, withChain bool) (*httptest.Server, *labels.Store, string) {
	t.Helper()
	blk := testutil.SharedFile(t, "data/btc/mainnet/169482.block")
	addr := firstP2PKH(t, blk)
	st, err := labels.Open(t.TempDir(), labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{labelsConfig: labelsConfig{Labels: st, LabelsImportLimit: 4096}}
	if withChain {
		files, err := source.ScanFiles([]string{blk}, source.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer files.Close()
		ix, err := index.Open(t.TempDir(), index.Options{Network: &chaincfg.MainNetParams, CacheBytes: 16 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		h := int64(169482)
		if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files),
			ingest.Options{Params: &chaincfg.MainNetParams, BlockHeight: chain.BlockHeight, StartHeight: &h}); err != nil {
			t.Fatal(err)
		}
		cfg.Chain = ix
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv, st, addr
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/octet-stream", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v: %s", url, err, b)
	}
	return resp.StatusCode, m
}

func TestLabelRoutes(t *testing.T) {
	srv, st, addr := labelsServer(t, true)
	// Nothing yet: the address answer carries an empty "labels".
	code, m := get(t, srv.URL+"/v1/btc/addresses/"+addr)
	if ls, ok := m["labels"].([]any); code != 200 || !ok || len(ls) != 0 || m["address"] != addr || m["tx_count"] == nil {
		t.Fatalf("address before import: %d %v", code, m)
	}
	pack := "title: t\ncurrency: BTC\ncategory: exchange\nconfidence: service_data\nsource: https://example.org/a\ntags:\n- address: " + addr + "\n  label: Test Exchange\n"
	code, m = postJSON(t, srv.URL+"/v1/labels/import?format=tagpack&dataset=test-pack", pack)
	if code != 200 || m["stored"] != 1.0 {
		t.Fatalf("import: %d %v", code, m)
	}
	code, m = postJSON(t, srv.URL+"/v1/labels/import?format=tagpack&dataset=test-pack", pack)
	if code != 200 || m["stored"] != 0.0 || m["existing"] != 1.0 {
		t.Fatalf("second import: %d %v", code, m)
	}
	code, m = get(t, srv.URL+"/v1/labels/"+addr)
	ls, _ := m["labels"].([]any)
	if code != 200 || len(ls) != 1 || ls[0].(map[string]any)["label"] != "Test Exchange" || ls[0].(map[string]any)["category"] != "exchange" ||
		ls[0].(map[string]any)["confidence"] != 0.5 || ls[0].(map[string]any)["source"] != "https://example.org/a" || ls[0].(map[string]any)["dataset"] != "test-pack" {
		t.Fatalf("GET labels: %d %v", code, m)
	}
	code, m = get(t, srv.URL+"/v1/btc/addresses/"+addr)
	if ls, _ := m["labels"].([]any); code != 200 || len(ls) != 1 || m["tx_count"] == nil {
		t.Fatalf("address after import: %d %v", code, m)
	}
	// Errors: bad address, bad format, malformed body (nothing stored), too large.
	for _, c := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/v1/labels/1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH", "", 400, "bad address"},
		{"GET", "/v1/labels/mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "", 400, "testnet"},
		{"POST", "/v1/labels/import", "x", 400, "format"},
		{"POST", "/v1/labels/import?format=xml", "x", 400, "unknown label format"},
		{"POST", "/v1/labels/import?format=csv", "", 400, "empty body"},
		{"POST", "/v1/labels/import?format=csv&category=bakery", "address,label\n" + addr + ",x\n", 400, "valid categories are exchange"},
		{"POST", "/v1/labels/import?format=csv&dataset=bad.csv", "address,label,category\n" + addr + ",y,exchange\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH,z,exchange\n", 400, "bad.csv:3: address"},
		{"POST", "/v1/labels/import?format=csv", "address,label,category\n" + strings.Repeat(addr+",x,exchange\n", 200), 413, "larger than 4096"},
	} {
		var code int
		var m map[string]any
		if c.method == "GET" {
			code, m = get(t, srv.URL+c.path)
		} else {
			code, m = postJSON(t, srv.URL+c.path, c.body)
		}
		if e, _ := m["error"].(string); code != c.status || !strings.Contains(e, c.want) {
			t.Errorf("%s %s: %d %v; want %d with %q", c.method, c.path, code, m, c.status, c.want)
		}
	}
	if n, _ := st.Count(context.Background()); n != 1 {
		t.Errorf("store holds %d labels after refused imports, want 1", n)
	}
}

func TestLabelRoutesWithoutStore(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	if code, m := get(t, srv.URL+"/v1/labels/1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG"); code != 503 || m["error"] == nil {
		t.Errorf("no store: %d %v", code, m)
	}
}
