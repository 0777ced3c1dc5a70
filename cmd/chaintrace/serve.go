package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/spf13/cobra"
)

// serveSetup holds the functions that open each subsystem's state under the
// data directory and attach it to the API configuration. Each subsystem's
// command file appends its own in init; a returned cleanup runs at shutdown.
var serveSetup []func(ctx context.Context, cfg *api.Config, dataDir string) (cleanup func(), err error)

// serveOptions are serve's flags (demo --serve and ingest --listen use the defaults).
type serveOptions struct {
	rate                 float64
	burst                int
	maxBody              int64
	timeout, longTimeout time.Duration
	readHeader, read     time.Duration
	write, idle          time.Duration
	shutdown             time.Duration
	accessLog            bool
	refresh              time.Duration     // 0: no scheduled list refresh
	refreshSources       []string          // ofac, un
	refreshURLs          map[string]string // source → URL (default: the official one)
}

var serveOpts = defaultServeOptions()

func defaultServeOptions() serveOptions {
	return serveOptions{
		rate: api.DefaultRate, maxBody: api.DefaultMaxBody,
		timeout: api.DefaultTimeout, longTimeout: api.DefaultLongTimeout,
		readHeader: 10 * time.Second, read: 30 * time.Second, write: 90 * time.Second, idle: 60 * time.Second,
		shutdown: 15 * time.Second, accessLog: true,
		refreshSources: []string{"ofac", "un"},
	}
}

// serveListening, when set (tests), gets the address the server listens on.
var serveListening func(addr string)

// activeKeys, set by the keys setup, says whether any active API key exists.
var activeKeys func(ctx context.Context) (int, error)

func init() {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR]",
		Short: "Serve the HTTP API over the data directory",
		Long: `Serve the JSON API over the data directory (errors are {"error": "…"} with
400 for bad input, 401/403 for a missing or insufficient API key, 404 for what is
not there, 413 for a body too large, 429 over a key's rate, 503 for what is not
loaded yet):

  GET  /v1/stats                          chain index counts and tip
  GET  /v1/btc/blocks/{height|hash}       a block
  GET  /v1/btc/txs/{txid}                 a transaction with its spent outputs and spenders
  GET  /v1/btc/addresses/{address}        balance, transactions (?offset=&limit=) and labels
  GET  /v1/btc/trace?from=…&model=…&hops=…&direction=…   follow coins (see docs/tracing.md)
  GET  /v1/btc/exposure/{address}         exposure to attributed entities (?direction=&hops=)
  GET  /v1/screen/address/{address}       screen a crypto address against the lists in force
  GET  /v1/screen/name?q=NAME             screen a name (fuzzy)
  POST /v1/screen                         batch: {"addresses":[…],"names":[…]}
  GET  /v1/lists                          imported list versions
  GET  /v1/labels/{address}               an address's labels (with the sanctions lists in force)
  POST /v1/labels/import?format=F         import one label file (tagpack, csv, stix; body ≤ 64 MB)
  GET  /api/v1/address/{address}          Chainalysis-compatible sanctions check
  GET  /healthz                           liveness
  GET  /readyz                            readiness (lists loaded, chain index open)
  GET  /metrics                           Prometheus metrics
  GET  /openapi.json                      the OpenAPI 3.1 description of every route

API keys (` + "`chaintrace keys create --scope read|screen|kyt|admin`" + `) are sent as
X-API-Key or Authorization: Bearer. They are optional on a loopback address and
required on any other: serve refuses to listen beyond loopback without one.
docs/server.md has the scope of each route, the metrics and the timeouts.

With --db postgres://… (or CHAINTRACE_DB) lists, keys and the other shared
state live in PostgreSQL, so several servers share them; the chain index
stays per node. --refresh 24h fetches the official lists on that schedule
(a bad download never replaces the last good list).

The chain index admits one process: a server started while an ingest runs
answers 503 on the chain routes until the ingest ends (or serve a followed index
with ` + "`chaintrace ingest --follow --listen`" + `). Lists imported by another process
are picked up within seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), listen)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.Float64Var(&serveOpts.rate, "rate", serveOpts.rate, "requests per second per API key (a key's own --rate wins)")
	f.IntVar(&serveOpts.burst, "burst", 0, "burst per API key (0: twice the rate)")
	f.Int64Var(&serveOpts.maxBody, "max-body", serveOpts.maxBody, "largest request body in bytes (413 above)")
	f.DurationVar(&serveOpts.timeout, "timeout", serveOpts.timeout, "work deadline of a request")
	f.DurationVar(&serveOpts.longTimeout, "long-timeout", serveOpts.longTimeout, "work deadline of a long request (batches)")
	f.DurationVar(&serveOpts.readHeader, "read-header-timeout", serveOpts.readHeader, "time to read a request's headers")
	f.DurationVar(&serveOpts.read, "read-timeout", serveOpts.read, "time to read a whole request, body included")
	f.DurationVar(&serveOpts.write, "write-timeout", serveOpts.write, "time to write an answer (from the end of the request headers)")
	f.DurationVar(&serveOpts.idle, "idle-timeout", serveOpts.idle, "how long an idle keep-alive connection stays open")
	f.DurationVar(&serveOpts.shutdown, "shutdown-timeout", serveOpts.shutdown, "on SIGINT/SIGTERM, how long requests in flight may finish")
	f.BoolVar(&serveOpts.accessLog, "access-log", serveOpts.accessLog, "log each request (JSON on stderr: route, status, duration, key id)")
	f.DurationVar(&serveOpts.refresh, "refresh", 0, "fetch the official lists now and then at this interval, e.g. 24h (0: never)")
	f.StringSliceVar(&serveOpts.refreshSources, "refresh-source", serveOpts.refreshSources, "lists --refresh fetches: ofac, un")
	f.StringToStringVar(&serveOpts.refreshURLs, "refresh-url", nil, "download URL of a --refresh source instead of the official one, e.g. ofac=https://mirror/SDN.CSV")
	rootCmd.AddCommand(cmd)
}

func runServe(ctx context.Context, listen string) error {
	o := serveOpts
	if o.write <= o.longTimeout {
		slog.Warn("--write-timeout is not above --long-timeout: long requests may be cut before they answer", "write", o.write, "long", o.longTimeout)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	defer ln.Close()
	var cfg api.Config
	for _, setup := range serveSetup {
		cleanup, err := setup(ctx, &cfg, flagData)
		if err != nil {
			return err
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		n := 0
		if activeKeys != nil {
			if n, err = activeKeys(ctx); err != nil {
				return err
			}
		}
		if n == 0 {
			return fmt.Errorf("refusing to serve on %s (not loopback) without an API key: create one with `chaintrace keys create --scope read|screen|kyt|admin`, or listen on 127.0.0.1", addr)
		}
		cfg.RequireKey = true
	}
	cfg.Rate, cfg.Burst, cfg.MaxBody = o.rate, o.burst, o.maxBody
	cfg.Collectors = serveCollectors
	cfg.Timeout, cfg.LongTimeout = o.timeout, o.longTimeout
	if o.accessLog {
		cfg.AccessLog = slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("log", "access")
	}
	srv := &http.Server{
		Handler:           api.New(cfg),
		ReadHeaderTimeout: o.readHeader,
		ReadTimeout:       o.read,
		WriteTimeout:      o.write,
		IdleTimeout:       o.idle,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	keys := "optional (loopback)"
	if cfg.RequireKey {
		keys = "required"
	}
	slog.Info("serving", "addr", addr.String(), "data", flagData, "api_keys", keys)
	fmt.Printf("chaintrace: serving http://%s/ (data %s; API keys %s)\n", addr, flagData, keys)
	if serveListening != nil {
		serveListening(addr.String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		slog.Info("shutting down: finishing requests in flight", "timeout", o.shutdown)
		shutCtx, cancel := context.WithTimeout(context.Background(), o.shutdown)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil {
			srv.Close()
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}
}
