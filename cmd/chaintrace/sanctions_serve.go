package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
)

// sanctionsReloadEvery is how often a running server looks for list versions
// imported by another process (`chaintrace lists import|update`).
const sanctionsReloadEvery = 5 * time.Second

// The sanctions store for /v1/screen, /v1/lists and /api/v1/address.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		st, err := openSanctions(ctx, dataDir)
		if err != nil {
			return nil, err
		}
		if st.InForceLabel() == "" {
			slog.Warn("no sanctions list imported: screening routes answer 503 until `chaintrace lists import` or `lists update` runs", "data", dataDir)
		} else {
			slog.Info("sanctions lists loaded", "in_force", st.InForceLabel(), "addresses", st.ListedAddresses())
		}
		cfg.Sanctions = st
		wctx, cancel := context.WithCancel(ctx)
		go st.Watch(wctx, sanctionsReloadEvery)
		return func() { cancel(); st.Close() }, nil
	})
}
