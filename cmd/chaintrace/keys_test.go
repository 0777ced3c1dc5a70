package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/auth"
)

func TestKeysCLI(t *testing.T) {
	data := t.TempDir()
	out, err := runCLI(t, "--data", data, "keys", "create", "--scope", "screen", "--name", "ci")
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out)
	out, err = runCLI(t, "--data", data, "keys", "list", "--json")
	var keys []auth.Key
	if err != nil || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || keys[0].Scope != auth.ScopeScreen || keys[0].Name != "ci" {
		t.Fatalf("list: %q %v", out, err)
	}
	if strings.Contains(out, secret) {
		t.Fatal("keys list prints the key")
	}
	ks, done, err := openKeys(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ks.Check(context.Background(), secret); err != nil || k.ID != keys[0].ID {
		t.Fatalf("printed key does not check: %v", err)
	}
	done()
	if out, err = runCLI(t, "--data", data, "keys", "revoke", keys[0].ID); err != nil || !strings.Contains(out, "revoked key "+keys[0].ID) {
		t.Fatalf("revoke: %q %v", out, err)
	}
	ks, done, _ = openKeys(context.Background(), data)
	defer done()
	if _, err := ks.Check(context.Background(), secret); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
	if _, err := runCLI(t, "--data", data, "keys", "create", "--scope", "root"); !errors.As(err, new(usageError)) {
		t.Fatalf("bad scope: %v", err)
	}
}
