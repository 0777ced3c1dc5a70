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
		Use:   "serve",
		Short: "Serve the HTTP API (and web UI) over the data directory",
		Args:  cobra.NoArgs,
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
