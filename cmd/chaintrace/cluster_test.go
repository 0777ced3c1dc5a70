package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// TestClusterCLI ingests a simulated chain (clustering block by block),
// then checks an exchange's cluster against the simulator's truth, explain,
// eval, and that --rebuild gives the same clusters.
func TestClusterCLI(t *testing.T) {
	simDir := filepath.Join(t.TempDir(), "sim")
	data := t.TempDir()
	if _, err := runCLI(t, "simulate", "--scenario", "lazarus", "--seed", "2", "--scale", "0.1", "--fast", "--quiet", "--out", simDir); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "--data", data, "ingest", "--no-progress", filepath.Join(simDir, "blocks")); err != nil {
		t.Fatalf("ingest: %v %s", err, out)
	}
	owner := map[string]string{}
	var hot string
	err := sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type == "addr" {
			owner[r.Addr] = r.Actor
			if hot == "" && r.Role == "hot" {
				hot = r.Addr
			}
		}
		return nil
	})
	if err != nil || hot == "" {
		t.Fatalf("truth: %v, hot address %q", err, hot)
	}
	var v cluster.View
	out, err := runCLI(t, "--data", data, "cluster", hot, "--json")
	if err != nil || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("cluster %s: %v %s", hot, err, out)
	}
	if v.Size < 2 || len(v.Addresses) == 0 || v.TxCount == 0 || v.Received <= 0 || v.Balance != v.Received-v.Sent {
		t.Fatalf("cluster of an exchange's hot address: %+v", v)
	}
	for _, a := range v.Addresses {
		if owner[a] != owner[hot] {
			t.Fatalf("cluster of %s (%s) holds %s of %s", hot, owner[hot], a, owner[a])
		}
	}
	// Exposure and traces start from the cluster: what it received is the
	// cluster's own total, found through its members' postings.
	var ex0 struct {
		Subject  string `json:"subject"`
		Received int64  `json:"received"`
	}
	subject := fmt.Sprintf("cluster:%d", v.ClusterID)
	out, err = runCLI(t, "--data", data, "exposure", subject, "--json")
	if err != nil || json.Unmarshal([]byte(out), &ex0) != nil {
		t.Fatalf("exposure %s: %v %s", subject, err, out)
	}
	if ex0.Subject != subject || ex0.Received != v.Received {
		t.Fatalf("exposure of %s: subject %q received %d, the cluster received %d", subject, ex0.Subject, ex0.Received, v.Received)
	}
	var tr0 struct {
		Source string `json:"source"`
	}
	out, err = runCLI(t, "--data", data, "trace", subject, "--format", "json")
	if err != nil || json.Unmarshal([]byte(out), &tr0) != nil || tr0.Source != subject {
		t.Fatalf("trace %s: %v source %q", subject, err, tr0.Source)
	}
	other := v.Addresses[len(v.Addresses)-1]
	var ex cluster.ExplainView
	out, err = runCLI(t, "--data", data, "cluster", "explain", hot, other, "--json")
	if err != nil || json.Unmarshal([]byte(out), &ex) != nil {
		t.Fatalf("explain: %v %s", err, out)
	}
	if !ex.SameCluster || (hot != other && len(ex.Path) == 0) {
		t.Fatalf("explain %s %s: %+v", hot, other, ex)
	}

	var evals []cluster.Eval
	out, err = runCLI(t, "--data", data, "cluster", "eval", "--truth", simDir, "--json")
	if err != nil || json.Unmarshal([]byte(out), &evals) != nil || len(evals) != 3 {
		t.Fatalf("eval: %v %s", err, out)
	}
	for _, e := range evals {
		if e.Change != "on" && e.Precision < 0.995 {
			t.Errorf("eval %s: precision %.4f", e.Change, e.Precision)
		}
	}

	// A rebuild gives the clustering ingest built block by block.
	digest := func() string {
		var vr struct{ Digest string }
		out, err := runCLI(t, "--data", data, "cluster", "verify", "--json")
		if err != nil || json.Unmarshal([]byte(out), &vr) != nil || len(vr.Digest) != 64 {
			t.Fatalf("verify: %v %s", err, out)
		}
		return vr.Digest
	}
	before := digest()
	if out, err := runCLI(t, "--data", data, "cluster", "--rebuild"); err != nil || !strings.Contains(out, "rebuilt") {
		t.Fatalf("rebuild: %v %s", err, out)
	}
	var v2 cluster.View
	out, err = runCLI(t, "--data", data, "cluster", hot, "--json")
	if err != nil || json.Unmarshal([]byte(out), &v2) != nil || v2.ClusterID != v.ClusterID || v2.Size != v.Size {
		t.Fatalf("after rebuild: %v %+v, before %+v", err, v2, v)
	}
	if after := digest(); after != before {
		t.Fatalf("verify digest %s after the rebuild, %s before", after, before)
	}

	// Another --change needs a rebuild; a malformed address is a usage error.
	if _, err := runCLI(t, "--data", data, "cluster", "--change", "on", hot); err == nil || !strings.Contains(err.Error(), "--rebuild") {
		t.Fatalf("--change on over a strict store: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "cluster", "1BadAddress"); !errors.As(err, new(usageError)) {
		t.Fatalf("bad address: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "cluster", "explain", hot); !errors.As(err, new(usageError)) {
		t.Fatalf("explain with one address: %v", err)
	}
}
