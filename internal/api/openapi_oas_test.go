//go:build !chaintrace_fuzz

// The OpenAPI validator library is left out of fuzz builds (`make fuzz` sets
// the chaintrace_fuzz tag): its instrumented compile takes many minutes and
// no fuzz target needs it.

package api

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/pb33f/libopenapi"
	validator3 "github.com/pb33f/libopenapi-validator"
)

func init() {
	oasValidate = func(t *testing.T) func(*http.Request, *http.Response) []string {
		v := oasValidator(t)
		return func(req *http.Request, resp *http.Response) []string {
			var out []string
			if ok, errs := v.ValidateHttpRequestResponse(req, resp); !ok {
				for _, e := range errs {
					out = append(out, fmt.Sprintf("%s: %s %v", e.Message, e.Reason, e.SchemaValidationErrors))
				}
			}
			return out
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
