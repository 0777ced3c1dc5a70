package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
)

// clusterChain is the ingest's hook into clustering: each applied or
// undone block is clustered (or its merges reverted) right after the index
// changes, and the clustering is committed after each index flush. The
// index itself knows nothing of clustering.
type clusterChain struct {
	ingest.Chain
	ix *index.Index
	st *cluster.Store
}

func (c clusterChain) Apply(b *wire.MsgBlock, txids []chainhash.Hash, height int64) error {
	if err := c.Chain.Apply(b, txids, height); err != nil {
		return err
	}
	return c.st.Sync(c.ix, nil)
}

func (c clusterChain) Undo() error {
	if err := c.Chain.Undo(); err != nil {
		return err
	}
	return c.st.Sync(c.ix, nil)
}

func (c clusterChain) Flush() error {
	if err := c.Chain.Flush(); err != nil {
		return err
	}
	return c.st.Commit()
}

// openClusterStore opens the data folder's cluster store for ix (mode
// ChangeAny keeps the mode it was built with) and brings it to the index's
// tip.
func openClusterStore(dataDir string, ix *index.Index, mode cluster.ChangeMode) (*cluster.Store, error) {
	st, err := cluster.Open(cluster.DirIn(dataDir), clusterOptions(dataDir, ix, mode))
	if err != nil {
		return nil, err
	}
	if err := syncCluster(st, ix); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// syncCluster brings st to ix's tip and commits, printing progress on
// stderr every few seconds when there is much to do.
func syncCluster(st *cluster.Store, ix *index.Index) error {
	start, last := time.Now(), time.Now()
	err := st.Sync(ix, func(h, tip int64) {
		if time.Since(last) >= 3*time.Second {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "cluster: height %d of %d (%s)\n", h, tip, time.Since(start).Round(time.Second))
		}
	})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	slog.Debug("clustered", "elapsed", time.Since(start))
	return st.Commit()
}

// withClustering wraps ch so that ingest clusters block by block.
func withClustering(dataDir string, ix *index.Index, ch ingest.Chain) (ingest.Chain, func() error, error) {
	st, err := openClusterStore(dataDir, ix, cluster.ChangeAny)
	if err != nil {
		return nil, nil, err
	}
	servingClusters = st
	return clusterChain{Chain: ch, ix: ix, st: st}, func() error { servingClusters = nil; return st.Close() }, nil
}

// clusterOptions are the store options of this build: the classifier's
// multi-party predicate and the label store's service labels.
func clusterOptions(dataDir string, ix *index.Index, mode cluster.ChangeMode) cluster.Options {
	opt := cluster.Options{Change: mode, MultiParty: cluster.ClassifierMultiParty(ix)}
	if ls := loadClusterLabels(context.Background(), dataDir, ix.Network()); ls != nil {
		opt.Labeler = ls
	}
	return opt
}
