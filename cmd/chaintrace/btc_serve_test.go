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

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// A server started while another process (here: another open) holds the chain index
// serves the rest of the API, answers 503 on the chain routes saying why, and serves
// the index once it is free.
func TestServeIndexInUse(t *testing.T) {
	resetChainFlags(t, "ingest")
	data := t.TempDir()
	blk := testutil.SharedFile(t, filepath.Join("data/btc/blkfiles", "blk_0_to_4.dat"))
	if out, err := runCLI(t, "--data", data, "ingest", "--no-progress", "--network", "mainnet", blk); err != nil {
		t.Fatalf("ingest: %q %v", out, err)
	}
	held, err := index.Open(index.DirIn(data), index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { held.Close() }()
	old := lateIndexRetry
	lateIndexRetry = 0
	defer func() { lateIndexRetry = old }()

	var cfg api.Config
	for _, setup := range serveSetup {
		cleanup, err := setup(context.Background(), &cfg, data)
		if err != nil {
			t.Fatalf("serve setup with the index in use: %v", err)
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
	if status, m := get("/v1/stats"); status != http.StatusServiceUnavailable || !strings.Contains(m["error"].(string), "in use") {
		t.Fatalf("/v1/stats while the index is held: %d %v", status, m)
	}
	if status, _ := get("/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz: %d", status)
	}
	held.Close()
	status, m := get("/v1/stats")
	if status != http.StatusOK || m["blocks"] != float64(5) { // MANIFEST: blk_0_to_4.dat holds 5 blocks
		t.Fatalf("/v1/stats once free: %d %v", status, m)
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
