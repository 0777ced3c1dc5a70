// Package auth holds the server's API keys: created with a scope, stored
// hashed (SHA-256 of a 256-bit random secret) in the SQL store, checked in
// constant time, revocable. A key reads "ct_<id>_<secret>": the id finds the
// row, the hash of the whole key must match it.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// Scope is what a key may do. Scopes are ordered: each includes the ones
// before it (read < screen < kyt < admin).
type Scope string

// The scopes, from least to most.
const (
	ScopeRead   Scope = "read"   // chain queries, list versions, stats
	ScopeScreen Scope = "screen" // address and name screening (and read)
	ScopeKYT    Scope = "kyt"    // transfer monitoring, alerts and cases (and screen)
	ScopeAdmin  Scope = "admin"  // everything, including list and key administration
)

// Scopes lists the scopes from least to most.
var Scopes = []Scope{ScopeRead, ScopeScreen, ScopeKYT, ScopeAdmin}

func (s Scope) rank() int {
	for i, x := range Scopes {
		if x == s {
			return i
		}
	}
	return -1
}

// ParseScope checks a scope name.
func ParseScope(s string) (Scope, error) {
	sc := Scope(strings.ToLower(strings.TrimSpace(s)))
	if sc.rank() < 0 {
		return "", fmt.Errorf("scope %q: want read, screen, kyt or admin", s)
	}
	return sc, nil
}

// Allows reports whether a key of scope s may use a route that needs need.
func (s Scope) Allows(need Scope) bool { return s.rank() >= 0 && s.rank() >= need.rank() }

// Key is a stored API key (never its secret).
type Key struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Scope   Scope     `json:"scope"`
	Rate    float64   `json:"rate,omitempty"` // requests per second; 0: the server's default
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"`
}

// Active reports whether the key is not revoked.
func (k Key) Active() bool { return k.Revoked.IsZero() }

// Errors of Check.
var (
	ErrUnknownKey = errors.New("unknown API key")
	ErrRevoked    = errors.New("API key revoked")
)

var migrations = []store.Migration{{SQL: `CREATE TABLE api_keys (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	scope   TEXT NOT NULL,
	hash    TEXT NOT NULL,
	rate    DOUBLE PRECISION NOT NULL DEFAULT 0,
	created TEXT NOT NULL,
	revoked TEXT NOT NULL DEFAULT '');
`}}

// Store reads and writes API keys in the SQL store (SQLite or PostgreSQL).
type Store struct {
	db *store.DB
}

// Open applies the key table's migrations and returns the store over db.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.Migrate(ctx, "auth", migrations); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// hashKey is the stored form of a key.
func hashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Create makes a key of the given scope and returns it with its secret, shown
// once: only its hash is kept.
func (s *Store) Create(ctx context.Context, scope Scope, name string, rate float64) (Key, string, error) {
	if scope.rank() < 0 {
		return Key{}, "", fmt.Errorf("scope %q: want read, screen, kyt or admin", scope)
	}
	if rate < 0 {
		return Key{}, "", fmt.Errorf("rate %v: want ≥ 0 requests per second", rate)
	}
	var idb [6]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Key{}, "", err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return Key{}, "", err
	}
	k := Key{ID: hex.EncodeToString(idb[:]), Name: name, Scope: scope, Rate: rate, Created: time.Now().UTC().Truncate(time.Second)}
	secret := "ct_" + k.ID + "_" + base64.RawURLEncoding.EncodeToString(sec[:])
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO api_keys (id, name, scope, hash, rate, created) VALUES (?, ?, ?, ?, ?, ?)`),
		k.ID, k.Name, string(k.Scope), hashKey(secret), k.Rate, k.Created.Format(time.RFC3339))
	if err != nil {
		return Key{}, "", fmt.Errorf("keys: create: %w", err)
	}
	return k, secret, nil
}

const keyCols = `id, name, scope, rate, created, revoked`

func scanKey(sc interface{ Scan(...any) error }, extra ...any) (Key, error) {
	var k Key
	var scope, created, revoked string
	if err := sc.Scan(append([]any{&k.ID, &k.Name, &scope, &k.Rate, &created, &revoked}, extra...)...); err != nil {
		return k, err
	}
	k.Scope = Scope(scope)
	k.Created, _ = time.Parse(time.RFC3339, created)
	if revoked != "" {
		k.Revoked, _ = time.Parse(time.RFC3339, revoked)
	}
	return k, nil
}

// List returns every key, revoked ones included, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("keys: list: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Active counts the keys that are not revoked.
func (s *Store) Active(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE revoked = ''`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("keys: count: %w", err)
	}
	return n, nil
}

// Revoke revokes the key with this id (or the key itself, given its secret).
func (s *Store) Revoke(ctx context.Context, id string) (Key, error) {
	if kid, _, ok := splitKey(id); ok {
		id = kid
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked = ''`),
		time.Now().UTC().Format(time.RFC3339), id)
	if err != nil {
		return Key{}, fmt.Errorf("keys: revoke: %w", err)
	}
	k, err := scanKey(s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+keyCols+` FROM api_keys WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("keys: revoke %q: %w", id, ErrUnknownKey)
	}
	if err != nil {
		return Key{}, fmt.Errorf("keys: revoke: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return k, fmt.Errorf("keys: %s was already revoked on %s", id, k.Revoked.Format(time.RFC3339))
	}
	return k, nil
}

// splitKey splits "ct_<id>_<secret>".
func splitKey(secret string) (id, rest string, ok bool) {
	body, ok := strings.CutPrefix(secret, "ct_")
	if !ok {
		return "", "", false
	}
	id, rest, ok = strings.Cut(body, "_")
	return id, rest, ok && len(id) == 12 && rest != ""
}

// Check returns the key whose secret this is: ErrUnknownKey when there is
// none (or the secret does not match), ErrRevoked when it was revoked.
func (s *Store) Check(ctx context.Context, secret string) (Key, error) {
	id, _, ok := splitKey(secret)
	if !ok || len(secret) > 128 {
		return Key{}, ErrUnknownKey
	}
	var hash string
	k, err := scanKey(s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+keyCols+`, hash FROM api_keys WHERE id = ?`), id), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrUnknownKey
	}
	if err != nil {
		return Key{}, fmt.Errorf("keys: check: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hashKey(secret)), []byte(hash)) != 1 {
		return Key{}, ErrUnknownKey
	}
	if !k.Active() {
		return k, ErrRevoked
	}
	return k, nil
}

// Cache answers Check from memory for ttl after a look-up, so that a busy
// server does not query the store on every request. A revocation made by
// another process takes effect within ttl.
type Cache struct {
	Store *Store
	TTL   time.Duration

	mu sync.Mutex
	m  map[string]cached // by hash of the secret
}

type cached struct {
	key     Key
	err     error
	expires time.Time
}

// Check is Store.Check through the cache. Store errors are not cached.
func (c *Cache) Check(ctx context.Context, secret string) (Key, error) {
	h := hashKey(secret)
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[h]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.key, e.err
	}
	k, err := c.Store.Check(ctx, secret)
	if err != nil && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrRevoked) {
		return k, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cached{}
	}
	c.m[h] = cached{key: k, err: err, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return k, err
}
