package classify

import (
	"strings"
	"testing"
)

// BenchmarkSet is the rules alone (Classifier.Set, the ingest fast path) on
// the dev set's real-block samples (ordinary txs) and on its CoinJoins.
func BenchmarkSet(b *testing.B) {
	rows := readDevB(b)
	var ordinary, coinjoins []*Tx
	for _, e := range rows {
		if strings.HasPrefix(e.Origin, "block-") {
			ordinary = append(ordinary, &e.Tx)
		} else {
			coinjoins = append(coinjoins, &e.Tx)
		}
	}
	for _, set := range []struct {
		name string
		txs  []*Tx
	}{{"block-samples", ordinary}, {"dumplings", coinjoins}} {
		b.Run(set.name, func(b *testing.B) {
			var c Classifier
			c0 := cpuNow()
			for b.Loop() {
				for _, tx := range set.txs {
					c.Set(tx)
				}
			}
			b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N*len(set.txs)), "cpu-ns/tx")
		})
	}
}
