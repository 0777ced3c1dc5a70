package sanctions

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Diff is what changed between two versions of a list.
type Diff struct {
	From    Version        `json:"from"`
	To      Version        `json:"to"`
	Added   []EntityRef    `json:"added"`   // in To, not in From
	Removed []EntityRef    `json:"removed"` // in From, not in To: delisted
	Changed []EntityChange `json:"changed"`
	// Crypto addresses (ticker, address) added and removed, with the entity
	// listing them in To (added) or From (removed).
	AddedAddresses   []AddressRef `json:"added_addresses"`
	RemovedAddresses []AddressRef `json:"removed_addresses"`
	// Notes explain fields left out of the comparison.
	Notes []string `json:"notes,omitempty"`
}

// EntityRef names an entity in a diff.
type EntityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// EntityChange lists the fields of an entity that changed.
type EntityChange struct {
	EntityRef
	Fields []string `json:"fields"` // name, aliases, programs, addresses, identifiers, crypto_addresses, type
}

// AddressRef is one crypto address listing.
type AddressRef struct {
	EntityID string `json:"entity_id"`
	Ticker   string `json:"ticker"`
	Address  string `json:"address"`
}

// Diff compares two versions (normally of the same list).
func (s *Store) Diff(ctx context.Context, from, to int64) (*Diff, error) {
	vf, err := s.Version(ctx, from)
	if err != nil {
		return nil, err
	}
	vt, err := s.Version(ctx, to)
	if err != nil {
		return nil, err
	}
	ef, err := s.Entities(ctx, from)
	if err != nil {
		return nil, err
	}
	et, err := s.Entities(ctx, to)
	if err != nil {
		return nil, err
	}
	d := DiffEntities(ef, et)
	d.From, d.To = vf, vt
	if vf.List != vt.List {
		return d, fmt.Errorf("versions %d (%s) and %d (%s) are of different lists", from, vf.List, to, vt.List)
	}
	return d, nil
}

// DiffEntities compares two entity sets by entity id.
func DiffEntities(from, to []Entity) *Diff {
	d := &Diff{Added: []EntityRef{}, Removed: []EntityRef{}, Changed: []EntityChange{},
		AddedAddresses: []AddressRef{}, RemovedAddresses: []AddressRef{}}
	fm := map[string]*Entity{}
	for i := range from {
		fm[from[i].ID] = &from[i]
	}
	tm := map[string]*Entity{}
	for i := range to {
		tm[to[i].ID] = &to[i]
	}
	ref := func(e *Entity) EntityRef { return EntityRef{ID: e.ID, Name: e.Name, Type: e.Type} }
	// A version imported without alt.csv or add.csv (OFAC's older sets are
	// sometimes sdn.csv alone) has no strong aliases or postal addresses at
	// all; comparing those fields would flag every entity.
	skip := map[string]bool{}
	has := func(es []Entity, f func(*Entity) bool) bool {
		return slices.ContainsFunc(es, func(e Entity) bool { return f(&e) })
	}
	strong := func(e *Entity) bool {
		return slices.ContainsFunc(e.Aliases, func(a Alias) bool { return a.Quality == QualityStrong })
	}
	postal := func(e *Entity) bool { return len(e.Addresses) > 0 }
	if len(from) > 0 && len(to) > 0 {
		if has(from, strong) != has(to, strong) {
			skip["aliases"] = true
			d.Notes = append(d.Notes, "aliases not compared: one version has no strong aliases at all (imported without alt.csv?)")
		}
		if has(from, postal) != has(to, postal) {
			skip["addresses"] = true
			d.Notes = append(d.Notes, "postal addresses not compared: one version has none at all (imported without add.csv?)")
		}
	}
	for id, e := range tm {
		old, ok := fm[id]
		if !ok {
			d.Added = append(d.Added, ref(e))
			continue
		}
		if f := changedFields(old, e, skip); len(f) > 0 {
			d.Changed = append(d.Changed, EntityChange{EntityRef: ref(e), Fields: f})
		}
	}
	for id, e := range fm {
		if _, ok := tm[id]; !ok {
			d.Removed = append(d.Removed, ref(e))
		}
	}
	addrs := func(es map[string]*Entity) map[AddressRef]bool {
		m := map[AddressRef]bool{}
		for _, e := range es {
			for _, c := range e.CryptoAddresses {
				m[AddressRef{EntityID: e.ID, Ticker: c.Ticker, Address: c.Address}] = true
			}
		}
		return m
	}
	fa, ta := addrs(fm), addrs(tm)
	for a := range ta {
		if !fa[a] {
			d.AddedAddresses = append(d.AddedAddresses, a)
		}
	}
	for a := range fa {
		if !ta[a] {
			d.RemovedAddresses = append(d.RemovedAddresses, a)
		}
	}
	byID := func(s []EntityRef) { sort.Slice(s, func(i, j int) bool { return lessID(s[i].ID, s[j].ID) }) }
	byID(d.Added)
	byID(d.Removed)
	sort.Slice(d.Changed, func(i, j int) bool { return lessID(d.Changed[i].ID, d.Changed[j].ID) })
	byAddr := func(s []AddressRef) {
		sort.Slice(s, func(i, j int) bool {
			if s[i].EntityID != s[j].EntityID {
				return lessID(s[i].EntityID, s[j].EntityID)
			}
			if s[i].Ticker != s[j].Ticker {
				return s[i].Ticker < s[j].Ticker
			}
			return s[i].Address < s[j].Address
		})
	}
	byAddr(d.AddedAddresses)
	byAddr(d.RemovedAddresses)
	return d
}

// lessID orders entity ids naturally: "ofac:999" before "ofac:1000".
func lessID(a, b string) bool {
	ai, bi := strings.LastIndexByte(a, ':'), strings.LastIndexByte(b, ':')
	if a[:ai+1] == b[:bi+1] {
		na, ea := strconv.ParseUint(a[ai+1:], 10, 64)
		nb, eb := strconv.ParseUint(b[bi+1:], 10, 64)
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
	}
	return a < b
}

func changedFields(a, b *Entity, skip map[string]bool) []string {
	var f []string
	if a.Name != b.Name {
		f = append(f, "name")
	}
	if a.Type != b.Type {
		f = append(f, "type")
	}
	if !skip["aliases"] && !sameSet(a.Aliases, b.Aliases, func(x Alias) string { return x.Quality + "|" + x.Name }) {
		f = append(f, "aliases")
	}
	if !sameSet(a.Programs, b.Programs, func(x string) string { return x }) {
		f = append(f, "programs")
	}
	if !skip["addresses"] && !sameSet(a.Addresses, b.Addresses, func(x PostalAddress) string {
		return x.Street + "|" + x.City + "|" + x.State + "|" + x.Postal + "|" + x.Country
	}) {
		f = append(f, "addresses")
	}
	if !sameSet(a.Identifiers, b.Identifiers, func(x Identifier) string { return x.Type + "|" + x.Number + "|" + x.Country }) {
		f = append(f, "identifiers")
	}
	if !sameSet(a.CryptoAddresses, b.CryptoAddresses, func(x CryptoAddress) string { return x.Ticker + "|" + x.Address }) {
		f = append(f, "crypto_addresses")
	}
	return f
}

func sameSet[T any](a, b []T, key func(T) string) bool {
	ka := make([]string, len(a))
	for i, x := range a {
		ka[i] = key(x)
	}
	kb := make([]string, len(b))
	for i, x := range b {
		kb[i] = key(x)
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(slices.Compact(ka), slices.Compact(kb))
}
