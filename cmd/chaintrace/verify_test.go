package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// verify --json carries the verdict and the counts of MANIFEST.md.
func TestVerifyJSON(t *testing.T) {
	resetChainFlags(t, "ingest", "verify")
	data := t.TempDir()
	blk := testutil.SharedFile(t, filepath.Join("data/btc/blkfiles", "blk_0_to_4.dat"))
	if out, err := runCLI(t, "--data", data, "ingest", "--no-progress", "--network", "mainnet", blk); err != nil {
		t.Fatalf("ingest: %q %v", out, err)
	}
	out, err := runCLI(t, "--data", data, "verify", "--json=true")
	var rep struct {
		Consistent *bool  `json:"consistent"`
		Blocks     int64  `json:"blocks"`
		Txs        int64  `json:"txs"`
		Digest     string `json:"digest"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("verify --json: %q %v", out, err)
	}
	// MANIFEST.md: blk_0_to_4.dat holds 5 blocks and 9 txs.
	if rep.Consistent == nil || !*rep.Consistent || rep.Blocks != 5 || rep.Txs != 9 || len(rep.Digest) != 64 {
		t.Fatalf("verify --json: %s", out)
	}
}
