package trace

import (
	"strings"

	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// Attribution is who an address belongs to, as far as the investigator knows.
type Attribution struct {
	Entity   string // e.g. "Kestrel"
	Category string // e.g. "exchange", "mixer" (the labels vocabulary)
}

// Attributor maps an address to its attribution. Traces stop at addresses
// whose category is a service (IsService); other attributions are reported
// on the path but do not stop it.
type Attributor interface {
	Attribute(addr string) (Attribution, bool)
}

// AttributorFunc adapts a function to an Attributor.
type AttributorFunc func(addr string) (Attribution, bool)

// Attribute calls f.
func (f AttributorFunc) Attribute(addr string) (Attribution, bool) { return f(addr) }

// IsService reports whether category is a service a trace stops at (its
// ledger is off-chain): labels.IsService.
func IsService(category string) bool { return labels.IsService(category) }

// FromLabels adapts a label snapshot (labels.Snapshot, or anything with its
// Attribute method) to an Attributor: an address's service label first.
func FromLabels(sn interface {
	Attribute(addr string) (entity, category string, ok bool)
}) Attributor {
	return AttributorFunc(func(addr string) (Attribution, bool) {
		e, c, ok := sn.Attribute(addr)
		return Attribution{Entity: e, Category: c}, ok
	})
}

// MapAttributor is an Attributor over a fixed map of address → attribution.
type MapAttributor map[string]Attribution

// Attribute looks addr up.
func (m MapAttributor) Attribute(addr string) (Attribution, bool) {
	a, ok := m[addr]
	return a, ok
}

// ParseLabel splits a label "category: Entity" (the simulator's and the
// TagPacks' style) into an Attribution; a label without a colon is an entity
// of category "other".
func ParseLabel(label string) Attribution {
	if c, e, ok := strings.Cut(label, ":"); ok {
		return Attribution{Entity: strings.TrimSpace(e), Category: strings.TrimSpace(strings.ToLower(c))}
	}
	return Attribution{Entity: strings.TrimSpace(label), Category: "other"}
}

// SimLabels reads the investigator's starting labels of a simulated chain:
// the truth.jsonl "addr" records that carry a label ("exchange: Kestrel",
// "mixer: Blendr", …). It is the attribution the simulator hands an
// investigator (about half the mixer's deposit addresses, the services'
// known addresses), not its hidden books: traces over a simulated chain use
// it as their Attributor until a label store holds the same labels.
func SimLabels(simDir string) (MapAttributor, error) {
	labels, err := sim.InvestigatorAddressLabels(simDir)
	m := make(MapAttributor, len(labels))
	for a, l := range labels {
		m[a] = ParseLabel(l)
	}
	return m, err
}
