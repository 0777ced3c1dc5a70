package monitor

import (
	"context"
	"errors"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// Chain is the chain index as the monitor reads it (*index.Index).
type Chain interface {
	Tx(txid chainhash.Hash) (*index.TxView, error)
	View(fn func(g index.Graph) error) error
	Tip() (index.Tip, bool)
	Network() *chaincfg.Params
}

// ChainSource returns the chain index, or an error saying why it is not
// available now (transfers then stay pending and are retried).
type ChainSource func() (Chain, error)

// Coin is an address and the value it contributed or received.
type Coin struct {
	Address string
	Value   int64
}

// Subject is the counterparty side of a transfer whose exposure is asked.
// For a received transfer it is where the funds came from: the tx's inputs
// (Senders), traced backward; for a sent transfer or a withdrawal attempt it
// is the destination (Address), traced forward from the transfer's outputs.
type Subject struct {
	Direction Direction
	// Tx is the transfer's transaction; nil for a withdrawal attempt.
	Tx      *index.TxView
	Txid    string
	Outputs []uint32 // the transfer's outputs of Tx
	// Address is the user's deposit address (received) or the destination
	// (sent, withdrawal attempt).
	Address string
	Amount  int64
	Senders []Coin // received: the tx's inputs (coinbase inputs have no address)
}

// Exposer finds exposure lines for a subject. Implementations: the direct
// attribution of the counterparty addresses (DirectExposer over sanctions or
// labels) and, once tracing is available, indirect exposure.
type Exposer interface {
	Exposure(ctx context.Context, s *Subject) ([]Line, error)
}

// Versioned is implemented by exposers whose answers depend on data that
// changes (a list version, a label import, the chain tip). When Version
// changes, a serving monitor re-screens the registered transfers.
type Versioned interface {
	Name() string
	// Version is VersionUnavailable while the data cannot be read (no chain
	// index yet): no trigger fires then.
	Version(ctx context.Context) string
}

// Warmer is implemented by exposers that build a cache before their first
// answer (the taint traces): a serving monitor warms them at start, so the
// first screenings do not wait.
type Warmer interface {
	Warm(ctx context.Context) error
}

// VersionUnavailable is the version of data that cannot be read now.
const VersionUnavailable = "unavailable"

// Attribution says who an address belongs to, and on whose word.
type Attribution struct {
	Category string
	Entity   string
	Source   string
}

// Attributor attributes addresses (sanctions lists, labels, clusters).
type Attributor interface {
	Attribute(ctx context.Context, addrs []string) (map[string][]Attribution, error)
}

// DirectExposer turns the attribution of the counterparty addresses into
// direct exposure lines: for a received transfer the senders (the inputs'
// addresses, the amount split in proportion to what each attributed entity
// put in), for a sent one the destination (the whole amount).
type DirectExposer struct {
	Attributor Attributor
}

// Exposure implements Exposer.
func (d DirectExposer) Exposure(ctx context.Context, s *Subject) ([]Line, error) {
	var addrs []string
	if s.Direction == Received {
		for _, c := range s.Senders {
			if c.Address != "" {
				addrs = append(addrs, c.Address)
			}
		}
	} else if s.Address != "" {
		addrs = []string{s.Address}
	}
	if len(addrs) == 0 {
		return nil, nil
	}
	attr, err := d.Attributor.Attribute(ctx, addrs)
	if err != nil || len(attr) == 0 {
		return nil, err
	}
	var path []string
	if s.Txid != "" {
		path = []string{s.Txid}
	}
	type key struct{ cat, ent string }
	lines := map[key]*Line{}
	var order []key
	add := func(a Attribution, addr string, value int64) {
		k := key{a.Category, a.Entity}
		l := lines[k]
		if l == nil {
			l = &Line{Category: a.Category, Entity: a.Entity, ExposureType: Direct, Hops: 1, Path: path, Address: addr, Source: a.Source, Confidence: 1}
			lines[k] = l
			order = append(order, k)
		}
		l.Amount += value
	}
	if s.Direction == Received {
		var total int64
		for _, c := range s.Senders {
			total += c.Value
		}
		for _, c := range s.Senders {
			for _, a := range attr[c.Address] {
				add(a, c.Address, c.Value)
			}
		}
		// The senders' values become the transfer's share: amount × value / total.
		for _, l := range lines {
			if total > 0 {
				l.Share = float64(l.Amount) / float64(total)
				l.Amount = mulDiv(s.Amount, l.Amount, total)
			}
		}
	} else {
		for _, a := range attr[s.Address] {
			add(a, s.Address, s.Amount)
		}
		for _, l := range lines {
			l.Share = 1
		}
	}
	out := make([]Line, 0, len(order))
	for _, k := range order {
		out = append(out, *lines[k])
	}
	return out, nil
}

// mulDiv returns a×b/c without overflow (a, b, c ≥ 0, b ≤ c).
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// SanctionsAttributor attributes addresses listed on the sanctions lists in
// force: official lists give category "sanctions"; a watchlist entry gives its
// own category when it is in the vocabulary ("other" otherwise).
type SanctionsAttributor struct {
	Store *sanctions.Store
}

// Name implements Versioned.
func (a SanctionsAttributor) Name() string { return "sanctions" }

// Version implements Versioned: the list versions in force.
func (a SanctionsAttributor) Version(ctx context.Context) string { return a.Store.InForceLabel() }

// Attribute implements Attributor.
func (a SanctionsAttributor) Attribute(ctx context.Context, addrs []string) (map[string][]Attribution, error) {
	out := map[string][]Attribution{}
	for _, addr := range addrs {
		if _, done := out[addr]; done {
			continue
		}
		r, err := a.Store.ScreenAddress(ctx, addr)
		if err != nil {
			if errors.Is(err, sanctions.ErrMalformedAddress) {
				continue
			}
			return nil, err
		}
		for _, m := range r.Matches {
			cat := "sanctions"
			if strings.HasPrefix(m.List, sanctions.WatchlistPrefix) {
				cat = "other"
				for _, p := range m.Programs {
					if IsCategory(strings.ToLower(p)) {
						cat = strings.ToLower(p)
						break
					}
				}
			}
			out[addr] = append(out[addr], Attribution{Category: cat, Entity: m.Name, Source: m.List + " " + m.EntityID})
		}
	}
	return out, nil
}

// SanctionsExposer is the direct exposure to the sanctions lists in force.
type SanctionsExposer struct {
	DirectExposer
	SanctionsAttributor
}

// NewSanctionsExposer screens counterparty addresses against st.
func NewSanctionsExposer(st *sanctions.Store) SanctionsExposer {
	a := SanctionsAttributor{Store: st}
	return SanctionsExposer{DirectExposer{a}, a}
}

// errNotIndexed: the transfer's tx is not in the chain index (yet).
var errNotIndexed = errors.New("transaction not indexed yet")

// txFacts is what the chain says about a transfer.
type txFacts struct {
	tx      *index.TxView
	outputs []uint32
	address string // the referenced output's address
	amount  int64
	height  int64
	time    time.Time
}

// resolve finds the transfer's outputs in the chain. A reference the tx does
// not have (a vout out of range, an address it does not pay) is ErrBadInput.
func resolve(c Chain, ref Reference) (*txFacts, error) {
	tv, err := c.Tx(ref.Txid)
	if errors.Is(err, index.ErrNotFound) {
		return nil, errNotIndexed
	}
	if err != nil {
		return nil, err
	}
	f := &txFacts{tx: tv, height: tv.BlockHeight}
	if ref.Vout >= 0 {
		if ref.Vout >= int64(len(tv.Outputs)) {
			return nil, badInput("vout %d does not exist: tx %s has %d outputs", ref.Vout, ref.Txid, len(tv.Outputs))
		}
		o := tv.Outputs[ref.Vout]
		f.outputs = []uint32{o.N}
		f.amount = o.Value
		if o.Address != nil {
			f.address = *o.Address
		}
	} else {
		for _, o := range tv.Outputs {
			if o.Address != nil && sameAddress(*o.Address, ref.Address) {
				f.outputs = append(f.outputs, o.N)
				f.amount += o.Value
				f.address = *o.Address
			}
		}
		if len(f.outputs) == 0 {
			return nil, badInput("tx %s pays nothing to %s", ref.Txid, ref.Address)
		}
	}
	c.View(func(g index.Graph) error {
		if t, ok := g.BlockTime(tv.BlockHeight); ok {
			f.time = time.Unix(t, 0).UTC()
		}
		return nil
	})
	return f, nil
}

// sameAddress compares addresses: bech32 ones case-insensitively (their
// canonical form is lower case), base58 ones exactly.
func sameAddress(a, b string) bool {
	if a == b {
		return true
	}
	return isBech32(a) && strings.EqualFold(a, b)
}

func isBech32(a string) bool {
	l := strings.ToLower(a)
	return strings.HasPrefix(l, "bc1") || strings.HasPrefix(l, "tb1") || strings.HasPrefix(l, "bcrt1")
}

// subjectOf builds the counterparty side of a transfer.
func subjectOf(dir Direction, f *txFacts) *Subject {
	s := &Subject{Direction: dir, Tx: f.tx, Txid: f.tx.Txid, Outputs: f.outputs, Address: f.address, Amount: f.amount}
	if dir == Received {
		for _, in := range f.tx.Inputs {
			c := Coin{}
			if in.Address != nil {
				c.Address = *in.Address
			}
			if in.Value != nil {
				c.Value = *in.Value
			}
			s.Senders = append(s.Senders, c)
		}
	}
	return s
}

// mergeLines folds lines from several exposers: one line per category,
// entity, exposure type and certainty (the largest amount, and its
// evidence), sorted direct first, then by amount.
func mergeLines(lines []Line) []Line {
	type key struct {
		cat, ent string
		typ      ExposureType
		sure     bool
	}
	best := map[key]int{}
	var out []Line
	for _, l := range lines {
		k := key{l.Category, l.Entity, l.ExposureType, l.Confidence >= certain}
		if i, ok := best[k]; ok {
			if l.Amount > out[i].Amount || (l.Amount == out[i].Amount && l.Hops < out[i].Hops) {
				out[i] = l
			}
			continue
		}
		best[k] = len(out)
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ExposureType != out[j].ExposureType {
			return out[i].ExposureType == Direct
		}
		return out[i].Amount > out[j].Amount
	})
	return out
}
