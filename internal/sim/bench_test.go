package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkRun measures whole-scenario generation (truth included) at
// scale 1 (~10 000 txs), fast and signed; bench/simscale.sh measures 1 M and
// 10 M transactions.
func BenchmarkRun(b *testing.B) {
	for _, fast := range []bool{true, false} {
		b.Run(fmt.Sprintf("fast=%v", fast), func(b *testing.B) {
			var txs int64
			for i := 0; i < b.N; i++ {
				h, err := Run(context.Background(), Config{Seed: uint64(i), Scale: 1, Fast: fast, OutDir: filepath.Join(b.TempDir(), "o")})
				if err != nil {
					b.Fatal(err)
				}
				txs += h.Txs
			}
			b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
