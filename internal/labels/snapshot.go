package labels

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// Snapshot is every label (stored and from the sanctions lists in force) in
// memory, keyed by the address's binary key (chain.Addr.Key()), for callers
// that ask per address in a hot loop: the cluster guard, trace stops, KYT.
// It is immutable; Store.Snapshot returns a fresh one after an import,
// a delete or a new list version.
type Snapshot struct {
	params     *chaincfg.Params
	byKey      map[string][]Label
	generation int64
	sanctions  string // in-force label of the sanctions index it was built from
	stored     int
}

// Len is the number of labelled addresses.
func (sn *Snapshot) Len() int { return len(sn.byKey) }

// ByKey returns the labels of the address with binary key k (chain.Addr.Key(),
// as the chain index stores it), best first. The slice must not be modified.
func (sn *Snapshot) ByKey(k []byte) []Label { return sn.byKey[string(k)] }

// ByAddress returns the labels of an address string, best first (nil for an
// unlabelled or malformed address).
func (sn *Snapshot) ByAddress(addr string) []Label {
	a, err := chain.ParseAddr(addr, sn.params)
	if err != nil {
		return nil
	}
	return sn.byKey[string(a.Key())]
}

// Attribute answers "who controls this address": the entity and category of
// its best service label (exchange, mixer, …: a trace stops there and the
// cluster guard compares them), else of its best label (highest confidence;
// sanctions first among equals). The entity is the label's actor when it
// names one, else the label (the listed name for a sanctions label). ok is
// false for an unlabelled or malformed address. ByAddress gives every label.
func (sn *Snapshot) Attribute(addr string) (entity, category string, ok bool) {
	return best(sn.ByAddress(addr))
}

// AttributeKey is Attribute by binary key (chain.Addr.Key()).
func (sn *Snapshot) AttributeKey(k []byte) (entity, category string, ok bool) {
	return best(sn.ByKey(k))
}

func best(ls []Label) (string, string, bool) {
	if len(ls) == 0 {
		return "", "", false
	}
	l := ls[0]
	for _, c := range ls {
		if IsService(c.Category) {
			l = c
			break
		}
	}
	if l.Actor != "" && l.Format != FormatSanctions {
		return l.Actor, l.Category, true
	}
	return l.Label, l.Category, true
}

// rank orders an address's labels: confidence, then sanctions, then services.
func rank(ls []Label) {
	weight := func(l Label) int {
		switch {
		case l.Category == Sanctions:
			return 2
		case IsService(l.Category):
			return 1
		}
		return 0
	}
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].Confidence != ls[j].Confidence {
			return ls[i].Confidence > ls[j].Confidence
		}
		if wi, wj := weight(ls[i]), weight(ls[j]); wi != wj {
			return wi > wj
		}
		if ls[i].Label != ls[j].Label {
			return ls[i].Label < ls[j].Label
		}
		return ls[i].Source < ls[j].Source
	})
}

// Snapshot returns the in-memory snapshot, rebuilding it when labels were
// imported or deleted (by this or another process) or the sanctions lists
// in force changed since it was built. Take one per trace or batch and call
// its methods per address.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	gen, err := s.generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("labels: snapshot: %w", err)
	}
	sanc := s.sanc.Load()
	sancLabel := ""
	if sanc != nil {
		sancLabel = fmt.Sprintf("%p:%s", sanc, sanc.InForceLabel())
	}
	if sn := s.snap.Load(); sn != nil && sn.generation == gen && sn.sanctions == sancLabel {
		return sn, nil
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if sn := s.snap.Load(); sn != nil && sn.generation == gen && sn.sanctions == sancLabel {
		return sn, nil
	}
	sn, err := s.build(ctx, gen, sanc, sancLabel)
	if err != nil {
		return nil, err
	}
	s.snap.Store(sn)
	return sn, nil
}

func (s *Store) build(ctx context.Context, gen int64, sanc *sanctions.Store, sancLabel string) (*Snapshot, error) {
	sn := &Snapshot{params: s.params, byKey: map[string][]Label{}, generation: gen, sanctions: sancLabel}
	// Repeated strings (labels, sources, datasets, categories) are shared.
	intern := map[string]string{}
	in := func(v string) string {
		if w, ok := intern[v]; ok {
			return w
		}
		intern[v] = v
		return v
	}
	rows, err := s.db.QueryContext(ctx, `SELECT addr_key, `+labelCols+` FROM labels`)
	if err != nil {
		return nil, fmt.Errorf("labels: snapshot: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key []byte
		l, err := scanLabel(rows, &key)
		if err != nil {
			return nil, fmt.Errorf("labels: snapshot: %w", err)
		}
		l.Label, l.Category, l.Source, l.Dataset, l.Format = in(l.Label), in(l.Category), in(l.Source), in(l.Dataset), in(l.Format)
		l.ConfidenceName, l.OriginalCategory, l.Actor, l.Abuse = in(l.ConfidenceName), in(l.OriginalCategory), in(l.Actor), in(l.Abuse)
		k := in(string(key))
		sn.byKey[k] = append(sn.byKey[k], l)
		sn.stored++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labels: snapshot: %w", err)
	}
	if sanc != nil {
		sanc.EachListed(func(key string, ms []sanctions.Match) {
			a, err := chain.ParseAddr(key, s.params)
			if err != nil {
				return
			}
			addr := a.String(s.params)
			k := string(a.Key())
			sn.byKey[k] = append(sn.byKey[k], s.sanctionLabels(addr, ms)...)
		})
	}
	for k, ls := range sn.byKey {
		if len(ls) == 0 {
			delete(sn.byKey, k)
			continue
		}
		rank(ls)
	}
	return sn, nil
}

// Watch rebuilds the snapshot every interval when it is stale, until ctx
// ends, so that look-ups right after another process's import are fast.
func (s *Store) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = s.Snapshot(ctx)
		}
	}
}
