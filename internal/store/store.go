// Package store opens chaintrace's embedded SQL store (SQLite under the data
// directory) that holds mutable state: list versions, labels, cases, monitored
// transfers and alerts.
//
// Everything goes through database/sql so the same code can run against
// PostgreSQL (pgx stdlib driver) when API nodes scale out. Queries use one
// SQL subset both engines accept and write placeholders as '?', which
// Rebind turns into $1, $2, … for PostgreSQL. Schema changes are per
// component, numbered migrations recorded in schema_migrations; each one runs
// in its own transaction.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// FileName is the SQLite file inside the data directory.
const FileName = "chaintrace.db"

// Dialect names the SQL engine behind a DB.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the opened store: a *sql.DB plus the dialect its queries are
// rebound for.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Path is the SQLite file (empty for PostgreSQL).
	Path string
}

// Open opens (creating if needed) the SQLite store DIR/chaintrace.db in WAL
// mode with a busy timeout, so a CLI import and a running server can share it.
func Open(dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", AccessError(dataDir, "write", err))
	}
	path := filepath.Join(dataDir, FileName)
	if err := checkAccess(dataDir, path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{DB: db, Dialect: SQLite, Path: path}, nil
}

// OpenPostgres connects to PostgreSQL through pgx's database/sql driver.
// dsn is a URL or key=value string, e.g.
// "postgres://user:pass@host:5432/chaintrace?search_path=chaintrace".
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return &DB{DB: db, Dialect: Postgres}, nil
}

// Wrap adopts an already opened *sql.DB of the given dialect (for example a
// pgx stdlib connection to PostgreSQL).
func Wrap(db *sql.DB, d Dialect) *DB { return &DB{DB: db, Dialect: d} }

// Rebind rewrites '?' placeholders for the store's dialect. Question marks
// inside single-quoted literals are left alone.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n, inQuote := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Migration is one numbered schema step of a component. SQL may hold several
// statements separated by ';' at line ends; PostgreSQL overrides it when the
// dialects differ.
type Migration struct {
	SQL      string
	Postgres string // optional dialect-specific text
}

// Migrate applies the component's migrations that have not run yet, in
// order, each in its own transaction, recording them in schema_migrations.
func (db *DB) Migrate(ctx context.Context, component string, migrations []Migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version   INTEGER NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for i, m := range migrations {
		version := i + 1
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", component, err)
		}
		var done int
		err = tx.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`),
			component, version).Scan(&done)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s: %w", component, err)
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		text := m.SQL
		if db.Dialect == Postgres && m.Postgres != "" {
			text = m.Postgres
		}
		for _, stmt := range splitStatements(text) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migrate %s to version %d: %w", component, version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_migrations (component, version) VALUES (?, ?)`),
			component, version); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s: %w", component, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

// splitStatements splits a migration script at ';' ending a line.
func splitStatements(s string) []string {
	var out []string
	for _, part := range strings.SplitAfter(s, ";\n") {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";"))
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}
