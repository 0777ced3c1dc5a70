package api

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/cluster"
)

// TestClusterRoutes serves the clustering of blk00000.dat (heights 0–299).
// Its one payment, f4184fc5…9e16 (block 170), spends one coin of block 9's
// coinbase key and pays its change back to that key: no merge is possible,
// so every cluster is one address.
func TestClusterRoutes(t *testing.T) {
	ix := chainIndex(t, classify.IndexHook())
	cs, err := cluster.Open(t.TempDir(), cluster.Options{Change: cluster.ChangeOn, MultiParty: cluster.ClassifierMultiParty(ix)})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if err := cs.Sync(ix, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{btcConfig: btcConfig{Chain: ix}, clusterConfig: clusterConfig{Clusters: cs}}))
	defer srv.Close()

	_, tx := get(t, srv.URL+"/v1/btc/txs/f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
	outs := tx["outputs"].([]any)
	hal := outs[0].(map[string]any)["address"].(string)
	satoshi := outs[1].(map[string]any)["address"].(string)
	in := tx["inputs"].([]any)[0].(map[string]any)["address"].(string)
	if in != satoshi || hal == satoshi {
		t.Fatalf("tx f4184fc5: input %s, outputs %s, %s", in, hal, satoshi)
	}

	code, v := get(t, srv.URL+"/v1/btc/addresses/"+satoshi+"/cluster")
	if code != 200 || v["size"] != 1.0 || len(v["addresses"].([]any)) != 1 || v["addresses"].([]any)[0] != satoshi {
		t.Fatalf("cluster of %s: %d %v", satoshi, code, v)
	}
	id := v["cluster_id"].(float64)
	// The address view carries the same cluster id.
	if _, a := get(t, srv.URL+"/v1/btc/addresses/"+satoshi); a["cluster_id"] != id || a["tx_count"] == nil {
		t.Fatalf("address view: %v", a)
	}
	if code, c := get(t, fmt.Sprintf("%s/v1/btc/clusters/%d", srv.URL, int64(id))); code != 200 || c["cluster_id"] != id {
		t.Fatalf("cluster %v: %d %v", id, code, c)
	}
	if code, c := get(t, fmt.Sprintf("%s/v1/btc/clusters/%d/addresses?page=0", srv.URL, int64(id))); code != 200 || c["addresses"].([]any)[0] != satoshi {
		t.Fatalf("cluster %v addresses: %d %v", id, code, c)
	}
	if _, e := get(t, srv.URL+"/v1/btc/clusters/explain?a="+satoshi+"&b="+hal); e["same_cluster"] != false || len(e["path"].([]any)) != 0 {
		t.Fatalf("explain: %v", e)
	}
	if _, e := get(t, srv.URL+"/v1/btc/clusters/explain?a="+satoshi+"&b="+satoshi); e["same_cluster"] != true {
		t.Fatalf("explain of one address: %v", e)
	}
	for path, want := range map[string]int{
		"/v1/btc/clusters/99999999":                                    404,
		"/v1/btc/clusters/x":                                           400,
		"/v1/btc/clusters/explain?a=" + satoshi:                        400,
		"/v1/btc/clusters/explain?a=1BadAddress&b=" + satoshi:          400,
		"/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2/cluster": 404,
		"/v1/btc/addresses/" + satoshi + "/cluster?page=-1":            400,
	} {
		if code, m := get(t, srv.URL+path); code != want || m["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error", path, code, m, want)
		}
	}
	// Without a cluster store the routes answer 503.
	plain := httptest.NewServer(New(Config{btcConfig: btcConfig{Chain: ix}}))
	defer plain.Close()
	if code, _ := get(t, plain.URL+"/v1/btc/addresses/"+satoshi+"/cluster"); code != 503 {
		t.Fatalf("without clustering: %d", code)
	}
}
