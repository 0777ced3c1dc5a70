package cluster

import (
	"os"

	"github.com/chaintrace/chaintrace/internal/index"
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
	s := openStore(b, filepath.Join(tmp, "c"), Options{Change: ChangeOn, MultiParty: ClassifierMultiParty(ix)})
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

// BenchmarkRebuild clusters the chain index of the data folder named by
// CHAINTRACE_CLUSTER_BENCH_DATA from scratch (skipped when unset):
//
//	chaintrace simulate --scenario economy --seed 5 --scale 20 --fast --out p
//	chaintrace ingest --data pb p/blocks --no-cluster
//	CHAINTRACE_CLUSTER_BENCH_DATA=pb go test -run '^$' -bench Rebuild -benchtime 1x ./internal/cluster/
func BenchmarkRebuild(b *testing.B) {
	data := os.Getenv("CHAINTRACE_CLUSTER_BENCH_DATA")
	if data == "" {
		b.Skip("CHAINTRACE_CLUSTER_BENCH_DATA is not set")
	}
	ix, err := index.Open(index.DirIn(data), index.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for i := 0; i < b.N; i++ {
		s := openStore(b, b.TempDir(), Options{Change: ChangeOn, MultiParty: ClassifierMultiParty(ix)})
		syncT(b, s, ix)
		if err := s.Commit(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.Stats().Txs), "txs")
		s.Close()
	}
}
