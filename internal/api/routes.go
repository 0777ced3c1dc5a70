package api

import (
	"net/http"
	"sort"

	"github.com/chaintrace/chaintrace/internal/auth"
)

// Route is what the server knows about one registered route pattern: the
// scope a key needs (empty: public, no key asked), whether it is a long route
// (batch or graph work: the longer deadline), and which screening counter a
// successful answer adds to.
type Route struct {
	Scope   auth.Scope
	Long    bool
	Screens string // "address" or "name": one screen per 200 answer
	// MaxBody is this route's body limit; 0: the server's (--max-body). A
	// saved case holds a whole graph.
	MaxBody int64
	// OwnBodyLimit: the route bounds its body itself (a file upload with
	// its own, larger limit); the server's --max-body does not apply.
	OwnBodyLimit bool
}

// caseBodyLimit is the body limit of a saved case (a graph of thousands of nodes).
const caseBodyLimit = 32 << 20

// routeTable maps every route pattern to its Route. A subsystem adding a route
// adds its line here (and its path to openapi.json): a pattern missing from the
// table needs the admin scope, and TestRoutesDocumented fails.
var routeTable = map[string]Route{
	"GET /healthz":      {},
	"GET /readyz":       {},
	"GET /openapi.json": {},
	"GET /metrics":      {Scope: auth.ScopeRead},

	"GET /v1/stats":                    {Scope: auth.ScopeRead},
	"GET /v1/btc/blocks/{id}":          {Scope: auth.ScopeRead},
	"GET /v1/btc/txs/{txid}":           {Scope: auth.ScopeRead},
	"GET /v1/btc/addresses/{address}":  {Scope: auth.ScopeRead},
	"GET /v1/lists":                    {Scope: auth.ScopeRead},
	"GET /v1/lists/{name}/diff":        {Scope: auth.ScopeRead},
	"GET /v1/screen/address/{address}": {Scope: auth.ScopeScreen, Screens: "address"},
	"GET /v1/screen/name":              {Scope: auth.ScopeScreen, Screens: "name"},
	"POST /v1/screen":                  {Scope: auth.ScopeScreen, Long: true},
	"GET /api/v1/address/{address}":    {Scope: auth.ScopeScreen, Screens: "address"},
	"GET /v1/entities/{id}":            {Scope: auth.ScopeScreen},

	"GET /v1/btc/txs":                         {Scope: auth.ScopeRead},
	"POST /v1/classify":                       {Scope: auth.ScopeRead, Long: true},
	"GET /v1/btc/addresses/{address}/cluster": {Scope: auth.ScopeRead},
	"GET /v1/btc/clusters/explain":            {Scope: auth.ScopeRead},
	"GET /v1/btc/clusters/{id}":               {Scope: auth.ScopeRead},
	"GET /v1/btc/clusters/{id}/addresses":     {Scope: auth.ScopeRead},
	"GET /v1/btc/trace":                       {Scope: auth.ScopeRead, Long: true},
	"GET /v1/btc/exposure/{address}":          {Scope: auth.ScopeRead, Long: true},
	"GET /v1/labels/{address}":                {Scope: auth.ScopeRead},
	"GET /v1/labels/search":                   {Scope: auth.ScopeRead},
	"POST /v1/labels/import":                  {Scope: auth.ScopeAdmin, OwnBodyLimit: true},

	"POST /v1/kyt/users/{userId}/transfers":           {Scope: auth.ScopeKYT},
	"GET /v1/kyt/transfers/{externalId}":              {Scope: auth.ScopeKYT},
	"GET /v1/kyt/transfers/{externalId}/alerts":       {Scope: auth.ScopeKYT},
	"GET /v1/kyt/transfers/{externalId}/exposures":    {Scope: auth.ScopeKYT},
	"POST /v1/kyt/users/{userId}/withdrawal-attempts": {Scope: auth.ScopeKYT},
	"GET /v1/kyt/alerts":                              {Scope: auth.ScopeKYT},
	"GET /v1/kyt/alerts/{alertId}":                    {Scope: auth.ScopeKYT},
	"PATCH /v1/kyt/alerts/{alertId}":                  {Scope: auth.ScopeKYT},
	"GET /v1/kyt/rules":                               {Scope: auth.ScopeKYT},
	"PUT /v1/kyt/rules":                               {Scope: auth.ScopeAdmin},

	"GET /v1/cases":                  {Scope: auth.ScopeRead},
	"POST /v1/cases":                 {Scope: auth.ScopeKYT, MaxBody: caseBodyLimit},
	"GET /v1/cases/{id}":             {Scope: auth.ScopeRead},
	"PUT /v1/cases/{id}":             {Scope: auth.ScopeKYT, MaxBody: caseBodyLimit},
	"GET /v1/cases/{id}/report.html": {Scope: auth.ScopeRead},
	"GET /v1/cases/{id}/export":      {Scope: auth.ScopeRead},
}

// routeOf returns the Route of a registered pattern; an unknown pattern needs admin.
func routeOf(pattern string) Route {
	if r, ok := routeTable[pattern]; ok {
		return r
	}
	return Route{Scope: auth.ScopeAdmin}
}

// routeMux is the server's ServeMux, remembering the patterns registered on
// it (so tests can check every route is documented and scoped).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the registered route patterns ("GET /v1/stats", …), sorted.
func (s *Server) Routes() []string {
	out := append([]string(nil), s.mux.patterns...)
	sort.Strings(out)
	return out
}
