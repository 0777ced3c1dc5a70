package cluster

import (
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/chain"
)

type fakeLabels map[string][]Label

func (f fakeLabels) LabelsOf(addrs []string) ([]Label, error) {
	var out []Label
	for _, a := range addrs {
		for _, l := range f[a] {
			l.Address = a
			out = append(out, l)
		}
	}
	return out, nil
}

func (fakeLabels) IsService(c string) bool { return c == "exchange" || c == "mixer" }

// TestViewOf checks a cluster's view against the index's own address
// views of its members (totals, first and last seen), its labels with the
// address carrying each, and that two service labels are reported.
func TestViewOf(t *testing.T) {
	_, blocks := simChain(t)
	tmp := t.TempDir()
	ix := openIndex(t, filepath.Join(tmp, "ix"), blocks, len(blocks))
	s := openStore(t, filepath.Join(tmp, "c"), Options{Change: ChangeStrict, MultiParty: ClassifierMultiParty(ix)})
	syncT(t, s, ix)
	// The largest cluster.
	var root, best uint64
	s.EachRoot(func(a, r uint64) {
		if a == r {
			if _, size, _ := s.ClusterOf(r); size > best {
				root, best = r, size
			}
		}
	})
	if best < 3 {
		t.Fatalf("largest cluster has %d addresses", best)
	}
	var members []string
	s.Members(root, 0, func(a uint64) bool {
		k, _ := ix.AddressKey(a)
		ad, err := chain.AddrFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, ad.String(ix.Network()))
		return true
	})
	var recv, sent int64
	first, last := int64(1<<62), int64(-1)
	for _, m := range members {
		av, err := ix.Address(m, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		recv, sent = recv+av.Received, sent+av.Sent
		first, last = min(first, av.FirstSeenHeight), max(last, av.LastSeenHeight)
	}
	labels := fakeLabels{
		members[0]: {{Label: "A", Category: "exchange", Source: "s", Confidence: 1}},
		members[1]: {{Label: "B", Category: "exchange", Source: "s", Confidence: 0.5}, {Label: "x", Category: "scam", Source: "t", Confidence: 1}},
	}
	v, err := s.ViewOf(ix, labels, root, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.ClusterID != root || v.Size != best || len(v.Addresses) != min(int(best), PageSize) || v.Received != recv || v.Sent != sent ||
		v.Balance != recv-sent || v.FirstSeenHeight != first || v.LastSeenHeight != last || v.TxCount == 0 {
		t.Fatalf("view %+v; members' sums: received %d, sent %d, heights %d–%d", v, recv, sent, first, last)
	}
	if len(v.Labels) != 3 || v.Labels[0].Label != "A" || v.Labels[0].Address != members[0] {
		t.Fatalf("labels %+v", v.Labels)
	}
	if len(v.LabelConflicts) != 2 || v.LabelConflicts[0] != "exchange: A" || v.LabelConflicts[1] != "exchange: B" {
		t.Fatalf("conflicts %v", v.LabelConflicts)
	}
	delete(labels, members[0])
	if v, _ := s.ViewOf(ix, labels, root, 0); v.LabelConflicts != nil {
		t.Fatalf("one service label reported as a conflict: %v", v.LabelConflicts)
	}
	// Pages past the end are empty; every address is on exactly one page.
	seen := map[string]bool{}
	for p := 0; ; p++ {
		v, err := s.ViewOf(ix, nil, root, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Addresses) == 0 {
			break
		}
		for _, a := range v.Addresses {
			if seen[a] {
				t.Fatalf("%s on two pages", a)
			}
			seen[a] = true
		}
	}
	if len(seen) != len(members) {
		t.Fatalf("pages hold %d addresses, cluster %d", len(seen), len(members))
	}
}
