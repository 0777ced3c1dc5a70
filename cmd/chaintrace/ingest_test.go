package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/btcdtest"
	"github.com/chaintrace/chaintrace/internal/testutil"
	"github.com/spf13/pflag"
)

// resetChainFlags puts the named subcommands' flags and context back to their defaults, now and
// when the test ends (cobra keeps both between runs in one process).
func resetChainFlags(t *testing.T, names ...string) {
	reset := func() {
		for _, n := range names {
			cmd, _, err := rootCmd.Find([]string{n})
			if err != nil {
				t.Fatal(err)
			}
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				_ = f.Value.Set(f.DefValue)
				f.Changed = false
			})
			// A subcommand keeps the context of its first run (cobra sets it only when nil).
			cmd.SetContext(nil) //lint:ignore SA1012 cobra sets a command's context only when it is nil
		}
	}
	reset()
	t.Cleanup(reset)
}

// TestIngestFollowListen follows a real btcd node and serves the followed index from the
// same process, as `ingest --follow --listen` does.
func TestIngestFollowListen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd")
	}
	resetChainFlags(t, "ingest")
	node := btcdtest.Start(t)
	node.Generate(5)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rootCmd.SetArgs([]string{"--data", t.TempDir(), "ingest", "--rpc", node.RPCURL, "--rpc-user", node.User, "--rpc-pass", node.Pass,
		"--follow", "--poll", "100ms", "--listen", addr})
	rootCmd.SetOut(io.Discard)
	done := make(chan error, 1)
	go func() { done <- execute(ctx) }()
	defer rootCmd.SetArgs(nil)

	waitTip := func(height int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var st struct{ Tip *struct{ Height int64 } }
			if resp, err := http.Get(fmt.Sprintf("http://%s/v1/stats", addr)); err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
				if st.Tip != nil && st.Tip.Height == height {
					return
				}
			}
			select {
			case err := <-done:
				t.Fatalf("ingest ended: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("the served index did not reach height %d", height)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitTip(5)
	node.Generate(2)
	waitTip(7)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ingest --follow ended with %v", err)
	}
}

// The chain commands' contract as other tools call them. Cobra keeps flag values between
// runs in one process, so every call spells out --json.
func TestChainCLI(t *testing.T) {
	resetChainFlags(t, "ingest", "stats", "tx", "block", "address", "verify")
	blk := func(name string) string { return testutil.SharedFile(t, filepath.Join("data/btc/blkfiles", name)) }
	data := t.TempDir()

	if _, err := runCLI(t, "--data", data, "stats", "--json=true"); err == nil || !strings.Contains(err.Error(), "no chain index in "+data+": run chaintrace ingest first") {
		t.Fatalf("stats before ingest: %v", err)
	}
	// A first run that indexes nothing leaves no index behind.
	if _, err := runCLI(t, "--data", data, "ingest", "--no-progress", blk("blk_3A.dat")); err == nil || !strings.Contains(err.Error(), "--start-height") {
		t.Fatalf("3A alone: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "stats", "--json=true"); err == nil || !strings.Contains(err.Error(), "no chain index") {
		t.Fatalf("stats after a failed first ingest: %v", err)
	}
	out, err := runCLI(t, "--data", data, "ingest", "--no-progress", blk("blk_0_to_4.dat"))
	if err != nil || !strings.Contains(out, "applied 5 blocks") {
		t.Fatalf("ingest: %q %v", out, err)
	}
	// The competing branch of MANIFEST.md: tip 5A after a reorg of depth 2.
	out, err = runCLI(t, "--data", data, "ingest", "--no-progress", blk("blk_3A.dat"), blk("blk_4A.dat"), blk("blk_5A.dat"))
	if err != nil || !strings.Contains(out, "applied 3 blocks") || !strings.Contains(out, "undone 2") {
		t.Fatalf("reorg ingest: %q %v", out, err)
	}

	out, err = runCLI(t, "--data", data, "stats", "--json=true")
	var st struct {
		Blocks, Txs, Inputs, Outputs, Addresses int64
		Tip                                     struct {
			Height int64
			Hash   string
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("stats: %q %v", out, err)
	}
	// MANIFEST.md: the best chain then holds 6 blocks, 10 txs, 10 inputs, 11 outputs.
	if st.Blocks != 6 || st.Txs != 10 || st.Inputs != 10 || st.Outputs != 11 || st.Tip.Height != 5 ||
		st.Tip.Hash != "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e" {
		t.Fatalf("stats: %+v", st)
	}
	for _, keys := range []string{`"blocks"`, `"txs"`, `"inputs"`, `"outputs"`, `"addresses"`, `"tip"`, `"height"`, `"hash"`} {
		if !strings.Contains(out, keys) {
			t.Fatalf("stats JSON lacks %s: %s", keys, out)
		}
	}

	out, err = runCLI(t, "--data", data, "block", "--json=true", "5")
	if err != nil || !strings.Contains(out, `"hash": "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"`) {
		t.Fatalf("block 5: %q %v", out, err)
	}
	out, err = runCLI(t, "--data", data, "verify", "--json=false")
	if err != nil || !strings.Contains(out, "consistent") || !strings.Contains(out, "digest") {
		t.Fatalf("verify: %q %v", out, err)
	}

	for _, args := range [][]string{
		{"tx", "--json=true", "nothex"},
		{"block", "--json=true", "-7"},
		{"block", "--json=true", "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f04zz"},
		{"address", "--json=true", "1NotAnAddress"},
		{"ingest", "--no-progress", "--network", "nonet", blk("blk_0_to_4.dat")},
	} {
		if _, err := runCLI(t, append([]string{"--data", data}, args...)...); !errors.As(err, new(usageError)) {
			t.Errorf("%v: got %v, want a usage error (exit 2)", args, err)
		}
	}
	if _, err := runCLI(t, "--data", data, "tx", "--json=true", strings.Repeat("0", 63)+"1"); err == nil || !strings.Contains(err.Error(), "not in the index") {
		t.Errorf("unknown tx: %v", err)
	}
	// A testnet block into this mainnet index is refused.
	if _, err := runCLI(t, "--data", data, "ingest", "--no-progress", "--network", "testnet3", testutil.SharedFile(t, "data/btc/testnet/700000.block")); err == nil || !strings.Contains(err.Error(), "mainnet") {
		t.Errorf("network mismatch: %v", err)
	}
	// Stray bytes between blocks: the error names the file, the offset and the CLI flag
	// that skips them (not the library option).
	inc := blk("incompleteblk.dat")
	if _, err := runCLI(t, "--data", data, "ingest", "--no-progress", "--network", "mainnet", inc); err == nil ||
		!strings.Contains(err.Error(), inc+": offset 70449: bad magic") || !strings.Contains(err.Error(), "--resync skips them") ||
		strings.Contains(err.Error(), "FileOptions") {
		t.Errorf("incompleteblk.dat: %v", err)
	}
}
