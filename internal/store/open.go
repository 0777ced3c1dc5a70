package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// IsPostgres reports whether dsn names a PostgreSQL server (a postgres:// or
// postgresql:// URL).
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenConfigured opens the store a command is configured for: PostgreSQL when
// dsn is a postgres:// URL, else (dsn empty) the embedded SQLite file under
// dataDir. Every command opens its store through it.
func OpenConfigured(ctx context.Context, dataDir, dsn string) (*DB, error) {
	switch {
	case dsn == "":
		return Open(dataDir)
	case IsPostgres(dsn):
		return OpenPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("store: database %q: want a postgres://… URL (or none for the embedded SQLite store)", redact(dsn))
}

// Exists reports whether the configured store may hold data: always for
// PostgreSQL, and for SQLite when dataDir holds its file (a read-only command
// then creates nothing in a mistyped data folder).
func Exists(dataDir, dsn string) bool {
	if dsn != "" {
		return true
	}
	_, err := os.Stat(filepath.Join(dataDir, FileName))
	return !errors.Is(err, fs.ErrNotExist)
}

// Describe names the store for logs without its password.
func Describe(dataDir, dsn string) string {
	if dsn == "" {
		return filepath.Join(dataDir, FileName)
	}
	return redact(dsn)
}

// redact hides the password of a URL-style DSN.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	user := dsn[scheme+3 : at]
	if i := strings.Index(user, ":"); i >= 0 {
		user = user[:i] + ":***"
	}
	return dsn[:scheme+3] + user + dsn[at:]
}
