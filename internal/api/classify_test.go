package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func TestKindRoutes(t *testing.T) { checkKindRoutes(t, newValidator(t)) }

func checkKindRoutes(t *testing.T, v *validator) {
	srv := chainServerWith(t, classify.IndexHook())
	// MANIFEST.md: 300 blocks, heights 0–299, so 300 coinbases.
	var got []string
	cursor := ""
	for i := 0; i < 100; i++ {
		url := srv.URL + "/v1/btc/txs?kind=coinbase&limit=64"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		status, m := v.get(url)
		if status != 200 || m["kind"] != "coinbase" {
			t.Fatalf("%s: %d %v", url, status, m)
		}
		for _, x := range m["txs"].([]any) {
			tx := x.(map[string]any)
			if tx["confidence"] != 1.0 {
				t.Fatalf("coinbase confidence %v", tx["confidence"])
			}
			got = append(got, tx["txid"].(string))
		}
		if m["next_cursor"] == nil {
			break
		}
		cursor = m["next_cursor"].(string)
	}
	if len(got) != 300 {
		t.Fatalf("%d coinbases, want 300", len(got))
	}
	// The genesis coinbase.
	if got[0] != "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b" {
		t.Errorf("first coinbase %s", got[0])
	}
	status, m := v.get(srv.URL + "/v1/btc/txs?kind=coinbase&from=10&to=19&limit=1000")
	if status != 200 || len(m["txs"].([]any)) != 10 || m["next_cursor"] != nil {
		t.Errorf("heights 10–19: %d %v", status, m)
	}
	status, m = v.get(srv.URL + "/v1/btc/txs/" + got[0])
	if ks, ok := m["kinds"].([]any); status != 200 || !ok || len(ks) != 1 || ks[0].(map[string]any)["kind"] != "coinbase" || m["block_height"] != 0.0 {
		t.Errorf("tx view with kinds: %d %v", status, m)
	}
	for _, bad := range []string{"kind=mixer", "kind=", "kind=peel&from=x", "kind=peel&limit=0", "kind=peel&cursor=-1", "kind=peel&from=5&to=1"} {
		if status, m := v.get(srv.URL + "/v1/btc/txs?" + bad); status != 400 || m["error"] == nil {
			t.Errorf("%s: %d %v", bad, status, m)
		}
	}
}

func TestClassifyRoute(t *testing.T) { checkClassifyRoute(t, newValidator(t)) }

func checkClassifyRoute(t *testing.T, v *validator) {
	srv := httptest.NewServer(New(Config{}))
	t.Cleanup(srv.Close)
	// Real rows of the dev set: the first of each label.
	f, err := os.Open(testutil.SharedFile(t, "data/btc/coinjoin-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	rows := map[string]string{}
	for sc.Scan() {
		var r struct{ Label string }
		json.Unmarshal(sc.Bytes(), &r)
		if _, ok := rows[r.Label]; !ok && len(sc.Bytes()) < 200_000 {
			rows[r.Label] = sc.Text()
		}
	}
	for _, label := range []string{"whirlpool", "wasabi1", "wasabi2"} {
		status, body := v.post(srv.URL+"/v1/classify", rows[label])
		var res ClassifyResult
		if status != 200 || json.Unmarshal(body, &res) != nil || len(res.Kinds) == 0 || string(res.Kinds[0].Kind) != label {
			t.Errorf("%s row: %d %s", label, status, body)
		}
	}
	arr := "[" + rows["whirlpool"] + ",\n" + rows["none"] + "]"
	status, body := v.post(srv.URL+"/v1/classify", arr)
	var results []ClassifyResult
	if status != 200 || json.Unmarshal(body, &results) != nil || len(results) != 2 || results[1].Kinds == nil {
		t.Errorf("array: %d %s", status, body)
	}
	for _, c := range []struct {
		body   string
		status int
		want   string
	}{
		{"", 400, "no transaction"},
		{"[]", 400, "no transaction"},
		{"{\"txid\":", 400, "line 1: malformed JSON"},
		{"[" + rows["none"] + ",\n{]", 400, "line 2"},
		{`{"vin":[],"vout":[]}`, 400, `missing required field "txid"`},
		// Over the server's body limit (as for the other POST routes): the
		// guard answers before the route reads a byte.
		{"[" + strings.Repeat(rows["none"]+",", 2000) + rows["none"] + "]", 413, fmt.Sprintf("request body over %d bytes", DefaultMaxBody)},
	} {
		status, body := v.post(srv.URL+"/v1/classify", c.body)
		var e struct{ Error string }
		if status != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, c.want) {
			t.Errorf("body %.40q: %d %s, want %d %q", c.body, status, bytes.TrimSpace(body), c.status, c.want)
		}
	}
	// A chunked body (no declared length) over the limit fails the read.
	big := "[" + strings.Repeat(rows["none"]+",", 2000) + rows["none"] + "]"
	status, body = v.do("POST", srv.URL+"/v1/classify", "application/json", io.MultiReader(strings.NewReader(big)))
	var e struct{ Error string }
	if want := fmt.Sprintf("body over %d bytes", DefaultMaxBody); status != 413 || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, want) {
		t.Errorf("chunked %d-byte body: %d %.300s, want 413 %q", len(big), status, body, want)
	}
}
