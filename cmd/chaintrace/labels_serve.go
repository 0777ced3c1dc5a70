package main

import (
	"context"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/labels"
)

// The label store for /v1/labels and the "labels" of /v1/btc/addresses. The
// API joins it to the sanctions store (lists in force are labels). Addresses
// are validated for the chain index's network (mainnet without an index).
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		var net *chaincfg.Params
		if cfg.Chain != nil {
			net = cfg.Chain.Network()
		} else {
			net = existingNetwork(dataDir)
		}
		st, done, err := openLabels(ctx, dataDir, labels.Options{Network: net})
		if err != nil {
			return nil, err
		}
		cfg.Labels = st
		return done, nil
	})
}
