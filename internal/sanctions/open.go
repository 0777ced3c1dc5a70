package sanctions

import (
	"context"

	"github.com/chaintrace/chaintrace/internal/store"
)

// OpenStoreDB uses db (SQLite or PostgreSQL, from store.OpenConfigured) and
// takes ownership of it: Close closes it.
func OpenStoreDB(ctx context.Context, db *store.DB) (*Store, error) {
	s, err := NewStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}
