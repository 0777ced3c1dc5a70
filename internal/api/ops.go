package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/chaintrace/chaintrace/internal/auth"
	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// KeyChecker resolves an API key to its stored Key (auth.Store, auth.Cache).
type KeyChecker interface {
	Check(ctx context.Context, secret string) (auth.Key, error)
}

// opsConfig is the serving side of Config: keys, rate limits, bounds, logs.
type opsConfig struct {
	// Keys checks API keys; nil accepts no key (every route is anonymous).
	Keys KeyChecker
	// RequireKey refuses requests without a key on every non-public route
	// (set by serve when it listens beyond loopback).
	RequireKey bool
	// Rate and Burst limit each key (requests per second; a key's own rate
	// wins). 0: DefaultRate. AnonRate limits keyless requests per client IP
	// (0: unlimited; keyless requests only exist on loopback).
	Rate     float64
	Burst    int
	AnonRate float64
	// MaxBody bounds a request body (413 above it). 0: DefaultMaxBody.
	MaxBody int64
	// Timeout bounds a request's work (its context deadline); long routes
	// (Route.Long: batches, graph work) get LongTimeout. 0: the defaults.
	Timeout, LongTimeout time.Duration
	// BatchSlots is how many long requests run at once (others wait for a
	// slot within their deadline). 0: DefaultBatchSlots.
	BatchSlots int
	// AccessLog, when set, gets one record per request.
	AccessLog *slog.Logger
	// Collectors are more Prometheus collectors for /metrics (e.g. an
	// ingest's counters when it serves the API itself).
	Collectors []prometheus.Collector
}

// Serving defaults.
const (
	DefaultRate        = 100
	DefaultMaxBody     = 1 << 20
	DefaultTimeout     = 10 * time.Second
	DefaultLongTimeout = 60 * time.Second
	DefaultBatchSlots  = 2
)

// maxQuoted bounds how much of a request's input an error message repeats.
const maxQuoted = 200

// clip shortens s for quoting in an error message (200 bytes and the size
// of the whole), as the sanctions parsers do.
func clip(s string) string { return sanctions.ClipQuote(s) }

// maxErrorBytes bounds any error message sent (a last guard behind clip).
const maxErrorBytes = 1024

// localPath matches absolute file paths in a message.
var localPath = regexp.MustCompile(`(^|[\s"'(=])(/[^\s"':;,)]+)+`)

// publicMessage is msg as a client may see it: no local file paths in server
// errors, and at most maxErrorBytes long.
func publicMessage(status int, msg string) string {
	if status >= 500 {
		msg = localPath.ReplaceAllString(msg, "$1<path>")
	}
	if len(msg) > maxErrorBytes {
		msg = clip(msg)
	}
	return msg
}

// statusWriter records the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limiters holds one rate limiter per key id (or client IP).
type limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func (l *limiters) get(id string, perSec float64, burst int) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	lim := l.m[id]
	if lim == nil || lim.Limit() != rate.Limit(perSec) || lim.Burst() != burst {
		lim = rate.NewLimiter(rate.Limit(perSec), burst)
		l.m[id] = lim
	}
	return lim
}

// presentedKey returns the API key of r (X-API-Key, or Authorization: Bearer).
func presentedKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// guard checks the key, scope, rate and body size of a request to a route. It
// answers the refusal itself and returns false, or returns the key id ("" for
// an anonymous request) and true.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, rt Route) (string, bool) {
	cfg := &s.cfg.opsConfig
	if rt.Scope == "" {
		return "", true // public: health, readiness, the API description
	}
	keyID := ""
	perSec, burst := cfg.Rate, cfg.Burst
	if perSec <= 0 {
		perSec = DefaultRate
	}
	secret := presentedKey(r)
	switch {
	case secret != "" && cfg.Keys == nil:
		w.Header().Set("WWW-Authenticate", `Bearer realm="chaintrace"`)
		writeError(w, http.StatusUnauthorized, "API key given, but this server has no keys (create one with `chaintrace keys create`)")
		return "", false
	case secret != "":
		k, err := cfg.Keys.Check(r.Context(), secret)
		if errors.Is(err, auth.ErrUnknownKey) || errors.Is(err, auth.ErrRevoked) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chaintrace", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return "", false
		}
		if err != nil {
			slog.Error("API key check failed", "err", err)
			writeError(w, http.StatusServiceUnavailable, "API keys cannot be checked right now")
			return "", false
		}
		if !k.Scope.Allows(rt.Scope) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("API key %s has scope %s; this route needs %s", k.ID, k.Scope, rt.Scope))
			return k.ID, false
		}
		keyID = k.ID
		if k.Rate > 0 {
			perSec = k.Rate
		}
	case cfg.RequireKey:
		w.Header().Set("WWW-Authenticate", `Bearer realm="chaintrace"`)
		writeError(w, http.StatusUnauthorized, "API key required: send X-API-Key: KEY or Authorization: Bearer KEY")
		return "", false
	default:
		perSec = cfg.AnonRate
	}
	if perSec > 0 {
		if burst <= 0 {
			burst = max(1, int(math.Ceil(2*perSec)))
		}
		id := "key:" + keyID
		if keyID == "" {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			id = "ip:" + host
		}
		now := time.Now()
		res := s.limits.get(id, perSec, burst).ReserveN(now, 1)
		if d := res.DelayFrom(now); !res.OK() || d > 0 {
			res.CancelAt(now)
			secs := int(math.Ceil(d.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit of %g requests per second exceeded", perSec))
			return keyID, false
		}
	}
	maxBody := cfg.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if rt.OwnBodyLimit {
		return keyID, true
	}
	if rt.MaxBody > 0 {
		maxBody = rt.MaxBody
	}
	if r.ContentLength > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes (%d sent)", maxBody, r.ContentLength))
		return keyID, false
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	return keyID, true
}

// deadline returns the request's work deadline for a route.
func (s *Server) deadline(rt Route) time.Duration {
	if rt.Long {
		if s.cfg.LongTimeout > 0 {
			return s.cfg.LongTimeout
		}
		return DefaultLongTimeout
	}
	if s.cfg.Timeout > 0 {
		return s.cfg.Timeout
	}
	return DefaultTimeout
}

// serveRoute runs the route's handler. A long route (batches, graph work)
// first takes one of the slots long requests share, waiting at most until
// its deadline: a few large batches must not take every core from the short
// requests behind them.
func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, rt Route) {
	if rt.Long {
		select {
		case s.longSlots <- struct{}{}:
			defer func() { <-s.longSlots }()
		case <-r.Context().Done():
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "server busy with other long requests: retry later")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// logAccess writes the access log record of one request: no keys, no query
// string (names screened stay out of logs), a clipped path.
func (s *Server) logAccess(r *http.Request, pattern string, keyID string, sw *statusWriter, took time.Duration) {
	if s.cfg.AccessLog == nil {
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	s.cfg.AccessLog.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method),
		slog.String("route", pattern),
		slog.String("path", clip(r.URL.Path)),
		slog.Int("status", sw.status),
		slog.Int("bytes", sw.bytes),
		slog.Float64("ms", float64(took.Microseconds())/1000),
		slog.String("key", keyID),
		slog.String("remote", host),
	)
}
