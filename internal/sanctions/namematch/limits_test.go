package namematch

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// longNames are 1 MB names of three shapes: one huge token, many words, and
// a run of single letters (joined into one token).
func longNames(size int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	var words, letters strings.Builder
	for words.Len() < size {
		words.WriteString(word(3+rng.IntN(8)) + " ")
	}
	for letters.Len() < size {
		letters.WriteString(word(1) + " ")
	}
	return []string{word(size), words.String(), letters.String()}
}

// One huge listed name must not stall the index: building is linear in the
// size of the names (a 1 MB name took minutes when every token's deletion
// keys were built whole), and a huge query is answered at once.
func TestBuildLinearInNameSize(t *testing.T) {
	recs := testRecords()
	for i, n := range longNames(1 << 20) {
		recs = append(recs, Record{ID: "huge" + string(rune('a'+i)), List: "watchlist:x", Type: "entity", Names: []Name{{Text: n}}})
	}
	start := time.Now()
	ix := Build(recs)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("building with three 1 MB names took %v", d)
	}
	start = time.Now()
	for _, q := range longNames(1 << 20) {
		ix.Search(q, Options{})
	}
	if hits := ix.Search("Lazarus Group", Options{}); len(hits) == 0 {
		t.Error("the ordinary names are no longer found")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("three 1 MB queries took %v", d)
	}
}

// A build and a search stop when their context ends (SIGTERM, a deadline).
func TestBuildAndSearchStopWithContext(t *testing.T) {
	recs := make([]Record, 5000)
	for i := range recs {
		recs[i] = Record{ID: "r", Type: "entity", Names: []Name{{Text: "Acme Trading Company"}}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BuildContext(ctx, recs); !errors.Is(err, context.Canceled) {
		t.Errorf("build with a cancelled context: %v", err)
	}
	ix := Build(recs)
	if _, _, err := ix.SearchContext(ctx, "Acme Trading", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("search with a cancelled context: %v", err)
	}
	if hits, _, err := ix.SearchContext(context.Background(), "Acme Trading", Options{Limit: -1}); err != nil || len(hits) != 5000 {
		t.Errorf("search: %d hits, %v", len(hits), err)
	}
}
