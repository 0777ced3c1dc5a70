package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func testKeys(t *testing.T, ks *Store) {
	ctx := context.Background()
	k, secret, err := ks.Create(ctx, ScopeScreen, "ci", 5)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "ct_"+k.ID+"_") || len(secret) < 40 {
		t.Fatalf("secret %q for id %s", secret, k.ID)
	}
	got, err := ks.Check(ctx, secret)
	if err != nil || got.ID != k.ID || got.Scope != ScopeScreen || got.Rate != 5 {
		t.Fatalf("check: %+v %v", got, err)
	}
	// One changed character, another id, garbage: unknown.
	bad := secret[:len(secret)-1] + string(rune('A'+(secret[len(secret)-1]-'A'+1)%26))
	for _, s := range []string{bad, "ct_000000000000_" + secret[16:], "nope", "", strings.Repeat("x", 1<<16)} {
		if _, err := ks.Check(ctx, s); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("check(%.20q…): %v, want ErrUnknownKey", s, err)
		}
	}
	// The secret itself is nowhere in the table.
	var n int
	if err := ks.db.QueryRowContext(ctx, ks.db.Rebind(`SELECT COUNT(*) FROM api_keys WHERE hash = ? OR id = ? OR name = ?`), secret, secret, secret).Scan(&n); err != nil || n != 0 {
		t.Errorf("secret stored in clear: %d %v", n, err)
	}
	if a, _ := ks.Active(ctx); a != 1 {
		t.Errorf("active = %d", a)
	}
	if _, err := ks.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Revoke(ctx, k.ID); err == nil {
		t.Error("second revoke accepted")
	}
	if _, err := ks.Revoke(ctx, "ffffffffffff"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("revoke unknown: %v", err)
	}
	if _, err := ks.Check(ctx, secret); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	list, err := ks.List(ctx)
	if err != nil || len(list) != 1 || list[0].Active() {
		t.Errorf("list: %+v %v", list, err)
	}
	if a, _ := ks.Active(ctx); a != 0 {
		t.Errorf("active after revoke = %d", a)
	}
	if _, _, err := ks.Create(ctx, "root", "x", 0); err == nil {
		t.Error("unknown scope accepted")
	}
}

func TestKeysSQLite(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ks, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	testKeys(t, ks)
}

func TestKeysPostgres(t *testing.T) {
	db, err := store.OpenPostgres(context.Background(), testutil.PostgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ks, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	testKeys(t, ks)
}

func TestScopeOrder(t *testing.T) {
	tests := []struct {
		have, need Scope
		ok         bool
	}{
		{ScopeRead, ScopeRead, true}, {ScopeRead, ScopeScreen, false}, {ScopeScreen, ScopeRead, true},
		{ScopeScreen, ScopeKYT, false}, {ScopeKYT, ScopeScreen, true}, {ScopeAdmin, ScopeKYT, true},
		{ScopeKYT, ScopeAdmin, false}, {"", ScopeRead, false}, {"root", ScopeRead, false},
	}
	for _, tc := range tests {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%q allows %q = %v", tc.have, tc.need, got)
		}
	}
	if _, err := ParseScope("Admin"); err != nil {
		t.Error(err)
	}
	if _, err := ParseScope("root"); err == nil {
		t.Error("root accepted")
	}
}

// The cache answers from memory within its TTL and asks again after it.
func TestCacheRevocation(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	ks, _ := Open(ctx, db)
	k, secret, _ := ks.Create(ctx, ScopeRead, "", 0)
	c := &Cache{Store: ks, TTL: 50 * time.Millisecond}
	if _, err := c.Check(ctx, secret); err != nil {
		t.Fatal(err)
	}
	ks.Revoke(ctx, k.ID)
	if _, err := c.Check(ctx, secret); err != nil {
		t.Fatalf("within TTL: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := c.Check(ctx, secret); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after TTL: %v", err)
	}
}
