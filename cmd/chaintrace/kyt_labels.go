package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/monitor"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// kytLabels is the monitor's attribution: the label store (opened for the
// chain index's network once the index is available), the sanctions lists
// in force, and, in a demo folder (DIR/sim holding a simulated chain), the
// simulation's investigator labels.
type kytLabels struct {
	db    *store.DB
	st    *sanctions.Store
	chain monitor.ChainSource
	sim   trace.MapAttributor // nil outside a demo folder

	mu sync.Mutex
	ls *labels.Store
	// The attribution of the last second (a screening asks several times).
	cur    trace.Attributor
	curVer string
	curAt  time.Time
}

// kytLabelsFresh is how long a read of the labels' version is reused.
const kytLabelsFresh = time.Second

func newKYTLabels(db *store.DB, st *sanctions.Store, cs monitor.ChainSource, dataDir string) (*kytLabels, error) {
	k := &kytLabels{db: db, st: st, chain: cs}
	simDir := filepath.Join(dataDir, "sim")
	if _, err := os.Stat(filepath.Join(simDir, sim.TruthRecordsFile)); err == nil {
		m, err := trace.SimLabels(simDir)
		if err != nil {
			return nil, err
		}
		k.sim = m
	}
	return k, nil
}

func (k *kytLabels) store(ctx context.Context) (*labels.Store, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ls != nil {
		return k.ls, nil
	}
	c, err := k.chain()
	if err != nil {
		return nil, err
	}
	ls, err := labels.New(ctx, k.db, labels.Options{Network: c.Network()})
	if err != nil {
		return nil, err
	}
	k.ls = ls
	return ls, nil
}

// Current implements monitor.Labels.
func (k *kytLabels) Current(ctx context.Context) (trace.Attributor, string, error) {
	k.mu.Lock()
	if k.cur != nil && time.Since(k.curAt) < kytLabelsFresh {
		defer k.mu.Unlock()
		return k.cur, k.curVer, nil
	}
	k.mu.Unlock()
	attr, ver, err := k.read(ctx)
	if err != nil {
		return nil, "", err
	}
	k.mu.Lock()
	k.cur, k.curVer, k.curAt = attr, ver, time.Now()
	k.mu.Unlock()
	return attr, ver, nil
}

func (k *kytLabels) read(ctx context.Context) (trace.Attributor, string, error) {
	ls, err := k.store(ctx)
	if err != nil {
		return nil, "", err
	}
	gen, err := ls.Generation(ctx)
	if err != nil {
		return nil, "", err
	}
	sn, err := ls.Snapshot(ctx)
	if err != nil {
		return nil, "", err
	}
	ver := fmt.Sprintf("g%d;%s", gen, k.st.InForceLabel())
	if k.sim != nil {
		ver += ";sim"
	}
	sm := k.sim
	return trace.AttributorFunc(func(addr string) (trace.Attribution, bool) {
		if e, c, ok := sn.Attribute(addr); ok {
			return trace.Attribution{Entity: e, Category: c}, true
		}
		a, ok := sm[addr]
		return a, ok
	}), ver, nil
}

// Illicit implements monitor.Labels: stored labels of the illicit
// categories and the Bitcoin addresses on the sanctions lists in force.
func (k *kytLabels) Illicit(ctx context.Context) ([]monitor.Source, error) {
	ls, err := k.store(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := ls.ByCategory(ctx, monitor.IllicitCategories...)
	if err != nil {
		return nil, err
	}
	var out []monitor.Source
	for _, l := range stored {
		ent := l.Actor
		if ent == "" {
			ent = l.Label
		}
		out = append(out, monitor.Source{Address: l.Address, Category: l.Category, Entity: ent})
	}
	net := ls.Network()
	k.st.EachListed(func(key string, ms []sanctions.Match) {
		a, err := chain.ParseAddr(key, net)
		if err != nil || len(ms) == 0 {
			return
		}
		cat := "sanctions"
		if attr, err := (monitor.SanctionsAttributor{Store: k.st}).Attribute(ctx, []string{key}); err == nil && len(attr[key]) > 0 {
			cat = attr[key][0].Category
		}
		out = append(out, monitor.Source{Address: a.String(net), Category: cat, Entity: ms[0].Name})
	})
	return out, nil
}

// kytExposers are the exposure sources wired into the monitor: sanctions
// screening of the counterparties, their labels, the labels of a
// destination's cluster (when clusters is given), indirect exposure to
// services by tracing, and the forward taint of illicit coins.
func kytExposers(db *store.DB, st *sanctions.Store, cs monitor.ChainSource, dataDir string, clusters func() (monitor.Clusters, error)) ([]monitor.Exposer, error) {
	lab, err := newKYTLabels(db, st, cs, dataDir)
	if err != nil {
		return nil, err
	}
	return []monitor.Exposer{
		monitor.NewSanctionsExposer(st),
		monitor.LabelExposer{L: lab},
		monitor.ClusterExposer{L: lab, Clusters: clusters},
		monitor.TraceExposer{L: lab, Chain: cs},
		&monitor.TaintExposer{L: lab, Chain: cs},
	}, nil
}

// kytClusters serves the cluster store to the monitor's ClusterExposer.
type kytClusters struct {
	ix *index.Index
	st *cluster.Store
}

// Mates implements monitor.Clusters.
func (k kytClusters) Mates(addr string, max int) (id, size uint64, mates []string, ok bool, err error) {
	params := k.ix.Network()
	a, err := chain.ParseAddr(addr, params)
	if err != nil {
		return 0, 0, nil, false, nil
	}
	aid, found := k.ix.AddressID(a.Key())
	if !found {
		return 0, 0, nil, false, nil
	}
	id, size, ok = k.st.ClusterOf(aid)
	if !ok || size < 2 {
		return id, size, nil, ok, nil
	}
	err = k.st.Members(id, 0, func(m uint64) bool {
		if m == aid {
			return true
		}
		key, ok := k.ix.AddressKey(m)
		if !ok {
			return true
		}
		if ma, err := chain.AddrFromKey(key); err == nil {
			mates = append(mates, ma.String(params))
		}
		return len(mates) < max
	})
	return id, size, mates, true, err
}
