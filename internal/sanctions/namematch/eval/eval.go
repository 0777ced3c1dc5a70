// Package eval measures the name matching engine on a labelled query set:
// positive queries (spelling variants of listed names, each with the
// entity it must find) and negative queries (ordinary names that must find
// nothing), against the real lists.
package eval

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
)

// Case is one labelled query. Expect is the entity ID the query must find;
// empty for a negative query.
type Case struct {
	Query    string
	Expect   string
	Category string
}

// LoadSet reads a CSV file with the header query,expect,category.
func LoadSet(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseSet(path, f)
}

func parseSet(path string, in io.Reader) ([]Case, error) {
	r := csv.NewReader(in)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if len(head) < 3 || head[0] != "query" || head[1] != "expect" || head[2] != "category" {
		return nil, fmt.Errorf("%s: header is %q, want query,expect,category", path, head)
	}
	var cases []Case
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return cases, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if strings.TrimSpace(rec[0]) == "" {
			return nil, fmt.Errorf("%s: line %d: empty query", path, line)
		}
		cases = append(cases, Case{Query: rec[0], Expect: strings.TrimSpace(rec[1]), Category: rec[2]})
	}
}

// Point is the outcome at one threshold.
type Point struct {
	Threshold float64
	Positives int // positive queries
	Found     int // positive queries whose entity scored >= threshold
	Negatives int // negative queries
	FalseHits int // negative queries with any hit >= threshold
	// ByCategory is recall (or, for negatives, false-positive rate) per category.
	ByCategory map[string][2]int // category -> {hits, total}
	Misses     []Case            // positive queries not found
	FalseCases []string          // negative queries that hit, with their best hit
}

// Recall is Found/Positives.
func (p Point) Recall() float64 { return ratio(p.Found, p.Positives) }

// FPRate is the share of negative queries with a hit.
func (p Point) FPRate() float64 { return ratio(p.FalseHits, p.Negatives) }

// Precision is query-level: correct positive queries over all queries that
// raised a hit we count (correct positives plus negatives that hit).
func (p Point) Precision() float64 { return ratio(p.Found, p.Found+p.FalseHits) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Run screens every case once (at the lowest threshold, with no limit on
// hits) and reports each threshold.
func Run(ix *namematch.Index, cases []Case, thresholds []float64) []Point {
	lowest := thresholds[0]
	for _, t := range thresholds {
		lowest = min(lowest, t)
	}
	pts := make([]Point, len(thresholds))
	for i, t := range thresholds {
		pts[i] = Point{Threshold: t, ByCategory: map[string][2]int{}}
	}
	for _, c := range cases {
		hits := ix.Search(c.Query, namematch.Options{MinScore: lowest, Limit: -1})
		expScore, best := -1.0, ""
		for _, h := range hits {
			if c.Expect != "" && h.Record.ID == c.Expect && h.Score > expScore {
				expScore = h.Score
			}
		}
		if len(hits) > 0 {
			best = fmt.Sprintf("%s -> %s %q %.3f", c.Query, hits[0].Record.ID, hits[0].MatchedName, hits[0].Score)
		}
		for i := range pts {
			p := &pts[i]
			bc := p.ByCategory[c.Category]
			bc[1]++
			if c.Expect != "" {
				p.Positives++
				if expScore >= p.Threshold {
					p.Found++
					bc[0]++
				} else {
					p.Misses = append(p.Misses, c)
				}
			} else {
				p.Negatives++
				if len(hits) > 0 && hits[0].Score >= p.Threshold {
					p.FalseHits++
					bc[0]++
					p.FalseCases = append(p.FalseCases, best)
				}
			}
			p.ByCategory[c.Category] = bc
		}
	}
	return pts
}

// Report writes the sweep table and, for the point at threshold def, the
// per-category figures.
func Report(w io.Writer, pts []Point, def float64, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threshold\trecall\tfalse-positive rate\tprecision\tfound\tfalse hits\t")
	for _, p := range pts {
		mark := ""
		if p.Threshold == def {
			mark = " (default)"
		}
		fmt.Fprintf(tw, "%.2f%s\t%.3f\t%.3f\t%.3f\t%d/%d\t%d/%d\t\n", p.Threshold, mark, p.Recall(), p.FPRate(), p.Precision(), p.Found, p.Positives, p.FalseHits, p.Negatives)
	}
	tw.Flush()
	for _, p := range pts {
		if p.Threshold != def {
			continue
		}
		fmt.Fprintf(w, "\nat %.2f, by category (positives: recall; negatives: false hits):\n", def)
		cats := make([]string, 0, len(p.ByCategory))
		for c := range p.ByCategory {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			v := p.ByCategory[c]
			fmt.Fprintf(w, "  %-20s %3d/%-3d\n", c, v[0], v[1])
		}
		if verbose {
			for _, m := range p.Misses {
				fmt.Fprintf(w, "  miss: %q (%s, %s)\n", m.Query, m.Expect, m.Category)
			}
			for _, f := range p.FalseCases {
				fmt.Fprintf(w, "  false hit: %s\n", f)
			}
		}
	}
}

//go:embed testdata/positives.csv testdata/negatives.csv testdata/positives-holdout.csv testdata/negatives-holdout.csv
var sets embed.FS

// Sets names the built-in query sets: "main" (the set the default threshold
// was chosen on) and "holdout" (generated afterwards with other seeds).
var Sets = map[string][2]string{
	"main":    {"testdata/positives.csv", "testdata/negatives.csv"},
	"holdout": {"testdata/positives-holdout.csv", "testdata/negatives-holdout.csv"},
}

// BuiltinSet returns the cases of a built-in set.
func BuiltinSet(name string) ([]Case, error) {
	files, ok := Sets[name]
	if !ok {
		return nil, fmt.Errorf("no built-in set %q (want main or holdout)", name)
	}
	var all []Case
	for _, f := range files {
		b, err := sets.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cs, err := parseSet(f, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}
