package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/monitor"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// Facts of blk00000.dat (MANIFEST.md): block 170's f4184fc5…9e16 pays 10 BTC
// (output 0) to Hal Finney from block 9's coinbase, Satoshi's p2pk key.
const (
	hal        = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
	satoshiKey = "0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3"
	scamAddr   = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
)

// testLabels attributes a fixed set of addresses (as a label import would).
type testLabels trace.MapAttributor

func (l testLabels) Current(ctx context.Context) (trace.Attributor, string, error) {
	return trace.MapAttributor(l), "test", nil
}
func (l testLabels) Illicit(ctx context.Context) ([]monitor.Source, error) { return nil, nil }

// kytServer serves the KYT routes over an index of blk00000.dat, with
// Satoshi's key labelled as a perpetrator and scamAddr as a scam.
func kytServer(t *testing.T) (*httptest.Server, *monitor.Service) {
	t.Helper()
	files, err := source.ScanFiles([]string{testutil.SharedFile(t, "data/btc/blkfiles/blk00000.dat")}, source.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	ix, err := index.Open(t.TempDir(), index.Options{Network: files.Network(), CacheBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files),
		ingest.Options{Params: files.Network(), BlockHeight: chain.BlockHeight}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lab := testLabels{satoshiKey: {Entity: "Satoshi", Category: "perpetrator"}, scamAddr: {Entity: "Fake giveaway", Category: "scam"}}
	cs := func() (monitor.Chain, error) { return ix, nil }
	svc, err := monitor.New(context.Background(), db, monitor.Options{Chain: cs, Poll: 10 * time.Millisecond,
		Exposers: []monitor.Exposer{monitor.LabelExposer{L: lab}, monitor.TraceExposer{L: lab, Chain: cs}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx, 50*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	var cfg Config
	cfg.KYT = svc
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv, svc
}

func call(t *testing.T, v *validator, srv *httptest.Server, method, docPath, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set(ActorHeader, "maria")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		v.check(strings.ToLower(method), docPath, resp, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func TestKYTRoutes(t *testing.T) { checkKYTRoutes(t, newValidator(t)) }

// checkKYTRoutes runs the KYT contract over HTTP, validating each answer
// against openapi.json with v.
func checkKYTRoutes(t *testing.T, v *validator) {
	srv, _ := kytServer(t)
	const users = "/v1/kyt/users/{userId}/transfers"
	reg := `{"network":"bitcoin","asset":"BTC","transferReference":"` + hal + `:0","direction":"received"}`
	var r1, r2 map[string]string
	if st := call(t, v, srv, "POST", users, "/v1/kyt/users/hal/transfers", reg, &r1); st != 202 || r1["status"] != "pending" || r1["externalId"] == "" {
		t.Fatalf("register: %d %v", st, r1)
	}
	if st := call(t, v, srv, "POST", users, "/v1/kyt/users/hal/transfers", reg, &r2); st != 200 || r2["externalId"] != r1["externalId"] {
		t.Fatalf("duplicate: %d %v (first %v)", st, r2, r1)
	}
	for _, bad := range []string{
		`{"network":"litecoin","asset":"BTC","transferReference":"` + hal + `:0","direction":"received"}`,
		`{"network":"bitcoin","asset":"BTC","transferReference":"` + hal + `:7","direction":"received"}`,
		`{"network":"bitcoin","asset":"BTC","transferReference":"nope","direction":"received"}`,
		`{"network":"bitcoin"`,
	} {
		var e map[string]string
		if st := call(t, v, srv, "POST", users, "/v1/kyt/users/hal/transfers", bad, &e); st != 400 || e["error"] == "" {
			t.Errorf("%s: %d %v", bad, st, e)
		}
	}
	id := r1["externalId"]
	var tr monitor.Transfer
	deadline := time.Now().Add(10 * time.Second)
	for tr.Status != monitor.StatusScreened {
		if time.Now().After(deadline) {
			t.Fatalf("not screened: %+v", tr)
		}
		time.Sleep(20 * time.Millisecond)
		call(t, nil, srv, "GET", "", "/v1/kyt/transfers/"+id, "", &tr)
	}
	call(t, v, srv, "GET", "/v1/kyt/transfers/{externalId}", "/v1/kyt/transfers/"+id, "", &tr)
	if *tr.AssetAmount != 10e8 || tr.Alerts != 1 || tr.Timestamp.Year() != 2009 || tr.UserID != "hal" || tr.Direction != monitor.Received {
		t.Errorf("transfer %+v", tr)
	}
	var as []monitor.Alert
	call(t, v, srv, "GET", "/v1/kyt/transfers/{externalId}/alerts", "/v1/kyt/transfers/"+id+"/alerts", "", &as)
	if len(as) != 1 || as[0].AlertLevel != monitor.Severe || as[0].Category != "perpetrator" || as[0].Service != "Satoshi" ||
		as[0].AlertAmount != 10e8 || as[0].ExposureType != monitor.Direct || len(as[0].Path) != 1 || as[0].Path[0] != hal {
		t.Fatalf("alerts %+v", as)
	}
	var ex monitor.Exposures
	call(t, v, srv, "GET", "/v1/kyt/transfers/{externalId}/exposures", "/v1/kyt/transfers/"+id+"/exposures", "", &ex)
	if len(ex.Direct) != 1 || ex.Direct[0].Address != satoshiKey {
		t.Errorf("exposures %+v", ex)
	}
	aid := as[0].AlertID
	var page monitor.AlertPage
	call(t, v, srv, "GET", "/v1/kyt/alerts", "/v1/kyt/alerts?level=SEVERE&status=open&createdAt_gte=2020-01-01&limit=10&offset=0", "", &page)
	if page.Total != 1 || page.Data[0].AlertID != aid {
		t.Errorf("alerts page %+v", page)
	}
	var e map[string]string
	if st := call(t, v, srv, "GET", "/v1/kyt/alerts", "/v1/kyt/alerts?createdAt_lte=yesterday", "", &e); st != 400 {
		t.Errorf("bad bound: %d %v", st, e)
	}
	var upd monitor.Alert
	if st := call(t, v, srv, "PATCH", "/v1/kyt/alerts/{alertId}", "/v1/kyt/alerts/"+aid, `{"status":"closed","note":"known early adopter"}`, &upd); st != 200 ||
		upd.Status != "closed" || len(upd.Notes) != 1 || upd.Notes[0].Author != "maria" {
		t.Errorf("patch: %d %+v", st, upd)
	}
	if st := call(t, v, srv, "PATCH", "/v1/kyt/alerts/{alertId}", "/v1/kyt/alerts/"+aid, `{"status":"done"}`, &e); st != 400 {
		t.Errorf("bad status: %d", st)
	}
	if st := call(t, v, srv, "PATCH", "/v1/kyt/alerts/{alertId}", "/v1/kyt/alerts/nope", `{"status":"closed"}`, &e); st != 404 {
		t.Errorf("unknown alert: %d", st)
	}
	var detail struct {
		monitor.Alert
		Audit []monitor.AuditEntry `json:"audit"`
	}
	call(t, v, srv, "GET", "/v1/kyt/alerts/{alertId}", "/v1/kyt/alerts/"+aid, "", &detail)
	if len(detail.Audit) != 3 || detail.Audit[1].Action != "status" || detail.Audit[1].Actor != "maria" {
		t.Errorf("audit %+v", detail.Audit)
	}
	if st := call(t, v, srv, "GET", "/v1/kyt/transfers/{externalId}", "/v1/kyt/transfers/nope", "", &e); st != 404 {
		t.Errorf("unknown transfer: %d", st)
	}
	var w monitor.WithdrawalResult
	if st := call(t, v, srv, "POST", "/v1/kyt/users/{userId}/withdrawal-attempts", "/v1/kyt/users/hal/withdrawal-attempts",
		`{"network":"bitcoin","asset":"BTC","address":"`+scamAddr+`","assetAmount":5000}`, &w); st != 200 ||
		len(w.Alerts) != 1 || w.Alerts[0].AlertLevel != monitor.High || w.Alerts[0].Category != "scam" {
		t.Errorf("withdrawal: %d %+v", st, w)
	}
	if st := call(t, v, srv, "POST", "/v1/kyt/users/{userId}/withdrawal-attempts", "/v1/kyt/users/hal/withdrawal-attempts",
		`{"network":"bitcoin","asset":"BTC","address":"bc1qnotanaddress"}`, &e); st != 400 {
		t.Errorf("bad withdrawal address: %d %v", st, e)
	}
	var rules monitor.Rules
	call(t, v, srv, "GET", "/v1/kyt/rules", "/v1/kyt/rules", "", &rules)
	if rules.Version != 0 || len(rules.Rules) < 8 {
		t.Errorf("rules %+v", rules)
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/v1/kyt/rules", bytes.NewReader([]byte("rules:\n  - category: mixer\n    level: URGENT\n")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "request body:3") {
		t.Errorf("invalid rules: %d %s", resp.StatusCode, b)
	}
	req, _ = http.NewRequest("PUT", srv.URL+"/v1/kyt/rules", bytes.NewReader([]byte("rules:\n  - category: mixer\n    level: HIGH\n")))
	resp, _ = http.DefaultClient.Do(req)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	v.check("put", "/v1/kyt/rules", resp, b)
	if resp.StatusCode != 201 {
		t.Errorf("set rules: %d %s", resp.StatusCode, b)
	}
	// Without a monitor: 503.
	empty := httptest.NewServer(New(Config{}))
	defer empty.Close()
	if st := call(t, v, empty, "GET", "/v1/kyt/alerts", "/v1/kyt/alerts", "", &e); st != 503 {
		t.Errorf("no monitor: %d", st)
	}
}
