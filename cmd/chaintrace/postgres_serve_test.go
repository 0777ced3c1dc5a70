package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Two serve processes over one PostgreSQL database (each with its own data
// folder) share API keys and lists: a key created with the CLI is accepted
// by both and a revocation reaches both; a list imported once is screened
// by both.
func TestTwoServersSharePostgres(t *testing.T) {
	dsn := testutil.PostgresSchemaDSN(t)
	sdn := filepath.Join(testutil.SharedDir(t), "data/sanctions/ofac-2024-05/sdn.csv")
	a := serveProc(t, "--db", dsn, "--data", t.TempDir())
	b := serveProc(t, "--db", dsn, "--data", t.TempDir())

	get := func(addr, path, key string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	// eventually polls until check holds on both servers (lists are reloaded
	// within 5 s, key look-ups cached for 5 s).
	eventually := func(what string, check func(addr string) bool) {
		t.Helper()
		for _, addr := range []string{a, b} {
			deadline := time.Now().Add(30 * time.Second)
			for !check(addr) {
				if time.Now().After(deadline) {
					t.Fatalf("%s on %s: not within 30 s", what, addr)
				}
				time.Sleep(250 * time.Millisecond)
			}
		}
	}

	// Through one process: a key, with the CLI on the same database.
	out, err := chaintraceProc(t, "--db", dsn, "--data", t.TempDir(), "keys", "create", "--scope", "screen").Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(out))
	eventually("key accepted", func(addr string) bool {
		code, _ := get(addr, "/v1/lists", key)
		return code == 200
	})
	// Not a file of either data folder: both read it from PostgreSQL.
	if code, _ := get(a, "/v1/lists", "ct_000000000000_x"); code != 401 {
		t.Errorf("unknown key: %d", code)
	}

	// A list imported once is screened by both.
	if out, err := chaintraceProc(t, "--db", dsn, "--data", t.TempDir(), "lists", "import", "--format", "ofac-csv", sdn).CombinedOutput(); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	eventually("list screened", func(addr string) bool {
		code, m := get(addr, "/v1/screen/address/3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", key)
		return code == 200 && m["sanctioned"] == true && m["list_version"] == "ofac-sdn@1"
	})

	// Labels imported once are served by both.
	csv := filepath.Join(t.TempDir(), "labels.csv")
	os.WriteFile(csv, []byte("address,label,category,source,confidence\n1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat test,exchange,test,0.9\n"), 0o644)
	if out, err := chaintraceProc(t, "--db", dsn, "--data", t.TempDir(), "labels", "import", "--format", "csv", csv).CombinedOutput(); err != nil {
		t.Fatalf("labels import: %v %s", err, out)
	}
	eventually("label served", func(addr string) bool {
		code, m := get(addr, "/v1/labels/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", key)
		ls, _ := m["labels"].([]any)
		return code == 200 && len(ls) == 1
	})

	// A revocation reaches both.
	var listed []struct{ ID string }
	out, err = chaintraceProc(t, "--db", dsn, "keys", "list", "--json").Output()
	if err != nil || json.Unmarshal(out, &listed) != nil || len(listed) != 1 {
		t.Fatalf("keys list: %s %v", out, err)
	}
	if out, err := chaintraceProc(t, "--db", dsn, "keys", "revoke", listed[0].ID).CombinedOutput(); err != nil {
		t.Fatalf("revoke: %v %s", err, out)
	}
	eventually("revoked key refused", func(addr string) bool {
		code, _ := get(addr, "/v1/lists", key)
		return code == 401
	})
}
