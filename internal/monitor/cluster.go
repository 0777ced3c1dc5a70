package monitor

import (
	"context"
	"fmt"
	"sort"
)

// Clusters answers which addresses one entity controls with an address
// (the cluster package's store over the chain index).
type Clusters interface {
	// Mates returns the cluster holding addr (ok false when the address is
	// unknown or unclustered), its size, and up to max of its other addresses.
	Mates(addr string, max int) (id, size uint64, mates []string, ok bool, err error)
}

// ClusterExposer attributes a destination through its cluster: when other
// addresses of the cluster that holds a sent transfer's or withdrawal
// attempt's destination are labelled, the destination belongs to that
// entity (direct exposure). It looks at up to Max addresses of the cluster
// (default 10,000).
type ClusterExposer struct {
	L        Labels
	Clusters func() (Clusters, error)
	Max      int
}

// Exposure implements Exposer.
func (e ClusterExposer) Exposure(ctx context.Context, s *Subject) ([]Line, error) {
	if s.Direction != Sent || s.Address == "" || e.Clusters == nil {
		return nil, nil
	}
	cs, err := e.Clusters()
	if err != nil || cs == nil {
		return nil, nil // no clustering in this data folder (or not yet)
	}
	max := e.Max
	if max <= 0 {
		max = 10_000
	}
	id, size, mates, ok, err := cs.Mates(s.Address, max)
	if err != nil || !ok || len(mates) == 0 {
		return nil, err
	}
	attr, v, err := e.L.Current(ctx)
	if err != nil {
		return nil, err
	}
	type key struct{ cat, ent string }
	seen := map[key]string{}
	for _, m := range mates {
		if a, ok := attr.Attribute(m); ok && IsCategory(a.Category) {
			k := key{a.Category, a.Entity}
			if _, dup := seen[k]; !dup {
				seen[k] = m
			}
		}
	}
	keys := make([]key, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].cat+keys[i].ent < keys[j].cat+keys[j].ent })
	var path []string
	if s.Txid != "" {
		path = []string{s.Txid}
	}
	out := make([]Line, 0, len(keys))
	for _, k := range keys {
		out = append(out, Line{Category: k.cat, Entity: k.ent, ExposureType: Direct, Amount: s.Amount, Share: 1, Hops: 1,
			Path: path, Address: seen[k], Confidence: 1,
			Source: fmt.Sprintf("cluster %d (%d addresses) labelled at %s; labels %s", id, size, seen[k], v)})
	}
	return out, nil
}
