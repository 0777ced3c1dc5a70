package main

import (
	"context"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/cases"
	"github.com/chaintrace/chaintrace/internal/web"
)

// uiHome, when set (demo --serve: the theft's case), is where the UI's front
// page sends a browser.
var uiHome string

// The case store for /v1/cases, and the investigation UI served at /.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		db, err := openStore(ctx, dataDir)
		if err != nil {
			return nil, err
		}
		cs, err := cases.New(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		cfg.Cases = cs
		cfg.UI = web.Handler(web.Options{Home: uiHome})
		return func() { db.Close() }, nil
	})
}
