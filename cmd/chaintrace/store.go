package main

import (
	"context"

	"github.com/chaintrace/chaintrace/internal/labels"
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

// openLabels opens the label store in the configured SQL store (--db); close
// closes both.
func openLabels(ctx context.Context, dataDir string, opts labels.Options) (*labels.Store, func(), error) {
	db, err := openStore(ctx, dataDir)
	if err != nil {
		return nil, nil, err
	}
	st, err := labels.New(ctx, db, opts)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return st, func() { st.Close(); db.Close() }, nil
}
