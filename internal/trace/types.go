package trace

import (
	"errors"
	"fmt"
	"time"
)

// Direction of a trace.
type Direction string

// Directions.
const (
	Forward  Direction = "forward"  // where did the coins go
	Backward Direction = "backward" // where did they come from
)

// Errors a caller maps to "bad input" (exit 2 / HTTP 400) and "not found"
// (exit 2 / HTTP 404).
var (
	ErrBadInput = errors.New("bad trace input")
	ErrNotFound = errors.New("not found")
)

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Limits bound a trace. Zero fields take the defaults; absurd values are
// capped (the Result's notes say so).
type Limits struct {
	// Hops is the most txs a coin is followed through; a peel chain counts
	// as one hop however long it is.
	Hops int `json:"hops"`
	// MinSat is the dust cut: taint below it on an output is not followed.
	MinSat int64 `json:"min_sat"`
	// FromHeight/ToHeight and After/Before (unix seconds) bound the txs
	// followed; 0 means unbounded.
	FromHeight int64 `json:"from_height,omitempty"`
	ToHeight   int64 `json:"to_height,omitempty"`
	After      int64 `json:"after,omitempty"`
	Before     int64 `json:"before,omitempty"`
	// Nodes is the most txs a trace visits.
	Nodes int `json:"nodes"`
	// Timeout bounds the trace's run time.
	Timeout time.Duration `json:"-"`
	// TimeoutMS is Timeout in milliseconds (in the JSON).
	TimeoutMS int64 `json:"timeout_ms"`
	// MinConfidence separates findings (at least it) from candidates.
	MinConfidence float64 `json:"min_confidence"`
}

// Defaults and caps of the limits.
const (
	DefaultHops          = 12
	MaxHops              = 1000
	DefaultMinSat        = 10_000
	DefaultNodes         = 200_000
	MaxNodes             = 20_000_000
	DefaultTimeout       = 30 * time.Second
	MaxTimeout           = 10 * time.Minute
	DefaultMinConfidence = 0.5
)

// normalize fills defaults, rejects negative values and caps absurd ones,
// returning notes on what it changed.
func (l *Limits) normalize() ([]string, error) {
	var notes []string
	if l.Hops < 0 || l.MinSat < 0 || l.Nodes < 0 || l.Timeout < 0 || l.MinConfidence < 0 || l.MinConfidence > 1 {
		return nil, badInput("limits must not be negative (and min confidence at most 1): %+v", *l)
	}
	if l.Hops == 0 {
		l.Hops = DefaultHops
	}
	if l.Hops > MaxHops {
		notes = append(notes, fmt.Sprintf("hops %d capped at %d", l.Hops, MaxHops))
		l.Hops = MaxHops
	}
	if l.MinSat == 0 {
		l.MinSat = DefaultMinSat
	}
	if l.Nodes == 0 {
		l.Nodes = DefaultNodes
	}
	if l.Nodes > MaxNodes {
		notes = append(notes, fmt.Sprintf("node budget %d capped at %d", l.Nodes, MaxNodes))
		l.Nodes = MaxNodes
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Timeout > MaxTimeout {
		notes = append(notes, fmt.Sprintf("timeout %s capped at %s", l.Timeout, MaxTimeout))
		l.Timeout = MaxTimeout
	}
	l.TimeoutMS = l.Timeout.Milliseconds()
	if l.MinConfidence == 0 {
		l.MinConfidence = DefaultMinConfidence
	}
	if l.ToHeight != 0 && l.FromHeight > l.ToHeight {
		return nil, badInput("height window %d…%d is empty", l.FromHeight, l.ToHeight)
	}
	return notes, nil
}

// Request is one trace.
type Request struct {
	// From is a txid:vout, a txid or an address.
	From      string
	Direction Direction
	Model     Model
	Limits    Limits
	// ThroughCoinJoins follows a CoinJoin's outputs (equal outputs with
	// confidence 1/anonymity set) instead of stopping at it.
	ThroughCoinJoins bool
	// ThroughMixers matches deposits into an attributed custodial mixer
	// with its payouts (forward traces only).
	ThroughMixers bool
	// FollowPeels follows a peel chain's payments (its small outputs) past
	// their first recipient. By default a payment to an unattributed
	// recipient is an endpoint of category "payee": the chain is the
	// traced owner's wallet, its peels are what it paid to others.
	FollowPeels bool
	// CountPeelHops counts every tx of a peel chain as a hop (by default a
	// peel chain counts as one).
	CountPeelHops bool
	// Mixer holds the matching terms for ThroughMixers (zero: defaults).
	Mixer MixerTerms
}

// Result is a trace's answer (the JSON of `chaintrace trace`).
type Result struct {
	Source    string     `json:"source"`
	Model     Model      `json:"model"`
	Direction Direction  `json:"direction"`
	Limits    Limits     `json:"limits"`
	HitLimits []HitLimit `json:"hit_limits"`
	// Endpoints are the findings: where the traced satoshis ended, at least
	// MinConfidence sure.
	Endpoints []Endpoint `json:"endpoints"`
	// Candidates are endpoints below MinConfidence (after a CoinJoin or a
	// mixer match that is not unique enough).
	Candidates []Endpoint `json:"candidates"`
	Graph      Graph      `json:"graph"`
	// Total is the taint at the source; Fees what went to miners.
	Total int64 `json:"total"`
	Fees  int64 `json:"fees"`
	// PeelChains summarises the peel chains followed.
	PeelChains []PeelChain `json:"peel_chains"`
	// CoinJoins are the CoinJoins the taint entered (when passed through;
	// otherwise they are endpoints).
	CoinJoins []Crossing `json:"coinjoins"`
	// Mixers are the custodial-mixer deposits matched to payouts.
	Mixers []MixerMatch `json:"mixers"`
	Notes  []string     `json:"notes,omitempty"`
	Txs    int          `json:"txs_visited"`
	// ElapsedMS is the trace's run time.
	ElapsedMS float64 `json:"elapsed_ms"`
}

// HitLimit is a limit the trace reached: which, how often, how much taint it
// stopped, and the first tx (or output) where it did.
type HitLimit struct {
	Limit  string `json:"limit"` // hops, min-sat, height, time, nodes, deadline
	Count  int    `json:"count"`
	Amount int64  `json:"amount"`
	At     string `json:"at"`
}

// Endpoint is where traced satoshis ended.
type Endpoint struct {
	Entity   string `json:"entity"`
	Category string `json:"category"`
	Address  string `json:"address"`
	// Amount is the taint (satoshis) that reached the endpoint; Share its
	// part of the source's total.
	Amount     int64   `json:"amount"`
	Share      float64 `json:"share"`
	Hops       int     `json:"hops"`
	Confidence float64 `json:"confidence"`
	// Path is the evidence: the txids from the source to the endpoint,
	// following the largest contribution at each step.
	Path []string `json:"path"`
	// Outpoint is the output (txid:vout) the taint sits on, when it is one.
	Outpoint string `json:"outpoint,omitempty"`
}

// Graph is the flow graph: txs and endpoint addresses as nodes, tainted
// outputs as edges.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a tx ("tx") or an endpoint ("address", "coinjoin", …).
type Node struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"`
}

// Edge is a tainted output (or input, backward) from one node to another.
type Edge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Amount int64  `json:"amount"`
	Taint  int64  `json:"taint"`
}

// PeelChain summarises a peel chain the trace followed.
type PeelChain struct {
	First  string `json:"first"` // txid of the first hop
	Last   string `json:"last"`
	Hops   int    `json:"hops"`
	Peeled int64  `json:"peeled"` // satoshis peeled off in total
	// PerHop is the average peeled per hop.
	PerHop int64 `json:"per_hop"`
}

// Summary is the peel chain in words: "82 hops, 0.4 BTC peeled per hop".
func (p PeelChain) Summary() string {
	return fmt.Sprintf("%d hops, %s peeled per hop (%s in all)", p.Hops, BTC(p.PerHop), BTC(p.Peeled))
}

// Crossing is a CoinJoin the taint passed through.
type Crossing struct {
	Kind   string `json:"kind"`
	Txid   string `json:"txid"`
	Amount int64  `json:"amount"`
	// AnonSet is the largest group of equal outputs.
	AnonSet int `json:"anonymity_set"`
}

// BTC formats satoshis as BTC.
func BTC(sat int64) string {
	sign := ""
	if sat < 0 {
		sign, sat = "-", -sat
	}
	s := fmt.Sprintf("%s%d.%08d", sign, sat/1e8, sat%1e8)
	for len(s) > 3 && s[len(s)-1] == '0' && s[len(s)-2] != '.' {
		s = s[:len(s)-1]
	}
	return s + " BTC"
}
