package eval

import (
	"bufio"
	"fmt"
	"os"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
)

func TestDevQueries(t *testing.T) {
	f := os.Getenv("NM_QUERIES")
	if f == "" {
		t.Skip()
	}
	o, _ := LoadOFACCSV("/work/shared/data/sanctions/ofac-2025-02")
	u, _ := LoadUNXML("/work/shared/data/sanctions/un/consolidated-2026-02-27.xml")
	ix := namematch.Build(append(o, u...))
	r, n := ix.Len()
	fmt.Println("records", r, "names", n)
	fh, _ := os.Open(f)
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		hits := ix.Search(sc.Text(), namematch.Options{MinScore: 0.6, Limit: 4})
		fmt.Printf("%q\n", sc.Text())
		for _, h := range hits {
			fmt.Printf("   %.3f %s %q %v\n", h.Score, h.Record.ID, h.MatchedName, h.Explanation.Matches)
		}
	}
}
