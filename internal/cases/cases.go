// Package cases stores investigation cases: a saved flow graph (nodes with
// their category, position and notes; edges with amount and taint), the
// trace's endpoints, the analyst's notes, and the chain tip and sanctions list
// versions the case was made at. Cases live in the SQL store (SQLite or
// PostgreSQL) and export as a self-contained HTML report, CSV and GraphML.
package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// Case is one saved investigation.
type Case struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Notes     string    `json:"notes"`
	Graph     Graph     `json:"graph"`
	Trace     *Trace    `json:"trace,omitempty"`
	MadeAt    MadeAt    `json:"made_at"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	CreatedBy string    `json:"created_by,omitempty"` // API key id, if any
}

// Summary is a case in the list of cases.
type Summary struct {
	ID      int64     `json:"id"`
	Title   string    `json:"title"`
	Nodes   int       `json:"nodes"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Graph is the flow graph as the analyst left it.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a tx, an address or a collapsed peel chain.
type Node struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"` // tx, address, peel
	Label    string  `json:"label,omitempty"`
	Category string  `json:"category,omitempty"` // exchange, mixer, coinjoin, sanctioned, stolen, …
	Entity   string  `json:"entity,omitempty"`
	Note     string  `json:"note,omitempty"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	Pinned   bool    `json:"pinned,omitempty"`
	Hidden   bool    `json:"hidden,omitempty"`
}

// Edge is a flow of coins between two nodes.
type Edge struct {
	ID     string `json:"id,omitempty"`
	Source string `json:"source"`
	Target string `json:"target"`
	Amount int64  `json:"amount"`          // satoshis
	Taint  int64  `json:"taint,omitempty"` // satoshis the trace attributes to the flow
}

// Trace is the trace run on the graph: its request and endpoints.
type Trace struct {
	From      string     `json:"from"`
	Model     string     `json:"model"`
	Hops      int        `json:"hops,omitempty"`
	Options   []string   `json:"options,omitempty"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is where traced coins ended (the trace API's endpoint fields).
type Endpoint struct {
	Entity   string  `json:"entity,omitempty"`
	Category string  `json:"category"`
	Address  string  `json:"address,omitempty"`
	Amount   int64   `json:"amount"`
	Share    float64 `json:"share,omitempty"`
	Hops     int     `json:"hops,omitempty"`
}

// MadeAt is the state of the world a case was saved at: set by the server.
type MadeAt struct {
	TipHeight int64         `json:"tip_height"`
	TipHash   string        `json:"tip_hash,omitempty"`
	Lists     []ListVersion `json:"lists,omitempty"`
}

// ListVersion names a sanctions list version in force.
type ListVersion struct {
	Label     string `json:"label"` // list@id
	Published string `json:"published,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
}

// Limits on what a case holds.
const (
	MaxTitle = 200
	MaxNodes = 20000
	MaxEdges = 50000
)

// ErrNotFound is returned for a case id that does not exist.
var ErrNotFound = errors.New("case not found")

// Validate checks a case from a client: a title, sizes within limits and
// edges between known nodes.
func (c *Case) Validate() error {
	c.Title = strings.TrimSpace(c.Title)
	switch {
	case c.Title == "":
		return errors.New("case: title is empty")
	case len(c.Title) > MaxTitle:
		return fmt.Errorf("case: title longer than %d bytes", MaxTitle)
	case len(c.Graph.Nodes) > MaxNodes:
		return fmt.Errorf("case: %d nodes, at most %d", len(c.Graph.Nodes), MaxNodes)
	case len(c.Graph.Edges) > MaxEdges:
		return fmt.Errorf("case: %d edges, at most %d", len(c.Graph.Edges), MaxEdges)
	}
	ids := make(map[string]bool, len(c.Graph.Nodes))
	for i, n := range c.Graph.Nodes {
		if n.ID == "" {
			return fmt.Errorf("case: graph.nodes[%d]: empty id", i)
		}
		if ids[n.ID] {
			return fmt.Errorf("case: graph.nodes[%d]: duplicate id %q", i, n.ID)
		}
		ids[n.ID] = true
	}
	for i, e := range c.Graph.Edges {
		if !ids[e.Source] || !ids[e.Target] {
			return fmt.Errorf("case: graph.edges[%d]: %q → %q names a node not in the graph", i, e.Source, e.Target)
		}
		if e.Amount < 0 || e.Taint < 0 {
			return fmt.Errorf("case: graph.edges[%d]: negative amount", i)
		}
	}
	return nil
}

var migrations = []store.Migration{{
	SQL: `CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  nodes INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
)`,
	Postgres: `CREATE TABLE cases (
  id BIGSERIAL PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  nodes INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
)`,
}}

// Store holds the cases in the SQL store.
type Store struct {
	db    *store.DB
	owned bool
	now   func() time.Time
}

// Open opens the cases in DIR/chaintrace.db (SQLite), applying migrations.
func Open(dataDir string) (*Store, error) {
	db, err := store.Open(dataDir)
	if err != nil {
		return nil, err
	}
	s, err := New(context.Background(), db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New uses an opened store.DB (SQLite or PostgreSQL).
func New(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.Migrate(ctx, "cases", migrations); err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.owned {
		return s.db.Close()
	}
	return nil
}

const timeFmt = time.RFC3339Nano

// body is what the body column holds (the case minus its row fields).
type body struct {
	Notes  string `json:"notes"`
	Graph  Graph  `json:"graph"`
	Trace  *Trace `json:"trace,omitempty"`
	MadeAt MadeAt `json:"made_at"`
}

// Create validates and stores c, setting its ID and times.
func (s *Store) Create(ctx context.Context, c *Case) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(body{c.Notes, c.Graph, c.Trace, c.MadeAt})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	c.Created, c.Updated = now, now
	q := `INSERT INTO cases (title, body, nodes, created_by, created, updated) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	err = s.db.QueryRowContext(ctx, s.db.Rebind(q), c.Title, string(b), len(c.Graph.Nodes), c.CreatedBy,
		now.Format(timeFmt), now.Format(timeFmt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("cases: create: %w", err)
	}
	return nil
}

// Update replaces case id with c (keeping its creation time and author).
func (s *Store) Update(ctx context.Context, id int64, c *Case) error {
	if err := c.Validate(); err != nil {
		return err
	}
	old, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	b, err := json.Marshal(body{c.Notes, c.Graph, c.Trace, c.MadeAt})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE cases SET title = ?, body = ?, nodes = ?, updated = ? WHERE id = ?`),
		c.Title, string(b), len(c.Graph.Nodes), now.Format(timeFmt), id)
	if err != nil {
		return fmt.Errorf("cases: update %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	c.ID, c.Created, c.CreatedBy, c.Updated = id, old.Created, old.CreatedBy, now
	return nil
}

// Get returns case id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Case, error) {
	var (
		c                     Case
		raw, created, updated string
	)
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT id, title, body, created_by, created, updated FROM cases WHERE id = ?`), id).
		Scan(&c.ID, &c.Title, &raw, &c.CreatedBy, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cases: get %d: %w", id, err)
	}
	var b body
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return nil, fmt.Errorf("cases: case %d: stored body: %w", id, err)
	}
	c.Notes, c.Graph, c.Trace, c.MadeAt = b.Notes, b.Graph, b.Trace, b.MadeAt
	c.Created, _ = time.Parse(timeFmt, created)
	c.Updated, _ = time.Parse(timeFmt, updated)
	if c.Graph.Nodes == nil {
		c.Graph.Nodes = []Node{}
	}
	if c.Graph.Edges == nil {
		c.Graph.Edges = []Edge{}
	}
	return &c, nil
}

// List returns the cases, the most recently updated first.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, nodes, created, updated FROM cases ORDER BY updated DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("cases: list: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var (
			c                Summary
			created, updated string
		)
		if err := rows.Scan(&c.ID, &c.Title, &c.Nodes, &created, &updated); err != nil {
			return nil, fmt.Errorf("cases: list: %w", err)
		}
		c.Created, _ = time.Parse(timeFmt, created)
		c.Updated, _ = time.Parse(timeFmt, updated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindByTitle returns the id of the newest case with this title (0 if none).
func (s *Store) FindByTitle(ctx context.Context, title string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT id FROM cases WHERE title = ? ORDER BY id DESC LIMIT 1`), title).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
