package main

import (
	"context"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/auth"
)

// keyCacheTTL is how long a server trusts a key look-up: a key revoked by
// another process is refused within it.
const keyCacheTTL = 5 * time.Second

// The API keys for every route but /healthz, /readyz and /openapi.json.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		ks, done, err := openKeys(ctx, dataDir)
		if err != nil {
			return nil, err
		}
		cfg.Keys = &auth.Cache{Store: ks, TTL: keyCacheTTL}
		activeKeys = ks.Active
		return done, nil
	})
}
