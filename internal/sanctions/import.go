package sanctions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// sinkFunc receives each finished entity of a streaming parse.
type sinkFunc func(p *Parsed, e *Entity) error

// add hands one parsed entity on: to the import streaming it into the store
// when there is one (finished first), else to p.Entities (finished by
// p.finish).
func (p *Parsed) add(e Entity) error {
	if p.sink == nil {
		p.Entities = append(p.Entities, e)
		return nil
	}
	p.finishEntity(&e)
	return p.sink(p, &e)
}

// ImportFile parses the list file and streams its entries into the store as
// a new version: the OFAC CSV and watchlist parsers hand over entry by
// entry, inserted inside the one import transaction, so memory stays
// bounded by a batch rather than the list (the XML formats are parsed
// whole first). The rules of Import apply: all or nothing, an unchanged
// checksum stores nothing, an empty list or one below MinRatio of the
// version in force is refused (decided before commit). The returned
// Parsed holds the list's metadata and warnings, no entities.
func (s *Store) ImportFile(ctx context.Context, format, path string, po ParseOptions, opts ImportOptions) (Version, bool, *Parsed, error) {
	im := s.newImporter(ctx, opts)
	defer im.rollback()
	if format == FormatWatchlist {
		im.merge = mergeWatchlistEntity
	}
	p, err := parseFile(format, path, po, im.put)
	if p == nil {
		p = &Parsed{}
	}
	if im.unchanged {
		return im.cur, false, p, nil
	}
	if err != nil {
		return Version{}, false, p, err
	}
	for i := range p.Entities { // formats parsed whole
		if err := im.put(p, &p.Entities[i]); err != nil {
			if im.unchanged {
				return im.cur, false, p, nil
			}
			return Version{}, false, p, err
		}
	}
	p.Entities = nil
	v, err := im.commit(p)
	return v, err == nil, p, err
}

// Import stores a parsed list as a new version in one transaction and
// reloads the address index. It refuses an empty list, and one with fewer
// than MinRatio of the entities of the version in force (unless Force). When
// the source checksum equals the version in force, nothing is stored and the
// current version is returned with created == false.
func (s *Store) Import(ctx context.Context, p *Parsed, opts ImportOptions) (v Version, created bool, err error) {
	im := s.newImporter(ctx, opts)
	defer im.rollback()
	for i := range p.Entities {
		if err := im.put(p, &p.Entities[i]); err != nil {
			if im.unchanged {
				return im.cur, false, nil
			}
			return v, false, err
		}
	}
	v, err = im.commit(p)
	return v, err == nil, err
}

// importer writes one version entity by entity inside one transaction,
// begun at the first entity once the list's checksum is known.
type importer struct {
	s    *Store
	ctx  context.Context
	opts ImportOptions
	// merge folds a repeated entity id into the stored one (watchlists,
	// whose rows sharing an id form one entity); nil makes it an error.
	merge func(dst *Entity, src *Entity)

	tx                     *sql.Tx
	insE, insA, getE, updE *sql.Stmt
	delA                   *sql.Stmt
	v, cur                 Version
	hasCur, unchanged      bool
	n                      int
}

var errUnchanged = errors.New("sanctions: list unchanged")

func (s *Store) newImporter(ctx context.Context, opts ImportOptions) *importer {
	if opts.MinRatio == 0 {
		opts.MinRatio = 0.9
	}
	return &importer{s: s, ctx: ctx, opts: opts}
}

func (im *importer) rollback() {
	for _, st := range []*sql.Stmt{im.insE, im.insA, im.getE, im.updE, im.delA} {
		if st != nil {
			st.Close()
		}
	}
	if im.tx != nil {
		im.tx.Rollback()
	}
}

// begin opens the transaction, compares with the version in force and
// writes the version row (its counts are set at commit).
func (im *importer) begin(p *Parsed) error {
	s, ctx := im.s, im.ctx
	if im.opts.Meta != nil {
		im.opts.Meta(p)
	}
	im.v = Version{List: p.List, Source: p.Source, Format: p.Format, Published: p.Published,
		Imported: time.Now().UTC(), SHA256: p.SHA256, InForce: true}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sanctions: import: %w", err)
	}
	im.tx = tx
	// The refusal rules read the version in force inside the transaction, so
	// two concurrent imports cannot both pass them against a stale count.
	cur, cerr := scanVersion(tx.QueryRowContext(ctx, s.db.Rebind(`SELECT `+versionCols+` FROM sanctions_versions WHERE list = ? ORDER BY id DESC LIMIT 1`), p.List))
	switch {
	case cerr == nil:
		im.cur, im.hasCur = cur, true
		if cur.SHA256 == p.SHA256 {
			im.cur.InForce = true
			im.unchanged = true
			return errUnchanged
		}
	case !errors.Is(cerr, sql.ErrNoRows):
		return fmt.Errorf("sanctions: import: %w", cerr)
	}
	v := &im.v
	err = tx.QueryRowContext(ctx, s.db.Rebind(`INSERT INTO sanctions_versions (list, source, format, published, imported, sha256, entities, addresses)
		VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`),
		v.List, v.Source, v.Format, v.Published, v.Imported.Format(time.RFC3339Nano), v.SHA256).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("sanctions: import: %w", err)
	}
	for _, q := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&im.insE, `INSERT INTO sanctions_entities (version_id, entity_id, type, name, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (version_id, entity_id) DO NOTHING`},
		{&im.insA, `INSERT INTO sanctions_addresses (version_id, entity_id, ticker, address, normalized) VALUES (?, ?, ?, ?, ?)`},
		{&im.getE, `SELECT data FROM sanctions_entities WHERE version_id = ? AND entity_id = ?`},
		{&im.updE, `UPDATE sanctions_entities SET type = ?, name = ?, data = ? WHERE version_id = ? AND entity_id = ?`},
		{&im.delA, `DELETE FROM sanctions_addresses WHERE version_id = ? AND entity_id = ?`},
	} {
		if *q.st, err = tx.PrepareContext(ctx, s.db.Rebind(q.sql)); err != nil {
			return fmt.Errorf("sanctions: import: %w", err)
		}
	}
	return nil
}

// put stores one finished entity.
func (im *importer) put(p *Parsed, e *Entity) error {
	if e.ID == "" {
		return fmt.Errorf("sanctions: %s: entity %q has no id", p.Source, clip(e.Name))
	}
	if len(e.ID) > maxIDBytes {
		return fmt.Errorf("sanctions: %s: entity id %q is longer than %d bytes", p.Source, clip(e.ID), maxIDBytes)
	}
	if im.tx == nil {
		if err := im.begin(p); err != nil {
			return err
		}
	}
	ctx, vid := im.ctx, im.v.ID
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	res, err := im.insE.ExecContext(ctx, vid, e.ID, e.Type, e.Name, string(data))
	if err != nil {
		return fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	} else if k == 0 {
		if e, err = im.remerge(p, e); err != nil {
			return err
		}
	} else {
		im.n++
	}
	for _, c := range e.CryptoAddresses {
		if _, err := im.insA.ExecContext(ctx, vid, e.ID, c.Ticker, c.Address, c.Normalized); err != nil {
			return fmt.Errorf("sanctions: import %s address %s: %w", clip(e.ID), clip(c.Address), err)
		}
	}
	return nil
}

// remerge folds e into the stored entity of the same id (or refuses a
// duplicate id) and returns the merged entity, whose addresses the caller
// inserts again.
func (im *importer) remerge(p *Parsed, e *Entity) (*Entity, error) {
	if im.merge == nil {
		return nil, fmt.Errorf("sanctions: %s: duplicate entity id %s", p.Source, clip(e.ID))
	}
	ctx, vid := im.ctx, im.v.ID
	var data string
	if err := im.getE.QueryRowContext(ctx, vid, e.ID).Scan(&data); err != nil {
		return nil, fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	var dst Entity
	if err := json.Unmarshal([]byte(data), &dst); err != nil {
		return nil, fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	im.merge(&dst, e)
	p.finishEntity(&dst)
	b, err := json.Marshal(dst)
	if err != nil {
		return nil, fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	if _, err := im.updE.ExecContext(ctx, dst.Type, dst.Name, string(b), vid, dst.ID); err != nil {
		return nil, fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	if _, err := im.delA.ExecContext(ctx, vid, dst.ID); err != nil {
		return nil, fmt.Errorf("sanctions: import %s: %w", clip(e.ID), err)
	}
	return &dst, nil
}

// commit applies the count rules, sets the version's counts, commits and
// reloads the address index.
func (im *importer) commit(p *Parsed) (Version, error) {
	if im.tx == nil || im.n == 0 {
		return Version{}, fmt.Errorf("%w: %s: no entries found", ErrSuspicious, p.Source)
	}
	ctx, v, db := im.ctx, &im.v, im.s.db
	if im.hasCur && float64(im.n) < im.opts.MinRatio*float64(im.cur.Entities) && !im.opts.Force {
		return Version{}, fmt.Errorf("%w: %s has %d entries, fewer than %.0f%% of the %d in force (%s); use --force if this is expected",
			ErrSuspicious, p.Source, im.n, im.opts.MinRatio*100, im.cur.Entities, im.cur.Label())
	}
	v.Entities = im.n
	err := im.tx.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM (SELECT DISTINCT ticker, address FROM sanctions_addresses WHERE version_id = ?) d`), v.ID).Scan(&v.Addresses)
	if err != nil {
		return Version{}, fmt.Errorf("sanctions: import: %w", err)
	}
	if _, err := im.tx.ExecContext(ctx, db.Rebind(`UPDATE sanctions_versions SET entities = ?, addresses = ? WHERE id = ?`), v.Entities, v.Addresses, v.ID); err != nil {
		return Version{}, fmt.Errorf("sanctions: import: %w", err)
	}
	if err := im.tx.Commit(); err != nil {
		return Version{}, fmt.Errorf("sanctions: import commit: %w", err)
	}
	im.tx = nil
	if im.opts.NoReload {
		return *v, nil
	}
	if err := im.s.Reload(ctx); err != nil {
		return *v, err
	}
	return *v, nil
}

// mergeWatchlistEntity folds the rows of src (a later batch of rows with
// the same id) into dst as ParseWatchlist does row by row: the first real
// name stays primary, other names become aliases, categories, sources and
// addresses are added.
func mergeWatchlistEntity(dst, src *Entity) {
	bare := dst.ID[strings.LastIndex(dst.ID, ":")+1:]
	names := append([]string{src.Name}, aliasNames(src.Aliases)...)
	if src.Name == bare {
		names = names[1:] // the id placeholder, no name given
	}
	for _, n := range names {
		switch {
		case dst.Name == bare:
			dst.Name = n
		case n != dst.Name:
			dst.Aliases = append(dst.Aliases, Alias{Name: n, Quality: QualityStrong})
		}
	}
	for _, c := range src.Programs {
		dst.Programs = appendUnique(dst.Programs, c)
	}
	if dst.Category == "" {
		dst.Category = src.Category
	}
	for _, r := range strings.Split(src.Remarks, "; ") {
		if r != "" && !strings.Contains(dst.Remarks, r) {
			if dst.Remarks != "" {
				dst.Remarks += "; "
			}
			dst.Remarks += r
		}
	}
	dst.CryptoAddresses = append(dst.CryptoAddresses, src.CryptoAddresses...)
	for _, c := range src.Countries {
		if !slices.Contains(dst.Countries, c) {
			dst.Countries = append(dst.Countries, c)
		}
	}
}

func aliasNames(as []Alias) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}
