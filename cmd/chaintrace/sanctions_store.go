package main

import (
	"context"
	"errors"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
)

// errNoLists is the answer of a screening command before any list was imported.
var errNoLists = errors.New("no sanctions list imported: run `chaintrace lists import` or `chaintrace lists update` first")

// openSanctions opens the sanctions store in the configured SQL store (--db).
func openSanctions(ctx context.Context, dataDir string) (*sanctions.Store, error) {
	db, err := openStore(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	return sanctions.OpenStoreDB(ctx, db)
}

// openSanctionsRead opens the sanctions store for a command that only reads it. A data
// folder without a store (never imported into, or a mistyped --data) gives errNoLists
// and nothing is created.
func openSanctionsRead(dataDir string) (*sanctions.Store, error) {
	if !store.Exists(dataDir, flagDB) {
		return nil, errNoLists
	}
	return openSanctions(context.Background(), dataDir)
}
