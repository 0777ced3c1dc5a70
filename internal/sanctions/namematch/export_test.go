package namematch

// ScoreCandidates searches with no bound: every name some key of the query
// reaches is scored (for tests outside the package).
func (ix *Index) ScoreCandidates(query string, min float64) map[int]float64 {
	testNoBound = true
	defer func() { testNoBound = false }()
	out := map[int]float64{}
	for _, h := range ix.Search(query, Options{MinScore: min, Limit: -1}) {
		out[h.RecordIndex] = h.Score
	}
	return out
}
