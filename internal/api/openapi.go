package api

import _ "embed"

// OpenAPI is the API's OpenAPI 3.1 description, served at /openapi.json. Every
// route registered on the server is in it (TestRoutesDocumented); a subsystem
// adding a route adds its path and schemas to openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte
