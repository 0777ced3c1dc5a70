package labels

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/chaintrace/chaintrace/internal/store"
)

// insertCols are the columns an import writes, in order.
const insertCols = `address, addr_key, label, category, source, confidence, confidence_name,
	original_category, actor, abuse, cluster_definer, dataset, format, line, ref, imported, label_key`

const nInsertCols = 17

// batchRows labels go into one INSERT statement (17 parameters each).
const batchRows = 64

// inserter writes labels in multi-row INSERTs inside an import's
// transaction. A label whose key (address, source, label, category) is
// already stored is left as it is (ON CONFLICT DO NOTHING); flush returns how
// many rows were new.
type inserter struct {
	db    *store.DB
	tx    *sql.Tx
	full  *sql.Stmt // prepared for batchRows rows
	args  []any
	lines [2]int // first and last line of the pending rows
}

func insertSQL(db *store.DB, rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", nInsertCols), ", ") + ")"
	return db.Rebind(`INSERT INTO labels (` + insertCols + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ") +
		` ON CONFLICT (address, source, label, category) DO NOTHING`)
}

func newInserter(ctx context.Context, db *store.DB, tx *sql.Tx) (*inserter, error) {
	st, err := tx.PrepareContext(ctx, insertSQL(db, batchRows))
	if err != nil {
		return nil, err
	}
	return &inserter{db: db, tx: tx, full: st, args: make([]any, 0, batchRows*nInsertCols)}, nil
}

func (b *inserter) close() { b.full.Close() }

// add queues one label found at line; when a batch is full it is written and
// the number of new rows returned.
func (b *inserter) add(ctx context.Context, l Label, key []byte, line int, now string) (int, error) {
	if len(b.args) == 0 {
		b.lines[0] = line
	}
	b.lines[1] = line
	b.args = append(b.args, l.Address, key, l.Label, l.Category, l.Source, l.Confidence, l.ConfidenceName,
		l.OriginalCategory, l.Actor, l.Abuse, boolInt(l.IsClusterDefiner), l.Dataset, l.Format, l.Line, l.Ref, now, foldLabel(l.Label))
	if len(b.args) < batchRows*nInsertCols {
		return 0, nil
	}
	return b.flush(ctx)
}

// flush writes the queued labels and returns the number of new rows.
func (b *inserter) flush(ctx context.Context) (int, error) {
	rows := len(b.args) / nInsertCols
	if rows == 0 {
		return 0, nil
	}
	var res sql.Result
	var err error
	if rows == batchRows {
		res, err = b.full.ExecContext(ctx, b.args...)
	} else {
		res, err = b.tx.ExecContext(ctx, insertSQL(b.db, rows), b.args...)
	}
	b.args = b.args[:0]
	if err != nil {
		return 0, fmt.Errorf("store the labels of lines %d-%d: %w", b.lines[0], b.lines[1], err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
