package main

import (
	"context"
	"log/slog"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/cluster"
)

// servingClusters, when set by `ingest --follow --listen`, is the cluster
// store the ingest keeps up to date (one opener at a time).
var servingClusters *cluster.Store

// The cluster routes read the data folder's cluster store, brought to the
// index's tip at start; without a chain index they answer 503.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		if ls := servedLabels(ctx, cfg, dataDir); ls != nil {
			cfg.ClusterLabels = ls
		}
		if servingIndex != nil && servingClusters != nil {
			cfg.Clusters = servingClusters
			cfg.TraceClusters = servingClusters
			return nil, nil
		}
		if cfg.Chain == nil {
			return nil, nil
		}
		st, err := openClusterStore(dataDir, cfg.Chain, cluster.ChangeAny)
		if err != nil {
			slog.Warn("cluster routes answer 503", "err", err)
			return nil, nil
		}
		cfg.Clusters = st
		cfg.TraceClusters = st
		return func() { st.Close() }, nil
	})
}

func servedLabels(ctx context.Context, cfg *api.Config, dataDir string) *clusterLabelSet {
	if cfg.Chain == nil {
		return nil
	}
	return loadClusterLabels(ctx, dataDir, cfg.Chain.Network())
}
