package eval

import (
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
)

// BenchmarkSearchReal screens the queries of the main set, in turn, against
// the real 2025-02 OFAC SDN and UN lists.
func BenchmarkSearchReal(b *testing.B) {
	ix := realIndex(b)
	cases, err := BuiltinSet("main")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Search(cases[i%len(cases)].Query, namematch.Options{})
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "screens/s")
}

// BenchmarkBuildReal builds the index of the real lists.
func BenchmarkBuildReal(b *testing.B) {
	realIndex(b) // parse once
	recs := realRecords
	for b.Loop() {
		namematch.Build(recs)
	}
}

// slowQueries are made only of very common names or words: they reach
// thousands of candidates.
var slowQueries = []string{
	"MUHAMMAD UMAR MOHAMED",
	"LIMITED LABILITY COMPANY ONSINT",
	"Mohammed Ali Hassan",
	"Abdul Rahman Al",
	"International Trading Company Limited",
	"Kim Song Il",
}

// BenchmarkSearchSlowReal screens the slowest kind of query: only very
// common tokens.
func BenchmarkSearchSlowReal(b *testing.B) {
	ix := realIndex(b)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Search(slowQueries[i%len(slowQueries)], namematch.Options{})
		i++
	}
}
