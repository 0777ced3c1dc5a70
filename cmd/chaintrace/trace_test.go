package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/sim"
)

// TestTraceCLI runs trace, trace eval and exposure over a small demo chain
// and checks the Contract's JSON fields and the bad-input exit codes.
func TestTraceCLI(t *testing.T) {
	dir := t.TempDir()
	if err := runDemo(context.Background(), io.Discard, io.Discard, dir, 5, 0.05); err != nil {
		t.Fatal(err)
	}
	simDir := filepath.Join(dir, "sim")
	h, err := sim.ReadHeader(simDir)
	if err != nil {
		t.Fatal(err)
	}
	from := h.Theft.Txid + ":0"
	out, err := runCLI(t, "trace", "--data", dir, "--sim-labels", simDir, from, "--model", "fifo", "--format", "json", "--through-coinjoins")
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"source", "model", "direction", "limits", "hit_limits", "endpoints", "graph"} {
		if res[k] == nil {
			t.Errorf("trace JSON lacks %q", k)
		}
	}
	var body struct {
		Endpoints []map[string]any `json:"endpoints"`
		Graph     struct {
			Nodes []any            `json:"nodes"`
			Edges []map[string]any `json:"edges"`
		} `json:"graph"`
	}
	_ = json.Unmarshal([]byte(out), &body)
	if len(body.Endpoints) == 0 || len(body.Graph.Edges) == 0 {
		t.Fatalf("no endpoints or edges: %.300s", out)
	}
	for _, k := range []string{"entity", "category", "address", "amount", "share", "hops", "confidence", "path"} {
		if _, ok := body.Endpoints[0][k]; !ok {
			t.Errorf("endpoint lacks %q: %v", k, body.Endpoints[0])
		}
	}
	for _, k := range []string{"from", "to", "amount", "taint"} {
		if _, ok := body.Graph.Edges[0][k]; !ok {
			t.Errorf("edge lacks %q", k)
		}
	}
	for _, f := range []string{"csv", "graphml", "dot", ""} {
		out, err := runCLI(t, "trace", "--data", dir, "--sim-labels", simDir, from, "--format", f)
		if err != nil || len(out) == 0 {
			t.Errorf("--format %q: %v", f, err)
		}
	}
	// Bad input: exit code 2 (usage errors), with the reason.
	for _, args := range [][]string{
		{strings.Repeat("0", 64)},
		{h.Theft.Txid + ":9"},
		{from, "--hops", "0"},
		{from, "--model", "lifo"},
		{from, "--format", "xml"},
		{"bcrt1qnotanaddress"},
	} {
		_, err := runCLI(t, append([]string{"trace", "--data", dir}, args...)...)
		if !errors.As(err, new(usageError)) {
			t.Errorf("trace %v: %v, want a usage error", args, err)
		}
	}
	// The label store attributes when --sim-labels is not given: the demo
	// imported the investigator's labels into it, so a trace with the store
	// must find the same endpoints as one with the simulation's label file.
	endpoints := func(args ...string) []map[string]any {
		t.Helper()
		out, err := runCLI(t, append([]string{"trace", "--data", dir, from, "--format", "json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Endpoints []map[string]any `json:"endpoints"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Endpoints {
			delete(e, "confidence") // a float: compared through the rest
		}
		return r.Endpoints
	}
	// Endpoints of equal amount may come in either order: compare sorted.
	set := func(es []map[string]any) string {
		lines := make([]string, len(es))
		for i, e := range es {
			lines[i] = fmt.Sprint(e)
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	withStore, withSim := endpoints(), endpoints("--sim-labels", simDir)
	exchanges := 0
	for _, e := range withStore {
		if e["category"] == "exchange" {
			exchanges++
		}
	}
	if exchanges == 0 {
		t.Errorf("trace with the label store: no exchange endpoints: %v", withStore)
	}
	if a, b := set(withStore), set(withSim); a != b {
		t.Errorf("trace with the label store differs from --sim-labels:\n%.600s\n%.600s", a, b)
	}
	// An import of the same exchange labels as a CSV changes nothing.
	var csv strings.Builder
	csv.WriteString("address,label,category,source\n")
	if err := sim.ReadRecords(simDir, func(r *sim.Record) error {
		if strings.HasPrefix(r.Label, "exchange: ") {
			fmt.Fprintf(&csv, "%s,%s,exchange,sim\n", r.Addr, strings.TrimPrefix(r.Label, "exchange: "))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(csvFile, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "labels", "import", "--data", dir, "--format", "csv", csvFile); err != nil {
		t.Fatal(err)
	}
	if got := endpoints(); set(got) != set(withStore) {
		t.Errorf("re-importing the exchange labels changed the trace:\n%.600s\n%.600s", set(got), set(withStore))
	}
	out, err = runCLI(t, "trace", "eval", "--truth", simDir, "--data", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Rows []struct {
			Model     string  `json:"model"`
			Precision float64 `json:"precision"`
			Recall    float64 `json:"recall"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Rows) != 8 {
		t.Fatalf("eval: %v %.300s", err, out)
	}
	out, err = runCLI(t, "exposure", "--data", dir, "--sim-labels", simDir, h.CashOuts[0].Address, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ex map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &ex); err != nil || ex["subject"] == nil || ex["direct"] == nil || ex["indirect"] == nil {
		t.Errorf("exposure: %v %.300s", err, out)
	}
	if _, err := runCLI(t, "exposure", "--data", dir, h.CashOuts[0].Address, "--direction", "sideways"); !errors.As(err, new(usageError)) {
		t.Errorf("exposure --direction sideways: %v", err)
	}
}
