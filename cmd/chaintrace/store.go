package main

import (
	"context"

	"github.com/chaintrace/chaintrace/internal/store"
)

// flagDB is the SQL store: empty for the embedded SQLite file under --data, or a
// postgres:// URL (lists, labels, API keys, KYT state and cases then live in
// PostgreSQL, shared by every server; the chain index stays per node).
var flagDB string

func init() {
	rootCmd.PersistentFlags().StringVar(&flagDB, "db", envOr("CHAINTRACE_DB", ""),
		"SQL store: a postgres://… URL, or empty for SQLite under --data (env CHAINTRACE_DB)")
}

// openStore opens the configured SQL store (--db, else SQLite under dataDir).
// Every command that reads or writes lists, labels, keys or cases opens it here.
func openStore(ctx context.Context, dataDir string) (*store.DB, error) {
	return store.OpenConfigured(ctx, dataDir, flagDB)
}
