package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/spf13/cobra"
)

// serveSetup holds the functions that open each subsystem's state under the
// data directory and attach it to the API configuration. Each subsystem's
// command file appends its own in init; a returned cleanup runs at shutdown.
var serveSetup []func(ctx context.Context, cfg *api.Config, dataDir string) (cleanup func(), err error)

func init() {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR]",
		Short: "Serve the HTTP API over the data directory",
		Long: `Serve the JSON API over the data directory (errors are {"error": "…"} with
400 for bad input, 404 for what is not there, 503 for what is not loaded yet):

  GET  /v1/stats                          chain index counts and tip
  GET  /v1/btc/blocks/{height|hash}       a block
  GET  /v1/btc/txs/{txid}                 a transaction with its spent outputs and spenders
  GET  /v1/btc/addresses/{address}        balance, transactions (?offset=&limit=) and labels
  GET  /v1/screen/address/{address}       screen a crypto address against the lists in force
  GET  /v1/screen/name?q=NAME             screen a name (fuzzy)
  POST /v1/screen                         batch: {"addresses":[…],"names":[…]}
  GET  /v1/lists                          imported list versions
  GET  /v1/labels/{address}               an address's labels (with the sanctions lists in force)
  POST /v1/labels/import?format=F         import one label file (tagpack, csv, stix; body ≤ 64 MB)
  GET  /api/v1/address/{address}          Chainalysis-compatible sanctions check
  GET  /healthz                           liveness

The chain index admits one process: a server started while an ingest runs
answers 503 on the chain routes until the ingest ends (or serve a followed index
with ` + "`chaintrace ingest --follow --listen`" + `). Lists imported by another process
are picked up within seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), listen)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	rootCmd.AddCommand(cmd)
}

func runServe(ctx context.Context, listen string) error {
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
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	srv := &http.Server{Handler: api.New(cfg), ReadHeaderTimeout: 10 * time.Second}
	slog.Info("serving", "addr", ln.Addr().String(), "data", flagData)
	fmt.Printf("chaintrace: serving http://%s/ (data %s)\n", ln.Addr(), flagData)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}
