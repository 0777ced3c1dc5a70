package labels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
)

// schema: {{BLOB}} is the binary type of the dialect.
const schema = `CREATE TABLE labels (
	address           TEXT NOT NULL,
	addr_key          {{BLOB}} NOT NULL,
	label             TEXT NOT NULL,
	category          TEXT NOT NULL,
	source            TEXT NOT NULL,
	confidence        DOUBLE PRECISION NOT NULL,
	confidence_name   TEXT NOT NULL DEFAULT '',
	original_category TEXT NOT NULL DEFAULT '',
	actor             TEXT NOT NULL DEFAULT '',
	abuse             TEXT NOT NULL DEFAULT '',
	cluster_definer   INTEGER NOT NULL DEFAULT 0,
	dataset           TEXT NOT NULL,
	format            TEXT NOT NULL,
	line              INTEGER NOT NULL DEFAULT 0,
	ref               TEXT NOT NULL DEFAULT '',
	imported          TEXT NOT NULL,
	PRIMARY KEY (address, source, label, category));
CREATE INDEX labels_source ON labels (source);
CREATE INDEX labels_dataset ON labels (dataset);
CREATE TABLE labels_meta (
	id         INTEGER PRIMARY KEY,
	generation BIGINT NOT NULL);
INSERT INTO labels_meta (id, generation) VALUES (1, 0);
`

var migrations = []store.Migration{{
	SQL:      strings.ReplaceAll(schema, "{{BLOB}}", "BLOB"),
	Postgres: strings.ReplaceAll(schema, "{{BLOB}}", "BYTEA"),
}, {
	// label_key is the label folded to lower case (foldLabel) for the label
	// search: an index range for a prefix. Rows stored before it are filled
	// in by New (backfillKeys). PostgreSQL compares it byte-wise (COLLATE
	// "C"), as SQLite does, so a prefix is one index range in both.
	SQL: `ALTER TABLE labels ADD COLUMN label_key TEXT NOT NULL DEFAULT '';
CREATE INDEX labels_label_key ON labels (label_key, address);
`,
	Postgres: `ALTER TABLE labels ADD COLUMN label_key TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX labels_label_key ON labels (label_key, address);
`,
}}

// Store holds address labels in the SQL store (internal/store) and serves
// look-ups that add the Bitcoin addresses of the sanctions lists in force.
// Safe for concurrent use.
type Store struct {
	db     *store.DB
	owned  bool
	params *chaincfg.Params
	sanc   atomic.Pointer[sanctions.Store]

	snap   atomic.Pointer[Snapshot]
	snapMu sync.Mutex

	sancLabels atomic.Pointer[sanctionsLabels] // the search's view of the lists in force
}

// Options configure a Store.
type Options struct {
	// Network validates addresses (default mainnet).
	Network *chaincfg.Params
	// Sanctions, when set, makes the Bitcoin addresses of its lists in force
	// labels (category sanctions; a watchlist's own category), read at
	// look-up time.
	Sanctions *sanctions.Store
}

// Open opens the labels in DIR/chaintrace.db (SQLite), applying migrations.
func Open(dataDir string, opts Options) (*Store, error) {
	db, err := store.Open(dataDir)
	if err != nil {
		return nil, err
	}
	s, err := New(context.Background(), db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New uses an opened store.DB (SQLite or PostgreSQL).
func New(ctx context.Context, db *store.DB, opts Options) (*Store, error) {
	if err := db.Migrate(ctx, "labels", migrations); err != nil {
		return nil, err
	}
	if opts.Network == nil {
		opts.Network = &chaincfg.MainNetParams
	}
	s := &Store{db: db, params: opts.Network}
	if err := s.backfillKeys(ctx); err != nil {
		return nil, err
	}
	s.SetSanctions(opts.Sanctions)
	return s, nil
}

// SetSanctions sets (or, with nil, removes) the sanctions store whose lists
// in force are labels.
func (s *Store) SetSanctions(sanc *sanctions.Store) { s.sanc.Store(sanc) }

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// Network is the network addresses are validated for.
func (s *Store) Network() *chaincfg.Params { return s.params }

// Input is one file to import.
type Input struct {
	Name   string // file name for messages; its base name is the default dataset
	Format string // FormatTagPack, FormatCSV or FormatSTIX
	R      io.ReadSeeker
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Dataset names the import (default: each file's base name); `labels
	// delete --source` accepts it.
	Dataset  string
	Defaults Defaults
	// Columns renames CSV columns: file column → known column.
	Columns map[string]string
	// Progress, when set, is called every ProgressEvery records of a file.
	Progress func(file string, records int)
}

// ProgressEvery is how often (in records) Import reports progress.
const ProgressEvery = 100_000

// FileSummary is what one file held and what was stored.
type FileSummary struct {
	File    string `json:"file"`
	Format  string `json:"format"`
	Dataset string `json:"dataset"`
	// Records are the tags (TagPack), rows (CSV) or indicator addresses (STIX) read.
	Records int `json:"records"`
	// Stored are new labels; Existing were already stored (an earlier import,
	// or a duplicate within the file).
	Stored   int `json:"stored"`
	Existing int `json:"existing"`
	// SkippedCurrency counts records of other currencies, by currency.
	SkippedCurrency map[string]int `json:"skipped_currency,omitempty"`
	// Indicators and SkippedIndicators (by object type or pattern type) for STIX.
	Indicators        int            `json:"indicators,omitempty"`
	SkippedIndicators map[string]int `json:"skipped_indicators,omitempty"`
	IgnoredColumns    []string       `json:"ignored_columns,omitempty"`
}

// Summary is the result of an import.
type Summary struct {
	Files    []FileSummary `json:"files"`
	Stored   int           `json:"stored"`
	Existing int           `json:"existing"`
	Skipped  int           `json:"skipped"`
}

// ErrFormat is wrapped when an input names an unknown format.
var ErrFormat = errors.New("unknown label format")

// ErrOptions is wrapped when an import's defaults are invalid.
var ErrOptions = errors.New("bad import option")

// Import reads every input and stores its labels in ONE transaction: any
// error (a malformed file, an unknown category, a bad address) rolls all of
// them back. A label already stored (same address, source, label and
// category) is left as it is, so importing a file twice changes nothing.
func (s *Store) Import(ctx context.Context, inputs []Input, opts ImportOptions) (*Summary, error) {
	for _, in := range inputs {
		if !isFormat(in.Format) {
			return nil, fmt.Errorf("%w %q for %s: want one of %s", ErrFormat, in.Format, in.Name, strings.Join(Formats, ", "))
		}
	}
	if opts.Defaults.Category != "" {
		if _, err := MapCategory(opts.Defaults.Category, ""); err != nil {
			return nil, fmt.Errorf("%w: default category: %w", ErrOptions, err)
		}
	}
	if opts.Defaults.Confidence != "" {
		if _, _, err := ParseConfidence(opts.Defaults.Confidence); err != nil {
			return nil, fmt.Errorf("%w: default %w", ErrOptions, err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("labels: import: %w", err)
	}
	defer tx.Rollback()
	ins, err := newInserter(ctx, s.db, tx)
	if err != nil {
		return nil, fmt.Errorf("labels: import: %w", err)
	}
	defer ins.close()
	now := time.Now().UTC().Format(time.RFC3339)
	sum := &Summary{}
	for _, in := range inputs {
		fs := FileSummary{File: in.Name, Format: in.Format, Dataset: opts.Dataset}
		valid := 0 // labels read (stored or already present)
		if fs.Dataset == "" {
			fs.Dataset = filepath.Base(in.Name)
		}
		emit := func(r record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fs.Records++
			if opts.Progress != nil && fs.Records%ProgressEvery == 0 {
				opts.Progress(in.Name, fs.Records)
			}
			l, key, skip, err := r.resolve(in.Name, fs.Dataset, in.Format, opts.Defaults, s.params)
			if err != nil {
				return err
			}
			if skip != "" {
				if fs.SkippedCurrency == nil {
					fs.SkippedCurrency = map[string]int{}
				}
				fs.SkippedCurrency[skip]++
				sum.Skipped++
				return nil
			}
			valid++
			n, err := ins.add(ctx, l, key, r.line, now)
			if err != nil {
				return &InputError{File: in.Name, Line: r.line, Err: err}
			}
			fs.Stored += n
			return nil
		}
		if _, err := in.R.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("labels: %s: %w", in.Name, err)
		}
		switch in.Format {
		case FormatTagPack:
			_, err = readTagPack(in.Name, in.R, emit)
		case FormatCSV:
			_, fs.IgnoredColumns, err = readCSV(in.Name, in.R, opts.Columns, emit)
		case FormatSTIX:
			var st stixSummary
			st, err = readSTIX(in.Name, in.R, emit)
			fs.Indicators = st.indicators
			if len(st.skipped) > 0 {
				fs.SkippedIndicators = st.skipped
			}
		}
		if err != nil {
			return nil, err
		}
		n, err := ins.flush(ctx)
		if err != nil {
			return nil, &InputError{File: in.Name, Err: err}
		}
		fs.Stored += n
		fs.Existing = valid - fs.Stored
		sum.Stored += fs.Stored
		sum.Existing += fs.Existing
		sum.Files = append(sum.Files, fs)
	}
	if sum.Stored > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE labels_meta SET generation = generation + 1 WHERE id = 1`); err != nil {
			return nil, fmt.Errorf("labels: import: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("labels: import commit: %w", err)
	}
	return sum, nil
}

func isFormat(f string) bool {
	for _, v := range Formats {
		if v == f {
			return true
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Delete removes every label whose source or dataset is source, in one
// transaction, and returns how many were removed.
func (s *Store) Delete(ctx context.Context, source string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("labels: delete: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM labels WHERE source = ? OR dataset = ?`), source, source)
	if err != nil {
		return 0, fmt.Errorf("labels: delete: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE labels_meta SET generation = generation + 1 WHERE id = 1`); err != nil {
			return 0, fmt.Errorf("labels: delete: %w", err)
		}
	}
	return n, tx.Commit()
}

// Count returns the number of stored labels (sanctions list labels not included).
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM labels`).Scan(&n)
	return n, err
}

// Datasets returns the number of stored labels per dataset.
func (s *Store) Datasets(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT dataset, COUNT(*) FROM labels GROUP BY dataset`)
	if err != nil {
		return nil, fmt.Errorf("labels: datasets: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}

func (s *Store) generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.db.QueryRowContext(ctx, `SELECT generation FROM labels_meta WHERE id = 1`).Scan(&g)
	return g, err
}

const labelCols = `address, label, category, source, confidence, confidence_name, original_category,
	actor, abuse, cluster_definer, dataset, format, line, ref`

// scanLabel scans labelCols, after the destinations in pre.
func scanLabel(sc interface{ Scan(...any) error }, pre ...any) (Label, error) {
	var l Label
	var cd int64
	err := sc.Scan(append(pre, &l.Address, &l.Label, &l.Category, &l.Source, &l.Confidence, &l.ConfidenceName,
		&l.OriginalCategory, &l.Actor, &l.Abuse, &cd, &l.Dataset, &l.Format, &l.Line, &l.Ref)...)
	l.IsClusterDefiner = cd != 0
	return l, err
}

// ErrBadAddress wraps look-ups of strings that are not addresses of the
// store's network.
var ErrBadAddress = errors.New("bad address")

// Lookup returns the labels of each address (keyed by the address as given;
// addresses without labels are absent): stored labels, then those of the
// sanctions lists in force, best first (confidence, then sanctions, then services).
func (s *Store) Lookup(ctx context.Context, addrs []string) (map[string][]Label, error) {
	canon := make(map[string][]string, len(addrs)) // canonical → as given
	for _, a := range addrs {
		c, _, err := CanonicalAddress(a, s.params)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadAddress, err)
		}
		canon[c] = append(canon[c], a)
	}
	keys := make([]string, 0, len(canon))
	for c := range canon {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	byCanon := map[string][]Label{}
	const batch = 500
	for i := 0; i < len(keys); i += batch {
		part := keys[i:min(i+batch, len(keys))]
		args := make([]any, len(part))
		for j, k := range part {
			args[j] = k
		}
		q := `SELECT ` + labelCols + ` FROM labels WHERE address IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(part)), ",") + `) ORDER BY address, confidence DESC, source, label`
		rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("labels: look-up: %w", err)
		}
		for rows.Next() {
			l, err := scanLabel(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("labels: look-up: %w", err)
			}
			byCanon[l.Address] = append(byCanon[l.Address], l)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("labels: look-up: %w", err)
		}
	}
	if sanc := s.sanc.Load(); sanc != nil {
		for _, c := range keys {
			r, err := sanc.ScreenAddress(ctx, c)
			if err != nil {
				continue
			}
			byCanon[c] = append(byCanon[c], s.sanctionLabels(c, r.Matches)...)
		}
	}
	out := make(map[string][]Label, len(addrs))
	for c, ls := range byCanon {
		if len(ls) == 0 {
			continue
		}
		rank(ls)
		for _, a := range canon[c] {
			out[a] = ls
		}
	}
	return out, nil
}

// LabelsOf returns the labels of one address (never nil).
func (s *Store) LabelsOf(ctx context.Context, addr string) ([]Label, error) {
	m, err := s.Lookup(ctx, []string{addr})
	if err != nil {
		return nil, err
	}
	if ls := m[addr]; ls != nil {
		return ls, nil
	}
	return []Label{}, nil
}

// sanctionLabels turns listings of the Bitcoin address addr into labels:
// category sanctions for official lists, a watchlist's own category (mapped
// onto the vocabulary, else other) for watchlists; the list version is the
// source. Listings under another ticker (a Bitcoin Cash address in legacy
// form) are left out.
func (s *Store) sanctionLabels(addr string, ms []sanctions.Match) []Label {
	var out []Label
	for _, m := range ms {
		switch strings.ToUpper(m.Ticker) {
		case "XBT", "BTC", "":
		default:
			continue
		}
		l := Label{Address: addr, Label: m.Name, Category: Sanctions, Confidence: 1,
			Source: m.List + "@" + fmt.Sprint(m.Version), Dataset: m.List, Format: FormatSanctions,
			Ref: m.EntityID, OriginalCategory: strings.Join(m.Programs, ",")}
		if strings.HasPrefix(m.List, sanctions.WatchlistPrefix) {
			l.Category = Other
			for _, p := range m.Programs {
				if c, err := MapCategory(p, ""); err == nil {
					l.Category = c
					break
				}
			}
		}
		if l.Label == "" {
			l.Label = m.EntityID
		}
		out = append(out, l)
	}
	return out
}
