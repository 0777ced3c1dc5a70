package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator3 "github.com/pb33f/libopenapi-validator"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/chaintrace/chaintrace/internal/auth"
	"github.com/chaintrace/chaintrace/internal/store"
)

// openAPIDoc is the parsed document.
type openAPIDoc struct {
	OpenAPI string                               `json:"openapi"`
	Paths   map[string]map[string]map[string]any `json:"paths"`
	Comps   struct {
		Responses map[string]map[string]any `json:"responses"`
	} `json:"components"`
}

func loadDoc(t *testing.T) openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(OpenAPI, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", d.OpenAPI)
	}
	return d
}

// docPath turns a mux pattern's path into the document's path template
// ("{name...}" wildcards become "{name}").
func docPath(p string) string { return strings.ReplaceAll(p, "...}", "}") }

// Every route registered on the server is in the document, with the scope
// of the route table, and every path of the document is served.
func TestRoutesDocumented(t *testing.T) {
	d := loadDoc(t)
	s := New(Config{})
	served := map[string]bool{}
	for _, pat := range s.Routes() {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			t.Errorf("route %q has no method", pat)
			continue
		}
		path = docPath(path)
		served[strings.ToLower(method)+" "+path] = true
		op, ok := d.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("route %s is not in openapi.json (add its path there)", pat)
			continue
		}
		rt, ok := routeTable[pat]
		if !ok {
			t.Errorf("route %s is not in routeTable (routes.go): it needs the admin scope by default", pat)
		}
		docScope, _ := op["x-chaintrace-scope"].(string)
		if auth.Scope(docScope) != rt.Scope {
			t.Errorf("route %s: openapi.json says scope %q, routeTable %q", pat, docScope, rt.Scope)
		}
		if long, _ := op["x-chaintrace-long"].(bool); long != rt.Long {
			t.Errorf("route %s: openapi.json x-chaintrace-long %v, routeTable %v", pat, long, rt.Long)
		}
	}
	for path, ops := range d.Paths {
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which the server does not register", method, path)
			}
		}
	}
	for pat := range routeTable {
		found := false
		for _, r := range s.Routes() {
			found = found || r == pat
		}
		if !found {
			t.Errorf("routeTable lists %s, which is not registered", pat)
		}
	}
}

// validator compiles the document's response schemas with a JSON Schema
// 2020-12 validator (the dialect of OpenAPI 3.1).
type validator struct {
	t   *testing.T
	doc openAPIDoc
	c   *jsonschema.Compiler
	// checked records the "method path" of every answer checked.
	checked map[string]bool
}

const docURL = "mem:///openapi.json"

func newValidator(t *testing.T) *validator {
	t.Helper()
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, raw); err != nil {
		t.Fatal(err)
	}
	return &validator{t: t, doc: loadDoc(t), c: c, checked: map[string]bool{}}
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schemaFor compiles the schema of one answer: the route's response for
// status (following a components/responses reference), as JSON.
func (v *validator) schemaFor(method, path string, status int) (*jsonschema.Schema, string) {
	v.t.Helper()
	op := v.doc.Paths[path][method]
	if op == nil {
		v.t.Fatalf("%s %s: not documented", method, path)
	}
	resps, _ := op["responses"].(map[string]any)
	resp, _ := resps[strconv.Itoa(status)].(map[string]any)
	if resp == nil {
		v.t.Errorf("%s %s answered %d, which the document does not list", method, path, status)
		return nil, ""
	}
	ptr := "#/paths/" + pointerEscape(path) + "/" + method + "/responses/" + strconv.Itoa(status)
	if ref, ok := resp["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp, ptr = v.doc.Comps.Responses[name], ref
	}
	content, _ := resp["content"].(map[string]any)
	for ct := range content {
		sch, err := v.c.Compile(docURL + ptr + "/content/" + pointerEscape(ct) + "/schema")
		if err != nil {
			v.t.Fatalf("%s %s %d: compile: %v", method, path, status, err)
		}
		return sch, ct
	}
	v.t.Fatalf("%s %s %d: no content", method, path, status)
	return nil, ""
}

// check validates a live answer against the document.
func (v *validator) check(method, path string, resp *http.Response, body []byte) {
	v.t.Helper()
	v.checked[method+" "+path] = true
	sch, ct := v.schemaFor(method, path, resp.StatusCode)
	if sch == nil {
		return
	}
	if ct != "application/json" {
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		v.t.Errorf("%s %s %d: not JSON: %.200s", method, path, resp.StatusCode, body)
		return
	}
	if err := sch.Validate(inst); err != nil {
		v.t.Errorf("%s %s %d: answer does not validate: %v\n%.500s", method, path, resp.StatusCode, err, body)
	}
}

// The examples in the document validate against their own schemas.
func TestOpenAPIExamples(t *testing.T) {
	v := newValidator(t)
	n := 0
	var walk func(ptr string, node any)
	walk = func(ptr string, node any) {
		m, ok := node.(map[string]any)
		if !ok {
			return
		}
		if ex, ok := m["example"]; ok {
			if _, ok := m["schema"]; ok {
				sch, err := v.c.Compile(docURL + "#" + ptr + "/schema")
				if err != nil {
					t.Fatalf("%s: %v", ptr, err)
				}
				b, _ := json.Marshal(ex)
				inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
				if err := sch.Validate(inst); err != nil {
					t.Errorf("example at %s does not validate: %v", ptr, err)
				}
				n++
			}
		}
		for k, c := range m {
			walk(ptr+"/"+pointerEscape(k), c)
		}
	}
	var root any
	json.Unmarshal(OpenAPI, &root)
	walk("", root)
	if n < 8 {
		t.Errorf("only %d examples checked", n)
	}
	// A wrong answer is refused: the validator is not vacuous.
	sch, _ := v.schemaFor("get", "/v1/stats", 200)
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"blocks":-1,"txs":"x"}`))
	if sch.Validate(bad) == nil {
		t.Error("a malformed stats answer validates")
	}
}

// Live answers of every documented route, from servers over the real chain
// index and the real OFAC list (and with nothing loaded), validate against
// the document's schema for their status.
func TestOpenAPIAnswersValidate(t *testing.T) {
	v := newValidator(t)
	chainSrv := chainServer(t)
	scrSrv, _ := sanctionsServer(t)
	empty := httptest.NewServer(New(Config{}))
	defer empty.Close()
	const tx170 = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
	const blender = "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"
	cases := []struct {
		srv          *httptest.Server
		method, path string // path: the document's template
		url, body    string
		status       int
	}{
		{empty, "get", "/healthz", "/healthz", "", 200},
		{empty, "get", "/readyz", "/readyz", "", 503},
		{scrSrv, "get", "/readyz", "/readyz", "", 200},
		{empty, "get", "/openapi.json", "/openapi.json", "", 200},
		{empty, "get", "/metrics", "/metrics", "", 200},
		{chainSrv, "get", "/v1/stats", "/v1/stats", "", 200},
		{empty, "get", "/v1/stats", "/v1/stats", "", 503},
		{chainSrv, "get", "/v1/btc/blocks/{id}", "/v1/btc/blocks/170", "", 200},
		{chainSrv, "get", "/v1/btc/blocks/{id}", "/v1/btc/blocks/00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee", "", 200},
		{chainSrv, "get", "/v1/btc/blocks/{id}", "/v1/btc/blocks/99999", "", 404},
		{chainSrv, "get", "/v1/btc/blocks/{id}", "/v1/btc/blocks/x" + strings.Repeat("9", 900<<10), "", 400},
		{chainSrv, "get", "/v1/btc/txs/{txid}", "/v1/btc/txs/" + tx170, "", 200},
		{chainSrv, "get", "/v1/btc/txs/{txid}", "/v1/btc/txs/zz", "", 400},
		{chainSrv, "get", "/v1/btc/addresses/{address}", "/v1/btc/addresses/0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3?limit=5", "", 200},
		{chainSrv, "get", "/v1/btc/addresses/{address}", "/v1/btc/addresses/1BadAddress", "", 400},
		{chainSrv, "get", "/v1/btc/addresses/{address}", "/v1/btc/addresses/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "", 404},
		{scrSrv, "get", "/v1/screen/address/{address}", "/v1/screen/address/" + blender, "", 200},
		{scrSrv, "get", "/v1/screen/address/{address}", "/v1/screen/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "", 200},
		{empty, "get", "/v1/screen/address/{address}", "/v1/screen/address/" + blender, "", 503},
		{scrSrv, "get", "/v1/screen/name", "/v1/screen/name?q=Kim+Jong+Un", "", 200},
		{scrSrv, "get", "/v1/screen/name", "/v1/screen/name?q=", "", 400},
		{scrSrv, "post", "/v1/screen", "/v1/screen", `{"addresses":["` + blender + `","bad"],"names":["Blender.io"]}`, 200},
		{scrSrv, "post", "/v1/screen", "/v1/screen", `{"addresses":["x"]}{"names":["y"]}`, 400},
		{scrSrv, "get", "/v1/lists", "/v1/lists", "", 200},
		{scrSrv, "get", "/api/v1/address/{address}", "/api/v1/address/" + blender, "", 200},
		{scrSrv, "get", "/v1/entities/{id}", "/v1/entities/ofac:27307", "", 200}, // LAZARUS GROUP
		{scrSrv, "get", "/v1/entities/{id}", "/v1/entities/ofac:0", "", 404},
		{empty, "get", "/v1/entities/{id}", "/v1/entities/ofac:27307", "", 503},
	}
	oas := oasValidator(t)
	seen := map[string]bool{}
	for _, tc := range cases {
		req, _ := http.NewRequest(strings.ToUpper(tc.method), tc.srv.URL+tc.url, strings.NewReader(tc.body))
		if tc.method == "post" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(tc.url) < 1000 && tc.status != 400 {
			// The OpenAPI validator matches the request to its operation
			// (path, parameters, body) and checks the answer against it.
			req, _ := http.NewRequest(strings.ToUpper(tc.method), tc.srv.URL+tc.url, strings.NewReader(tc.body))
			req.Header = resp.Request.Header.Clone()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if ok, errs := oas.ValidateHttpRequestResponse(req, resp); !ok {
				for _, e := range errs {
					t.Errorf("%s %.80s %d: OpenAPI validator: %s: %s %v", tc.method, tc.url, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
				}
			}
		}
		name := fmt.Sprintf("%s %.80s", tc.method, tc.url)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d: %.300s", name, resp.StatusCode, tc.status, body)
			continue
		}
		if len(body) > 4096 && tc.status >= 400 {
			t.Errorf("%s: %d-byte error body (the input is quoted whole?)", name, len(body))
		}
		v.check(tc.method, tc.path, resp, body)
		seen[tc.method+" "+tc.path] = true
	}
	checkKYTRoutes(t, v) // the KYT routes' answers (kyt_test.go)
	// The classification, clustering, tracing and label routes' answers.
	checkKindRoutes(t, v)
	checkClassifyRoute(t, v)
	checkClusterRoutes(t, v)
	checkTraceRoutes(t, v)
	checkLabelRoutes(t, v)
	checkLabelSearchRoute(t, v) // label_search_test.go
	checkListDiffRoute(t, v)    // lists_diff_test.go
	cdb, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	checkCasesRoutes(t, v, casesServer(t, cdb)) // cases_test.go
	for path, ops := range v.doc.Paths {
		for method := range ops {
			if !seen[method+" "+path] && !v.checked[method+" "+path] {
				t.Errorf("no live answer of %s %s checked", method, path)
			}
		}
	}
}

// oasValidator is an OpenAPI 3.1 validator over the document.
func oasValidator(t *testing.T) validator3.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator3.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	return v
}

// The document is a valid OpenAPI 3.1 document (checked against the OpenAPI
// 3.1 schema by the validator library), and a broken one is not.
func TestOpenAPIDocumentValid(t *testing.T) {
	if ok, errs := oasValidator(t).ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("openapi.json: %s: %s", e.Message, e.Reason)
		}
	}
	broken := bytes.Replace(OpenAPI, []byte(`"responses": {`), []byte(`"responses": "none", "x": {`), 1)
	doc, err := libopenapi.NewDocument(broken)
	if err != nil {
		return
	}
	v, errs := validator3.NewValidator(doc)
	if len(errs) > 0 {
		return
	}
	if ok, _ := v.ValidateDocument(); ok {
		t.Error("a document with a string for responses validates")
	}
}

// templateOf returns the document path serving a request path: the one
// whose segments match, literal segments preferred over parameters
// ("/v1/btc/clusters/explain" before "/v1/btc/clusters/{id}").
func (v *validator) templateOf(method, path string) string {
	v.t.Helper()
	segs := strings.Split(path, "/")
	best, bestLit := "", -1
	for tmpl, ops := range v.doc.Paths {
		if ops[method] == nil {
			continue
		}
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		lit := 0
		for i, s := range ts {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && segs[i] != "" {
				continue
			}
			if s != segs[i] {
				lit = -1
				break
			}
			lit++
		}
		if lit > bestLit {
			best, bestLit = tmpl, lit
		}
	}
	if best == "" {
		v.t.Fatalf("%s %s: no path of the document serves it", method, path)
	}
	return best
}

// do sends a request to url, checks the answer against the document (the
// route's schema for the status) and returns the status and body.
func (v *validator) do(method, rawURL, contentType string, body io.Reader) (int, []byte) {
	v.t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := strings.ToLower(method)
	v.check(m, v.templateOf(m, req.URL.Path), resp, b)
	return resp.StatusCode, b
}

// get is the checked GET of a JSON answer (see do).
func (v *validator) get(rawURL string) (int, map[string]any) {
	v.t.Helper()
	status, b := v.do("GET", rawURL, "", nil)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		v.t.Fatalf("%s: %v: %s", rawURL, err, b)
	}
	return status, m
}

// post is the checked POST of a JSON body (see do).
func (v *validator) post(rawURL, body string) (int, []byte) {
	v.t.Helper()
	return v.do("POST", rawURL, "application/json", strings.NewReader(body))
}

// postJSON is the checked POST of a file, answering a JSON object (see do).
func (v *validator) postJSON(rawURL, body string) (int, map[string]any) {
	v.t.Helper()
	status, b := v.do("POST", rawURL, "application/octet-stream", strings.NewReader(body))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		v.t.Fatalf("%s: %v: %s", rawURL, err, b)
	}
	return status, m
}
