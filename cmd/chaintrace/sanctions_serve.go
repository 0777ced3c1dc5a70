package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/sanctions"
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
		reqs, err := refreshRequests(dataDir)
		if err != nil {
			st.Close()
			return nil, err
		}
		wctx, cancel := context.WithCancel(ctx)
		go st.Watch(wctx, sanctionsReloadEvery)
		// Build the name index now, not under the first name screen's
		// deadline (--timeout), which a large list may outlast.
		go func() {
			if err := st.WarmNameIndex(wctx); err != nil && wctx.Err() == nil {
				slog.Warn("name index not built at start; the first name screen builds it", "err", err)
			}
		}()
		if serveOpts.refresh > 0 {
			slog.Info("list refresh scheduled", "every", serveOpts.refresh, "sources", serveOpts.refreshSources)
			go st.RunRefresh(wctx, serveOpts.refresh, reqs, func([]sanctions.RefreshResult, error) {
				st.ReloadIfChanged(wctx)
			})
		}
		return func() { cancel(); st.Close() }, nil
	})
}

// refreshRequests are the downloads of serve --refresh: one per source, at the
// official URL unless --refresh-url names another, with lists update's rules.
func refreshRequests(dataDir string) ([]sanctions.UpdateRequest, error) {
	if serveOpts.refresh == 0 {
		return nil, nil
	}
	if serveOpts.refresh < time.Minute {
		return nil, usageError{fmt.Errorf("--refresh %v: at least 1m", serveOpts.refresh)}
	}
	var reqs []sanctions.UpdateRequest
	for _, src := range serveOpts.refreshSources {
		if src != "ofac" && src != "un" {
			return nil, usageError{fmt.Errorf("--refresh-source %q: want ofac or un", src)}
		}
		reqs = append(reqs, sanctions.UpdateRequest{Source: src, URL: serveOpts.refreshURLs[src], DataDir: dataDir,
			Client: &http.Client{Timeout: 5 * time.Minute}, Options: sanctions.ImportOptions{MinRatio: 0.9}})
	}
	for src := range serveOpts.refreshURLs {
		if !slices.Contains(serveOpts.refreshSources, src) {
			return nil, usageError{fmt.Errorf("--refresh-url %s=…: %s is not a --refresh-source", src, src)}
		}
	}
	return reqs, nil
}
