package labels

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
)

// benchStore holds n synthetic labels (distinct P2PKH addresses) and returns
// the keys of the labelled addresses.
func benchStore(b *testing.B, n int) (*Store, [][]byte) {
	b.Helper()
	path, _ := bigPack(b, n, false)
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	in := fileInput(b, FormatTagPack, path)
	if _, err := s.Import(context.Background(), []Input{in}, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, 2*n)
	payload := make([]byte, 20)
	for i := range keys { // the first n are labelled, the next n not
		binary.BigEndian.PutUint64(payload, uint64(i)+1)
		keys[i] = chain.Addr{Type: chain.P2PKH, Payload: payload}.Key()
	}
	return s, keys
}

// BenchmarkSnapshotAttributeKey: one attribution by binary key (half of the
// keys labelled), the per-address cost of a trace stop or a cluster guard.
func BenchmarkSnapshotAttributeKey(b *testing.B) {
	s, keys := benchStore(b, 100_000)
	sn, err := s.Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if _, _, ok := sn.AttributeKey(keys[i%len(keys)]); ok {
			hits++
		}
	}
	if b.N >= len(keys) && hits != b.N/2 && hits != (b.N+1)/2 {
		b.Fatalf("%d hits of %d", hits, b.N)
	}
}

// BenchmarkSnapshotAttributeString: the same by address string (parsed each time).
func BenchmarkSnapshotAttributeString(b *testing.B) {
	s, keys := benchStore(b, 100_000)
	sn, err := s.Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]string, len(keys))
	for i, k := range keys {
		a, _ := chain.AddrFromKey(k)
		addrs[i] = a.String(&chaincfg.MainNetParams)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sn.Attribute(addrs[i%len(addrs)])
	}
}

// BenchmarkSnapshotBuild: loading 100,000 labels into memory (once per
// import, delete or list version).
func BenchmarkSnapshotBuild(b *testing.B) {
	const n = 100_000
	s, _ := benchStore(b, n)
	b.ResetTimer()
	var sn *Snapshot
	var mem uint64
	for i := 0; i < b.N; i++ {
		sn = nil
		before := liveHeap()
		var err error
		if sn, err = s.build(context.Background(), int64(i), nil, ""); err != nil {
			b.Fatal(err)
		}
		mem = liveHeap() - before
	}
	b.ReportMetric(float64(mem)/n, "B/label")
	_ = sn.Len()
}

// BenchmarkSearch: one page (50) of a label search over 100,000 labels (97
// distinct texts "Synthetic Exchange N", ~1,030 addresses each): a prefix
// (an index range), a page deep in the results (after a cursor), a contains
// that finds a page, and a contains that finds nothing (the whole table).
func BenchmarkSearch(b *testing.B) {
	s, _ := benchStore(b, 100_000)
	ctx := context.Background()
	deep, err := s.Search(ctx, "synthetic exchange 4", SearchOptions{Limit: 1000})
	if err != nil || len(deep.Labels) != 1000 || deep.Next == "" {
		b.Fatalf("setup: %v", err)
	}
	for _, c := range []struct {
		name, q string
		opts    SearchOptions
		want    int
	}{
		{"prefix", "Synthetic Exchange 42", SearchOptions{}, 50},
		{"prefix-after-1000", "synthetic exchange 4", SearchOptions{After: deep.Next}, 50},
		{"contains", "exchange 42", SearchOptions{Match: MatchContains}, 50},
		{"contains-none", "zzz", SearchOptions{Match: MatchContains}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r, err := s.Search(ctx, c.q, c.opts)
				if err != nil || len(r.Labels) != c.want {
					b.Fatalf("%d labels, %v", len(r.Labels), err)
				}
			}
		})
	}
}
