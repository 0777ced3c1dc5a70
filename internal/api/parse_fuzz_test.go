package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Fuzz targets for what the API parses from a request: block ids, hashes,
// paging, name-screen parameters and batch bodies. Errors quote at most a few
// hundred bytes of the input.

func FuzzParseBlockID(f *testing.F) {
	for _, s := range []string{"170", "0", "-1", "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee", "zz", strings.Repeat("9", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, hash, err := ParseBlockID(s)
		if err != nil {
			if len(err.Error()) > 2*maxQuoted+200 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if hash == nil && h < 0 {
			t.Fatalf("%q: height %d", s, h)
		}
		if hash != nil && hash.String() != strings.ToLower(s) {
			t.Fatalf("%q: hash %s", s, hash)
		}
	})
}

func FuzzParsePage(f *testing.F) {
	f.Add("", "")
	f.Add("10", "1000")
	f.Add("-1", "0")
	f.Fuzz(func(t *testing.T, off, lim string) {
		o, l, err := ParsePage(off, lim)
		if err == nil && (o < 0 || l < 1 || l > MaxLimit) {
			t.Fatalf("%q %q: %d %d", off, lim, o, l)
		}
	})
}

func FuzzNameQueryParams(f *testing.F) {
	f.Add("q=Kim+Jong+Un&country=KP&dob=1984&min_score=0.8&limit=5")
	f.Add("q=x&type=vessel,aircraft&dob_tolerance=3")
	f.Add("q=%ZZ&limit=-3")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, err := nameOptions(q)
		if err != nil {
			return
		}
		if o.MinScore < 0 || o.MinScore > 1 || o.Limit < 0 || o.Limit > 500 || o.DOBYearTolerance < 0 {
			t.Fatalf("%q: %+v", raw, o)
		}
	})
}

// A batch body is one JSON object: anything else is a 400 (or 413), never a
// panic or a 5xx.
func FuzzBatchBody(f *testing.F) {
	f.Add(`{"addresses":["3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"],"names":["Kim"]}`)
	f.Add(`{"addresses":["x"]}{"names":["y"]}`)
	f.Add(`{"addresses":[1]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req batchRequest
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v1/screen", strings.NewReader(body))
		r.Body = http.MaxBytesReader(w, r.Body, maxBatchBytes)
		ok := decodeBody(w, r, &req, "{}")
		if !ok && w.Code != 400 && w.Code != 413 {
			t.Fatalf("%q: status %d", body, w.Code)
		}
		if !ok && w.Body.Len() > maxErrorBytes+100 {
			t.Fatalf("%d-byte error", w.Body.Len())
		}
	})
}
