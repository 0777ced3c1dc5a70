package main

import (
	"context"
	"log/slog"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/store"
)

// clusterLabelSet adapts a labels snapshot to the cluster package: the
// label guard (Service) and the labels of a cluster's addresses (LabelsOf).
type clusterLabelSet struct{ sn *labels.Snapshot }

// Service returns the service entity labelling the address, "" for none.
func (l clusterLabelSet) Service(key []byte) string {
	entity, category, ok := l.sn.AttributeKey(key)
	if !ok || !labels.IsService(category) {
		return ""
	}
	return category + ": " + entity
}

func (l clusterLabelSet) IsService(category string) bool { return labels.IsService(category) }

func (l clusterLabelSet) LabelsOf(addrs []string) ([]cluster.Label, error) {
	var out []cluster.Label
	for _, a := range addrs {
		for _, lb := range l.sn.ByAddress(a) {
			out = append(out, cluster.Label{Label: lb.Label, Category: lb.Category, Source: lb.Source, Confidence: lb.Confidence, Address: a})
		}
	}
	return out, nil
}

// loadClusterLabels reads a snapshot of the data folder's labels; without a
// label store (none is created here; on error, logged) clustering runs
// without labels.
func loadClusterLabels(ctx context.Context, dataDir string, net *chaincfg.Params) *clusterLabelSet {
	if !store.Exists(dataDir, flagDB) {
		return nil
	}
	st, done, err := openLabels(ctx, dataDir, labels.Options{Network: net})
	if err != nil {
		slog.Warn("cluster: no labels (the label guard is off)", "err", err)
		return nil
	}
	defer done()
	sn, err := st.Snapshot(ctx)
	if err != nil {
		slog.Warn("cluster: no labels (the label guard is off)", "err", err)
		return nil
	}
	return &clusterLabelSet{sn}
}
