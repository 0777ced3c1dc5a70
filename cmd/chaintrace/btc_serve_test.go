package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// A server started while an ingest (here: a writer open in this process; the index tests
// use two processes) holds the chain index serves its last commit, and follows its later
// commits.
func TestServeBesideIngest(t *testing.T) {
	resetChainFlags(t, "ingest")
	data := t.TempDir()
	blkDir := testutil.SharedFile(t, "data/btc/blkfiles")
	if out, err := runCLI(t, "--data", data, "ingest", "--no-progress", "--network", "mainnet", filepath.Join(blkDir, "blk_0_to_4.dat")); err != nil {
		t.Fatalf("ingest: %q %v", out, err)
	}
	held, err := openIndexWrite(data, &chaincfg.MainNetParams, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { held.Close() }()
	old := readRefresh
	readRefresh = 20 * time.Millisecond
	defer func() { readRefresh = old }()

	var cfg api.Config
	for _, setup := range serveSetup {
		cleanup, err := setup(context.Background(), &cfg, data)
		if err != nil {
			t.Fatalf("serve setup beside a writer: %v", err)
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	srv := httptest.NewServer(api.New(cfg))
	defer srv.Close()
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp.StatusCode, m
	}
	// MANIFEST: blk_0_to_4.dat holds 5 blocks; with 3A 4A 5A the best chain holds 6.
	if status, m := get("/v1/stats"); status != http.StatusOK || m["blocks"] != float64(5) {
		t.Fatalf("/v1/stats while an ingest holds the index: %d %v", status, m)
	}
	// A stats command in the same situation.
	if out, err := runCLI(t, "--data", data, "stats", "--json"); err != nil || !strings.Contains(out, `"blocks": 5`) {
		t.Fatalf("stats beside a writer: %q %v", out, err)
	}
	// A second writer is refused.
	if out, err := runCLI(t, "--data", data, "ingest", "--no-progress", filepath.Join(blkDir, "blk_3A.dat")); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second writer: %q %v", out, err)
	}
	// The writer reorganises onto 5A and commits: the server follows.
	files, err := source.ScanFiles([]string{filepath.Join(blkDir, "blk_3A.dat"), filepath.Join(blkDir, "blk_4A.dat"), filepath.Join(blkDir, "blk_5A.dat")}, source.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(held), ingest.FileCandidates(files), ingest.Options{Params: files.Network()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, m := get("/v1/stats")
		if status == http.StatusOK && m["blocks"] == float64(6) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/v1/stats never showed the writer's new commit: %d %v", status, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A chain index that cannot be read does not keep the screening API down.
func TestServeIndexUnreadable(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(index.DirIn(data), []byte("not an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cfg api.Config
	for _, setup := range serveSetup {
		cleanup, err := setup(context.Background(), &cfg, data)
		if err != nil {
			t.Fatalf("serve setup with an unreadable index: %v", err)
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	srv := httptest.NewServer(api.New(cfg))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(m["error"]), "chain index") {
		t.Fatalf("/v1/stats: %d %v %v", resp.StatusCode, m, err)
	}
	resp, err = http.Get(srv.URL + "/v1/lists")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/v1/lists: %d", resp.StatusCode)
	}
}
