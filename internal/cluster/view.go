package cluster

import (
	"fmt"
	"slices"
	"sort"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
)

// Label is an attribution carried by one address of a cluster.
type Label struct {
	Label      string  `json:"label"`
	Category   string  `json:"category"`
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence"`
	Address    string  `json:"address"`
}

// LabelSource returns the labels of addresses (any order; Address set).
// IsService says whether a category names a service (exchange, mixer, …).
type LabelSource interface {
	LabelsOf(addresses []string) ([]Label, error)
	IsService(category string) bool
}

// View is a cluster as the CLI and the API show it.
type View struct {
	ClusterID uint64  `json:"cluster_id"`
	Size      uint64  `json:"size"`
	Labels    []Label `json:"labels"`
	// LabelConflicts lists the distinct service labels when a cluster
	// carries more than one (never silently resolved).
	LabelConflicts  []string `json:"label_conflicts,omitempty"`
	Addresses       []string `json:"addresses"`
	Page            int      `json:"page"`
	PageSize        int      `json:"page_size"`
	Received        int64    `json:"received"`
	Sent            int64    `json:"sent"`
	Balance         int64    `json:"balance"`
	FirstSeenHeight int64    `json:"first_seen_height"`
	LastSeenHeight  int64    `json:"last_seen_height"`
	TxCount         int      `json:"tx_count"`
}

// PageSize is the number of addresses per page of a cluster's view.
const PageSize = 100

// ViewOf builds the view of the cluster holding address id a: totals over
// every member address (received and sent sum the members'; tx_count counts
// distinct txs), the labels of every member and page page (0-based) of its
// addresses. labels may be nil.
func (s *Store) ViewOf(ix *index.Index, labels LabelSource, a uint64, page int) (*View, error) {
	id, size, ok := s.ClusterOf(a)
	if !ok {
		return nil, fmt.Errorf("address #%d: %w", a, ErrUnknown)
	}
	v := &View{ClusterID: id, Size: size, Labels: []Label{}, Addresses: []string{}, Page: page, PageSize: PageSize}
	var members []uint64
	if err := s.Members(id, 0, func(m uint64) bool { members = append(members, m); return true }); err != nil {
		return nil, err
	}
	params := ix.Network()
	str := func(m uint64) (string, error) {
		key, ok := ix.AddressKey(m)
		if !ok {
			return "", fmt.Errorf("address #%d: %w", m, index.ErrNotFound)
		}
		ad, err := chain.AddrFromKey(key)
		if err != nil {
			return "", fmt.Errorf("address #%d: %w", m, err)
		}
		return ad.String(params), nil
	}
	// Pages follow address id order (first seen first).
	slices.Sort(members)
	for i := page * PageSize; i >= 0 && i < len(members) && len(v.Addresses) < PageSize; i++ {
		sa, err := str(members[i])
		if err != nil {
			return nil, err
		}
		v.Addresses = append(v.Addresses, sa)
	}
	txs := make(map[uint64]struct{})
	first, last := uint64(index.NoID), uint64(0)
	for _, m := range members {
		err := ix.AddressTxs(m, func(tx uint64, recv, sent int64) bool {
			v.Received += recv
			v.Sent += sent
			txs[tx] = struct{}{}
			first, last = min(first, tx), max(last, tx)
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	v.Balance = v.Received - v.Sent
	v.TxCount = len(txs)
	if first != index.NoID {
		v.FirstSeenHeight, _ = ix.TxHeight(first)
		v.LastSeenHeight, _ = ix.TxHeight(last)
	}
	if labels != nil {
		all := make([]string, 0, len(members))
		for _, m := range members {
			sa, err := str(m)
			if err != nil {
				return nil, err
			}
			all = append(all, sa)
		}
		ls, err := labels.LabelsOf(all)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(ls, func(i, j int) bool {
			if ls[i].Label != ls[j].Label {
				return ls[i].Label < ls[j].Label
			}
			return ls[i].Address < ls[j].Address
		})
		v.Labels = append(v.Labels, ls...)
		v.LabelConflicts = ServiceConflicts(labels, ls)
	}
	return v, nil
}

// ServiceConflicts returns the distinct service labels (category: label)
// of ls when there are two or more, else nil.
func ServiceConflicts(src LabelSource, ls []Label) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range ls {
		if !src.IsService(l.Category) {
			continue
		}
		k := l.Category + ": " + l.Label
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if len(out) < 2 {
		return nil
	}
	slices.Sort(out)
	return out
}

// ExplainView is the answer to "why are these two addresses one cluster".
type ExplainView struct {
	SameCluster bool       `json:"same_cluster"`
	Path        []PathStep `json:"path"`
}

// PathStep is one merge on the path: the tx whose evidence joined the
// cluster of From with that of To.
type PathStep struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Txid      string  `json:"txid"`
	Heuristic string  `json:"heuristic"`
	Score     float64 `json:"score"`
}

// ExplainOf renders Explain(a, b) with addresses and txids.
func (s *Store) ExplainOf(ix *index.Index, a, b uint64) (*ExplainView, error) {
	same, steps := s.Explain(a, b)
	v := &ExplainView{SameCluster: same, Path: []PathStep{}}
	params := ix.Network()
	str := func(m uint64) (string, error) {
		key, ok := ix.AddressKey(m)
		if !ok {
			return "", fmt.Errorf("address #%d: %w", m, index.ErrNotFound)
		}
		ad, err := chain.AddrFromKey(key)
		if err != nil {
			return "", err
		}
		return ad.String(params), nil
	}
	for _, st := range steps {
		from, err := str(st.From)
		if err != nil {
			return nil, err
		}
		to, err := str(st.To)
		if err != nil {
			return nil, err
		}
		h, ok := ix.TxHash(st.Merge.Tx)
		if !ok {
			return nil, fmt.Errorf("tx #%d: %w", st.Merge.Tx, index.ErrNotFound)
		}
		v.Path = append(v.Path, PathStep{From: from, To: to, Txid: h.String(), Heuristic: st.Merge.Heuristic.String(), Score: st.Merge.Score})
	}
	return v, nil
}
