package cluster

import (
	"fmt"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// Truth is the simulator's ownership of the index's addresses: owner[i] is
// the actor (a small number) owning address id ids[i].
type Truth struct {
	ids    []uint64
	owner  []uint32
	actors []string
	// Labels are the investigator's labels by address id (what an analyst
	// knows at the start: exchanges, the processor, coordinators, part of
	// the mixer); they feed the label guard.
	Labels map[uint64]string
}

// ReadTruth reads the simulator's ground truth in simDir and maps its
// addresses to ix's address ids (addresses that never reached the chain
// are left out).
func ReadTruth(simDir string, ix *index.Index) (*Truth, error) {
	tr := &Truth{Labels: map[uint64]string{}}
	actorNum := map[string]uint32{}
	params := ix.Network()
	err := sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type != "addr" {
			return nil
		}
		ad, err := chain.ParseAddr(r.Addr, params)
		if err != nil {
			return fmt.Errorf("truth address %s: %w", r.Addr, err)
		}
		id, ok := ix.AddressID(ad.Key())
		if !ok {
			return nil
		}
		n, ok := actorNum[r.Actor]
		if !ok {
			n = uint32(len(tr.actors))
			actorNum[r.Actor] = n
			tr.actors = append(tr.actors, r.Actor)
		}
		tr.ids = append(tr.ids, id)
		tr.owner = append(tr.owner, n)
		if r.Label != "" {
			tr.Labels[id] = r.Label
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// Eval is clustering quality against the truth, over address pairs: a
// pair is predicted when both addresses are in one cluster and true when
// one actor owns both.
type Eval struct {
	Change          string  `json:"change"`
	Addresses       int     `json:"addresses"`
	Clusters        int     `json:"clusters"`
	Owners          int     `json:"owners"`
	PredictedPairs  uint64  `json:"predicted_pairs"`
	TruePairs       uint64  `json:"true_pairs"`
	CorrectPairs    uint64  `json:"correct_pairs"`
	Precision       float64 `json:"precision"`
	Recall          float64 `json:"recall"`
	LargestCluster  uint64  `json:"largest_cluster"`
	LargestOwner    uint64  `json:"largest_owner"`
	LargestOwnerID  string  `json:"largest_owner_id"`
	LargestRatio    float64 `json:"largest_ratio"`
	MultiInput      uint64  `json:"multi_input_merges"`
	ChangeMerges    uint64  `json:"change_merges"`
	RefusedLabels   uint64  `json:"refused_label_merges"`
	HeldSize        uint64  `json:"held_size_merges"`
	WrongChange     uint64  `json:"wrong_change_merges"`
	WrongMultiInput uint64  `json:"wrong_multi_input_merges"`
}

func pairs(n uint64) uint64 { return n * (n - 1) / 2 }

// Evaluate computes pairwise precision and recall of s against tr from the
// cluster × owner contingency counts (pairs are counted, never
// enumerated), the largest cluster against the largest owner, and the
// merges by heuristic (a merge is wrong when its two addresses have
// different owners).
func (s *Store) Evaluate(tr *Truth) Eval {
	type cell struct {
		root  uint64
		owner uint32
	}
	cells := map[cell]uint64{}
	byRoot := map[uint64]uint64{}
	byOwner := make([]uint64, len(tr.actors))
	ownerOf := make(map[uint64]uint32, len(tr.ids))
	e := Eval{Change: s.Stats().Change, Addresses: len(tr.ids)}
	for i, a := range tr.ids {
		ownerOf[a] = tr.owner[i]
		root := a
		if r, _, ok := s.ClusterOf(a); ok {
			root = r
		}
		cells[cell{root, tr.owner[i]}]++
		byRoot[root]++
		byOwner[tr.owner[i]]++
	}
	for _, n := range cells {
		e.CorrectPairs += pairs(n)
	}
	for _, n := range byRoot {
		e.PredictedPairs += pairs(n)
		e.LargestCluster = max(e.LargestCluster, n)
	}
	for o, n := range byOwner {
		e.TruePairs += pairs(n)
		if n > e.LargestOwner {
			e.LargestOwner, e.LargestOwnerID = n, tr.actors[o]
		}
		if n > 0 {
			e.Owners++
		}
	}
	e.Clusters = len(byRoot)
	e.Precision, e.Recall = 1, 1
	if e.PredictedPairs > 0 {
		e.Precision = float64(e.CorrectPairs) / float64(e.PredictedPairs)
	}
	if e.TruePairs > 0 {
		e.Recall = float64(e.CorrectPairs) / float64(e.TruePairs)
	}
	if e.LargestOwner > 0 {
		e.LargestRatio = float64(e.LargestCluster) / float64(e.LargestOwner)
	}
	s.EachMerge(func(_ uint64, m Merge) bool {
		wrong := false
		if oa, ok := ownerOf[m.A]; ok {
			if ob, ok := ownerOf[m.B]; ok {
				wrong = oa != ob
			}
		}
		switch {
		case m.Status == RefusedLabels:
			e.RefusedLabels++
		case m.Status == HeldSize:
			e.HeldSize++
		case m.Heuristic == MultiInput:
			e.MultiInput++
			if wrong {
				e.WrongMultiInput++
			}
		case m.Heuristic == Change:
			e.ChangeMerges++
			if wrong {
				e.WrongChange++
			}
		}
		return true
	})
	return e
}

// TruthLabeler serves the truth's investigator labels to the label guard.
type TruthLabeler struct {
	byKey map[string]string
}

// NewTruthLabeler keys tr's labels by address key.
func NewTruthLabeler(tr *Truth, ix *index.Index) *TruthLabeler {
	l := &TruthLabeler{byKey: map[string]string{}}
	for id, lab := range tr.Labels {
		if k, ok := ix.AddressKey(id); ok {
			l.byKey[string(k)] = lab
		}
	}
	return l
}

// Service returns the investigator's label of the address, if any.
func (l *TruthLabeler) Service(key []byte) string { return l.byKey[string(key)] }
