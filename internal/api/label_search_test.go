package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

type labelPage struct {
	Query, Match string
	Labels       []labels.Label
	Next         string
}

func TestLabelSearchRoute(t *testing.T) { checkLabelSearchRoute(t, newValidator(t)) }

// GET /v1/labels/search over the real Blender.io TagPack and the real OFAC
// list: the pack's addresses (read from the YAML here) and BLENDER.IO's
// listed Bitcoin addresses (as GET /v1/entities answers them), paged.
func checkLabelSearchRoute(t *testing.T, v *validator) {
	scr, sanc := sanctionsServer(t)
	scr.Close()
	pack := testutil.SharedFile(t, "data/labels/tagpacks/blender_io.yaml")
	st, err := labels.Open(t.TempDir(), labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := os.Open(pack)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := st.Import(context.Background(), []labels.Input{{Name: pack, Format: labels.FormatTagPack, R: f}}, labels.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	cfg.Labels, cfg.Sanctions = st, sanc
	srv := httptest.NewServer(New(cfg))
	defer srv.Close()

	b, _ := os.ReadFile(pack)
	inPack := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^- address: (\S+)`).FindAllStringSubmatch(string(b), -1) {
		inPack[m[1]] = true
	}
	e, _, err := sanc.EntityByID(context.Background(), "ofac:37070")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range e.CryptoAddresses {
		if c.Ticker == "XBT" {
			listed[c.Address] = true
		}
	}
	if len(inPack) != 45 || len(listed) < 40 {
		t.Fatalf("facts: %d addresses in the pack, %d listed", len(inPack), len(listed))
	}
	for _, match := range []string{"", "prefix", "contains"} {
		q := "bLeNdEr"
		if match == "contains" {
			q = "LENDER.I"
		}
		gotPack, gotListed := map[string]bool{}, map[string]bool{}
		after, pages := "", 0
		for {
			u := srv.URL + "/v1/labels/search?q=" + url.QueryEscape(q) + "&limit=30&match=" + match + "&after=" + url.QueryEscape(after)
			code, body := v.do("GET", u, "", nil)
			var p labelPage
			if err := json.Unmarshal(body, &p); code != 200 || err != nil {
				t.Fatalf("%s: %d %s", u, code, body)
			}
			pages++
			if len(p.Labels) > 30 || p.Query != q || (match != "" && p.Match != match) {
				t.Fatalf("page: %d labels, query %q, match %q", len(p.Labels), p.Query, p.Match)
			}
			for _, l := range p.Labels {
				switch {
				case l.Category == labels.Sanctions && l.Label == "BLENDER.IO" && l.Ref == "ofac:37070":
					gotListed[l.Address] = true
				case l.Category == labels.Mixer && l.Label == "Blender.io" && l.Dataset == filepath.Base(pack):
					gotPack[l.Address] = true
				default:
					t.Errorf("unexpected label %+v", l)
				}
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		if len(gotPack) != len(inPack) || len(gotListed) != len(listed) || pages != (len(inPack)+len(listed)+29)/30 {
			t.Errorf("match %q: %d of the pack's %d, %d of the %d listed, in %d pages", match, len(gotPack), len(inPack), len(gotListed), len(listed), pages)
		}
		for a := range inPack {
			if !gotPack[a] {
				t.Errorf("pack address %s not found", a)
			}
		}
		for a := range listed {
			if !gotListed[a] {
				t.Errorf("listed address %s not found", a)
			}
		}
	}
	// Nothing found is an empty page, not an error.
	code, body := v.do("GET", srv.URL+"/v1/labels/search?q=no+such+label+zzz", "", nil)
	if code != 200 || !strings.Contains(string(body), `"labels":[]`) || strings.Contains(string(body), "next") {
		t.Errorf("no match: %d %s", code, body)
	}
	for _, c := range []struct {
		query, want string
	}{
		{"", "empty query"},
		{"q=+", "empty query"},
		{"q=a&limit=0", "limit"},
		{"q=a&limit=x", "limit"},
		{"q=a&limit=1001", "limit"},
		{"q=a&match=regex", "match"},
		{"q=a&after=zzz", "cursor"},
		{"q=" + strings.Repeat("x", 201), "at most 200"},
	} {
		code, body := v.do("GET", srv.URL+"/v1/labels/search?"+c.query, "", nil)
		if code != 400 || !strings.Contains(string(body), c.want) {
			t.Errorf("?%.40s: %d %s; want 400 with %q", c.query, code, body, c.want)
		}
	}
	empty := httptest.NewServer(New(Config{}))
	defer empty.Close()
	if code, _ := v.do("GET", empty.URL+"/v1/labels/search?q=x", "", nil); code != 503 {
		t.Errorf("no store: %d, want 503", code)
	}
}
