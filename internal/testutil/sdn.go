package testutil

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

// SDNEntNums reads the entity ids (ent_num, the first column of the
// 12-column rows) of an OFAC sdn.csv with encoding/csv, independently of
// chaintrace's list parser, as "ofac:ID" keys: the facts list tests check
// imports and diffs against.
func SDNEntNums(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimSuffix(string(b), "\x1a")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := map[string]bool{}
	for _, rec := range recs {
		if len(rec) == 12 {
			m["ofac:"+strings.TrimSpace(rec[0])] = true
		}
	}
	return m
}
