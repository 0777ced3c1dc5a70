package api

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// A match carries the listed party's details, and /v1/entities/{id} shows
// one party; a watchlist hit carries its own category and is never
// "sanctioned", here and in the Chainalysis-compatible route.
func TestEntityDetailsAndWatchlistCategory(t *testing.T) {
	srv, st := sanctionsServer(t)
	var res sanctions.AddressResult
	getJSON(t, srv.URL+"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96", &res)
	if len(res.Matches) != 1 || res.Matches[0].Entity == nil {
		t.Fatalf("address match without entity details: %+v", res)
	}
	d := res.Matches[0].Entity
	aliases := ""
	for _, a := range d.Aliases {
		aliases += a.Name + ";"
	}
	if d.ID != "ofac:27307" || d.ListVersion != "ofac-sdn@1" || !strings.Contains(aliases, "HIDDEN COBRA") || d.Remarks == "" || d.CryptoAddressN == 0 {
		t.Errorf("entity details %+v", d)
	}
	var nres sanctions.NameResult
	getJSON(t, srv.URL+"/v1/screen/name?q=Lazarus+Group", &nres)
	if len(nres.Matches) == 0 || nres.Matches[0].Entity == nil || nres.Matches[0].Entity.ID != "ofac:27307" || nres.Matches[0].Entity.ListVersion != "ofac-sdn@1" || !nres.Matches[0].Sanctioned {
		t.Errorf("name match details: %+v", nres.Matches)
	}
	// ?details=false leaves the details out.
	var bare sanctions.NameResult
	getJSON(t, srv.URL+"/v1/screen/name?q=Lazarus+Group&details=false", &bare)
	if len(bare.Matches) == 0 || bare.Matches[0].Entity != nil {
		t.Errorf("details=false: %+v", bare.Matches)
	}
	var bareAddr sanctions.AddressResult
	getJSON(t, srv.URL+"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96?details=false", &bareAddr)
	if len(bareAddr.Matches) != 1 || bareAddr.Matches[0].Entity != nil {
		t.Errorf("address details=false: %+v", bareAddr.Matches)
	}
	getJSON(t, srv.URL+"/v1/screen/address/0x098b716b8aaf21512996dc57eb0615e2383e2f96", &res)
	if res.Matches[0].Entity == nil {
		t.Error("details=false changed the shared index")
	}
	var ent struct {
		ListVersion string `json:"list_version"`
		sanctions.Entity
	}
	if code := getJSON(t, srv.URL+"/v1/entities/ofac:27307", &ent); code != 200 || ent.Name != "LAZARUS GROUP" || ent.ListVersion != "ofac-sdn@1" || len(ent.CryptoAddresses) == 0 || ent.Category != "sanctions" {
		t.Errorf("GET /v1/entities/ofac:27307: %d %+v", code, ent)
	}
	var e errorBody
	if code := getJSON(t, srv.URL+"/v1/entities/ofac:0", &e); code != 404 || e.Error == "" {
		t.Errorf("unknown entity: %d %+v", code, e)
	}

	// A watchlist of scams holding one address.
	wl := filepath.Join(t.TempDir(), "scams.csv")
	os.WriteFile(wl, []byte("id,name,address,ticker,category\ns1,Pig Butcher Ltd,bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,XBT,scam\n"), 0o644)
	p, err := sanctions.ParseWatchlist(wl, "scams")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Import(context.Background(), p, sanctions.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	res = sanctions.AddressResult{}
	getJSON(t, srv.URL+"/v1/screen/address/bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", &res)
	if res.Sanctioned || len(res.Matches) != 1 || res.Matches[0].Category != "scam" || res.Matches[0].Entity.Category != "scam" {
		t.Errorf("watchlist address hit: %+v", res)
	}
	var ch struct {
		Identifications []map[string]string `json:"identifications"`
	}
	getJSON(t, srv.URL+"/api/v1/address/bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", &ch)
	if len(ch.Identifications) != 1 || ch.Identifications[0]["category"] != "scam" || strings.Contains(ch.Identifications[0]["name"], "SANCTIONS") {
		t.Errorf("chainalysis route for a watchlist hit: %+v", ch.Identifications)
	}
	nres = sanctions.NameResult{}
	getJSON(t, srv.URL+"/v1/screen/name?q=Pig+Butcher+Ltd", &nres)
	if len(nres.Matches) == 0 || nres.Matches[0].Category != "scam" || nres.Matches[0].Sanctioned {
		t.Errorf("watchlist name hit: %+v", nres.Matches)
	}
}
