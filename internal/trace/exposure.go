package trace

import (
	"context"
	"fmt"
	"sort"
)

// Exposure directions.
const (
	Sending   = "sending"   // where the subject's coins went
	Receiving = "receiving" // where the subject's coins came from
	Both      = "both"
)

// ExposureLine is the subject's exposure to one entity (or category) in one
// direction.
type ExposureLine struct {
	Direction string  `json:"direction"`
	Category  string  `json:"category"`
	Entity    string  `json:"entity"`
	Amount    int64   `json:"amount"`
	Share     float64 `json:"share"`
	// Hops is 1 for direct exposure (the counterparty itself), more for
	// indirect (through unattributed intermediaries): the fewest seen.
	Hops int `json:"hops"`
	// Path is the shortest evidence path (txids) for the line.
	Path []string `json:"path"`
}

// Exposure is an address's (or cluster's) exposure as KYT tools define it:
// direct when the counterparty itself is an attributed entity, indirect when
// one is reached through unattributed intermediaries; per category and
// entity, per direction, with amounts and shares of what the subject
// received (receiving) or of what it held and spent (sending).
type Exposure struct {
	Subject   string `json:"subject"`
	Direction string `json:"direction"`
	// Received is the total the subject received (the base of the shares).
	Received  int64          `json:"received"`
	Direct    []ExposureLine `json:"direct"`
	Indirect  []ExposureLine `json:"indirect"`
	HitLimits []HitLimit     `json:"hit_limits"`
	Notes     []string       `json:"notes,omitempty"`
}

// ExposureRequest asks for a subject's exposure.
type ExposureRequest struct {
	// Subject is an address or a cluster ("cluster:ID").
	Subject string
	// Direction is Sending, Receiving or Both (default Both).
	Direction string
	// Limits bound the walks (default hops 6).
	Limits Limits
}

// DefaultExposureHops is how far exposure looks by default.
const DefaultExposureHops = 6

// Exposure computes subject's exposure: a haircut trace backward from what
// it received (receiving) and forward from it (sending), stopping at
// attributed services; endpoints with no attribution (unspent coins,
// coinbases) are not exposure.
func (tr *Tracer) Exposure(ctx context.Context, req ExposureRequest) (*Exposure, error) {
	dirs := []string{}
	switch req.Direction {
	case "", Both:
		req.Direction = Both
		dirs = append(dirs, Receiving, Sending)
	case Sending, Receiving:
		dirs = append(dirs, req.Direction)
	default:
		return nil, badInput("direction %q: want sending, receiving or both", req.Direction)
	}
	if req.Limits.Hops == 0 {
		req.Limits.Hops = DefaultExposureHops
	}
	ex := &Exposure{Subject: req.Subject, Direction: req.Direction, Direct: []ExposureLine{}, Indirect: []ExposureLine{}, HitLimits: []HitLimit{}}
	for _, d := range dirs {
		r := Request{From: req.Subject, Model: Haircut, Limits: req.Limits, Direction: Forward, FollowPeels: true}
		if d == Receiving {
			r.Direction = Backward
		}
		res, err := tr.Trace(ctx, r)
		if err != nil {
			return nil, err
		}
		ex.Received = res.Total
		ex.Notes = append(ex.Notes, res.Notes...)
		for _, h := range res.HitLimits {
			h.Limit = d + " " + h.Limit
			ex.HitLimits = append(ex.HitLimits, h)
		}
		type key struct{ cat, ent string }
		lines := map[key]*ExposureLine{}
		direct := map[key]bool{}
		for _, e := range append(append([]Endpoint(nil), res.Endpoints...), res.Candidates...) {
			if !IsService(e.Category) || e.Hops == 0 {
				continue
			}
			k := key{e.Category, e.Entity}
			l := lines[k]
			if l == nil {
				l = &ExposureLine{Direction: d, Category: e.Category, Entity: e.Entity, Hops: e.Hops, Path: e.Path}
				lines[k] = l
			}
			l.Amount += e.Amount
			if e.Hops < l.Hops || e.Hops == l.Hops && len(e.Path) < len(l.Path) {
				l.Hops, l.Path = e.Hops, e.Path
			}
			if e.Hops <= 1 {
				direct[k] = true
			}
		}
		for k, l := range lines {
			l.Share = ratio(l.Amount, res.Total)
			if direct[k] {
				ex.Direct = append(ex.Direct, *l)
			} else {
				ex.Indirect = append(ex.Indirect, *l)
			}
		}
	}
	for _, ls := range [][]ExposureLine{ex.Direct, ex.Indirect} {
		sort.Slice(ls, func(i, j int) bool {
			if ls[i].Direction != ls[j].Direction {
				return ls[i].Direction < ls[j].Direction
			}
			if ls[i].Amount != ls[j].Amount {
				return ls[i].Amount > ls[j].Amount
			}
			return ls[i].Category+ls[i].Entity < ls[j].Category+ls[j].Entity
		})
	}
	return ex, nil
}

// WriteExposure prints an exposure as text.
func WriteExposure(w interface{ Write([]byte) (int, error) }, ex *Exposure) {
	fmt.Fprintf(w, "exposure of %s (%s), received %s\n", ex.Subject, ex.Direction, BTC(ex.Received))
	for _, part := range []struct {
		name  string
		lines []ExposureLine
	}{{"direct", ex.Direct}, {"indirect", ex.Indirect}} {
		fmt.Fprintf(w, "%s:\n", part.name)
		if len(part.lines) == 0 {
			fmt.Fprintf(w, "  none\n")
		}
		for _, l := range part.lines {
			fmt.Fprintf(w, "  %-9s %-10s %-26s %18s %6.2f%%  hops %d\n", l.Direction, l.Category, l.Entity, BTC(l.Amount), 100*l.Share, l.Hops)
		}
	}
	for _, h := range ex.HitLimits {
		fmt.Fprintf(w, "limit %s hit %d times (%s)\n", h.Limit, h.Count, BTC(h.Amount))
	}
}
