package monitor

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// truthClusters clusters addresses by their true owner (the simulator's
// books): a perfect clustering, to test what the exposer does with one.
type truthClusters struct {
	owner   map[string]string
	members map[string][]string
}

func (c truthClusters) Mates(addr string, max int) (uint64, uint64, []string, bool, error) {
	o, ok := c.owner[addr]
	if !ok {
		return 0, 0, nil, false, nil
	}
	var mates []string
	for _, m := range c.members[o] {
		if m != addr && len(mates) < max {
			mates = append(mates, m)
		}
	}
	return 1, uint64(len(c.members[o])), mates, true, nil
}

// staticLabels attributes from a fixed map.
type staticLabels trace.MapAttributor

func (l staticLabels) Current(ctx context.Context) (trace.Attributor, string, error) {
	return trace.MapAttributor(l), "static", nil
}
func (l staticLabels) Illicit(ctx context.Context) ([]Source, error) { return nil, nil }

// A withdrawal to another address of the thief's wallet: the address itself
// is unlabelled, its cluster holds the labelled loot address.
func TestClusterExposer(t *testing.T) {
	ctx := context.Background()
	c := testChain(t)
	lootAddr, _ := c.lootSpend(t)
	tc := truthClusters{owner: map[string]string{}, members: map[string][]string{}}
	if err := sim.ReadRecords(filepath.Join(c.dir, "sim"), func(r *sim.Record) error {
		if r.Type == "addr" {
			tc.owner[r.Addr] = r.Actor
			tc.members[r.Actor] = append(tc.members[r.Actor], r.Addr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	thief := tc.owner[lootAddr]
	var other string
	for _, m := range tc.members[thief] {
		if m != lootAddr {
			other = m
			break
		}
	}
	if thief != c.hdr.Theft.Thief || other == "" {
		t.Fatalf("loot address owned by %q (theft by %q), other %q", thief, c.hdr.Theft.Thief, other)
	}
	lab := staticLabels{lootAddr: {Entity: "Northbank theft", Category: "stolen"}}
	db, _ := openSQLite(t)
	svc, err := New(ctx, db, Options{Chain: chainOf(c.ix), Exposers: []Exposer{
		LabelExposer{L: lab}, ClusterExposer{L: lab, Clusters: func() (Clusters, error) { return tc, nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.WithdrawalAttempt(ctx, "u", WithdrawalRequest{Network: "bitcoin", Asset: "BTC", Address: other, AssetAmount: 7000})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Alerts) != 1 || w.Alerts[0].AlertLevel != Severe || w.Alerts[0].Category != "stolen" || len(w.Direct) != 1 ||
		w.Direct[0].Address != lootAddr || w.Direct[0].Amount != 7000 {
		t.Errorf("withdrawal to the thief's other address: %+v", w)
	}
	// A user's address outside the thief's cluster: nothing.
	var user string
	for a, o := range tc.owner {
		if o != thief && o[0] == 'u' {
			user = a
			break
		}
	}
	if w, err := svc.WithdrawalAttempt(ctx, "u", WithdrawalRequest{Network: "bitcoin", Asset: "BTC", Address: user, AssetAmount: 7000}); err != nil || len(w.Alerts) != 0 {
		t.Errorf("withdrawal to a user %s: %+v %v", user, w, err)
	}
}
