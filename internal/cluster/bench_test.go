package cluster

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkLookup measures ClusterOf (address id → cluster id and size) on
// the simulated chain's committed store, and reports the p99 latency.
func BenchmarkLookup(b *testing.B) {
	_, blocks := simChain(b)
	tmp := b.TempDir()
	ix := openIndex(b, filepath.Join(tmp, "ix"), blocks, len(blocks))
	s := openStore(b, filepath.Join(tmp, "c"), Options{Change: ChangeOn, MultiParty: ClassifierMultiParty()})
	syncT(b, s, ix)
	if err := s.Commit(); err != nil {
		b.Fatal(err)
	}
	n := s.Stats().Addresses
	keys := make([][]byte, 4096)
	for i := range keys {
		keys[i], _ = ix.AddressKey(uint64(i*7919) % n)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// An address key (as parsed from a string) → id (the index's
		// key-value look-up) → cluster id and size.
		t0 := time.Now()
		a, ok := ix.AddressID(keys[i%len(keys)])
		if !ok {
			b.Fatal("unknown address")
		}
		if _, _, ok := s.ClusterOf(a); !ok {
			b.Fatal("not clustered")
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(n), "addresses")
}
