package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// demoLabelSet serves the investigator's labels (address → "category:
// name") to clustering: the label guard and the clusters' labels.
type demoLabelSet struct {
	byAddr map[string]string
	byKey  map[string]string
}

func newDemoLabelSet(byAddr map[string]string, ix *index.Index) *demoLabelSet {
	l := &demoLabelSet{byAddr: byAddr, byKey: map[string]string{}}
	for a, lab := range byAddr {
		if ad, err := chain.ParseAddr(a, ix.Network()); err == nil {
			l.byKey[string(ad.Key())] = lab
		}
	}
	return l
}

func (l *demoLabelSet) Service(key []byte) string { return l.byKey[string(key)] }

func (l *demoLabelSet) IsService(category string) bool { return labels.IsService(category) }

func (l *demoLabelSet) LabelsOf(addrs []string) ([]cluster.Label, error) {
	var out []cluster.Label
	for _, a := range addrs {
		if lab, ok := l.byAddr[a]; ok {
			cat, name, _ := strings.Cut(lab, ": ")
			out = append(out, cluster.Label{Label: name, Category: cat, Source: "investigator (simulator)", Confidence: 1, Address: a})
		}
	}
	return out, nil
}

// demoClusters clusters the demo chain (with the investigator's labels for
// the guard) and shows the thief's cluster and each labelled service's.
func demoClusters(w io.Writer, ix *index.Index, dir, simDir string, hdr *sim.Header) error {
	byAddr, err := sim.InvestigatorAddressLabels(simDir)
	if err != nil {
		return err
	}
	ls := newDemoLabelSet(byAddr, ix)
	opt := cluster.Options{Change: cluster.ChangeAny, MultiParty: cluster.ClassifierMultiParty(ix), Labeler: ls}
	st, err := cluster.Open(cluster.DirIn(dir), opt)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := syncCluster(st, ix); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nClusters (common-input ownership except CoinJoins, change by --change %s; `chaintrace cluster`):\n", st.Stats().Change)
	show := func(what, addr string) error {
		id, err := addressID(ix, addr)
		if err != nil {
			return err
		}
		v, err := st.ViewOf(ix, ls, id, 0)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, l := range v.Labels {
			names[l.Category+": "+l.Label] = true
		}
		var lab []string
		for n := range names {
			lab = append(lab, n)
		}
		sort.Strings(lab)
		fmt.Fprintf(w, "  %-42s cluster %d: %d addresses, %d txs, balance %s, labels %v\n", what, v.ClusterID, v.Size, v.TxCount, btc(v.Balance), lab)
		if len(v.LabelConflicts) > 0 {
			fmt.Fprintf(w, "  %-42s CONFLICTING service labels %v\n", "", v.LabelConflicts)
		}
		return nil
	}
	// The largest cluster among an owner's addresses (ties: the first address).
	largest := func(addrs []string) (string, bool) {
		sort.Strings(addrs)
		best, bestSize := "", uint64(0)
		for _, a := range addrs {
			id, err := addressID(ix, a)
			if err != nil {
				continue // never on chain
			}
			if _, size, ok := st.ClusterOf(id); ok && size > bestSize {
				best, bestSize = a, size
			}
		}
		return best, bestSize > 0
	}
	if th := hdr.Theft; th != nil {
		var thief []string
		err := sim.ReadRecords(simDir, func(r *sim.Record) error {
			if r.Type == "addr" && r.Actor == th.Thief {
				thief = append(thief, r.Addr)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if a, ok := largest(thief); ok {
			if err := show("thief (largest)", a); err != nil {
				return err
			}
		}
	}
	byLabel := map[string][]string{}
	for a, lab := range byAddr {
		byLabel[lab] = append(byLabel[lab], a)
	}
	var labs []string
	for lab := range byLabel {
		labs = append(labs, lab)
	}
	sort.Strings(labs)
	for _, lab := range labs {
		if a, ok := largest(byLabel[lab]); ok {
			if err := show(lab+" (largest)", a); err != nil {
				return err
			}
		}
	}
	return nil
}
