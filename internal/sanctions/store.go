package sanctions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/chaintrace/chaintrace/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// schema is written once for both dialects: {{ID}} and {{REF}} stand for the
// auto-increment key and the integer type that references it.
const schema = `CREATE TABLE sanctions_versions (
	id        {{ID}},
	list      TEXT NOT NULL,
	source    TEXT NOT NULL,
	format    TEXT NOT NULL,
	published TEXT NOT NULL DEFAULT '',
	imported  TEXT NOT NULL,
	sha256    TEXT NOT NULL,
	entities  INTEGER NOT NULL,
	addresses INTEGER NOT NULL);
CREATE INDEX sanctions_versions_list ON sanctions_versions (list, id);
CREATE TABLE sanctions_entities (
	version_id {{REF}} NOT NULL REFERENCES sanctions_versions (id) ON DELETE CASCADE,
	entity_id  TEXT NOT NULL,
	type       TEXT NOT NULL,
	name       TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (version_id, entity_id));
CREATE TABLE sanctions_addresses (
	version_id {{REF}} NOT NULL REFERENCES sanctions_versions (id) ON DELETE CASCADE,
	entity_id  TEXT NOT NULL,
	ticker     TEXT NOT NULL,
	address    TEXT NOT NULL,
	normalized TEXT NOT NULL,
	PRIMARY KEY (version_id, entity_id, ticker, address));
CREATE INDEX sanctions_addresses_norm ON sanctions_addresses (normalized, version_id);
`

var migrations = []store.Migration{
	{
		SQL:      strings.NewReplacer("{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{REF}}", "INTEGER").Replace(schema),
		Postgres: strings.NewReplacer("{{ID}}", "BIGSERIAL PRIMARY KEY", "{{REF}}", "BIGINT").Replace(schema),
	},
}

// Store is the versioned sanctions store with an in-memory address index
// over the versions in force. Safe for concurrent use.
type Store struct {
	db    *store.DB
	owned bool

	idx    atomic.Pointer[addrIndex]
	reload sync.Mutex
}

// addrIndex maps normalised address to its listings in the versions in force.
type addrIndex struct {
	versions []Version
	label    string
	m        map[string][]Match
	stamp    string // versions signature it was built from
}

// OpenStore opens the store in DIR/chaintrace.db, applies migrations and
// loads the address index.
func OpenStore(dataDir string) (*Store, error) {
	db, err := store.Open(dataDir)
	if err != nil {
		return nil, err
	}
	s, err := NewStore(context.Background(), db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// NewStore uses an opened store.DB (SQLite or PostgreSQL).
func NewStore(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.Migrate(ctx, "sanctions", migrations); err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database if OpenStore opened it.
func (s *Store) Close() error {
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// ErrNoVersion means the list (or version id) is not in the store.
var ErrNoVersion = errors.New("no such list version")

const versionCols = `id, list, source, format, published, imported, sha256, entities, addresses`

func scanVersion(sc interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var imported string
	if err := sc.Scan(&v.ID, &v.List, &v.Source, &v.Format, &v.Published, &imported, &v.SHA256, &v.Entities, &v.Addresses); err != nil {
		return v, err
	}
	v.Imported, _ = time.Parse(time.RFC3339Nano, imported)
	return v, nil
}

// Versions lists every imported version, oldest first, marking those in
// force (the newest of each list).
func (s *Store) Versions(ctx context.Context) ([]Version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionCols+` FROM sanctions_versions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sanctions: list versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	newest := map[string]int64{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("sanctions: list versions: %w", err)
		}
		out = append(out, v)
		newest[v.List] = v.ID
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sanctions: list versions: %w", err)
	}
	for i := range out {
		out[i].InForce = newest[out[i].List] == out[i].ID
	}
	return out, nil
}

// InForce returns the version in force of every list, ordered by list name.
func (s *Store) InForce(ctx context.Context) ([]Version, error) {
	all, err := s.Versions(ctx)
	if err != nil {
		return nil, err
	}
	var out []Version
	for _, v := range all {
		if v.InForce {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].List < out[j].List })
	return out, nil
}

// Current returns the version in force of one list, or ErrNoVersion.
func (s *Store) Current(ctx context.Context, list string) (Version, error) {
	row := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+versionCols+` FROM sanctions_versions WHERE list = ? ORDER BY id DESC LIMIT 1`), list)
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%w: list %q has never been imported", ErrNoVersion, list)
	}
	if err != nil {
		return v, fmt.Errorf("sanctions: current version of %s: %w", list, err)
	}
	v.InForce = true
	return v, nil
}

// Version returns one version by id, or ErrNoVersion.
func (s *Store) Version(ctx context.Context, id int64) (Version, error) {
	row := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+versionCols+` FROM sanctions_versions WHERE id = ?`), id)
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%w: %d", ErrNoVersion, id)
	}
	if err != nil {
		return v, fmt.Errorf("sanctions: version %d: %w", id, err)
	}
	cur, err := s.Current(ctx, v.List)
	v.InForce = err == nil && cur.ID == v.ID
	return v, nil
}

// Entities returns all entities of the given versions, or of the versions in
// force when none are given, ordered by version then entity id. This is
// what name matching indexes.
func (s *Store) Entities(ctx context.Context, versionIDs ...int64) ([]Entity, error) {
	ids, err := s.resolveVersions(ctx, versionIDs)
	if err != nil {
		return nil, err
	}
	var out []Entity
	for _, id := range ids {
		rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT data FROM sanctions_entities WHERE version_id = ? ORDER BY entity_id`), id)
		if err != nil {
			return nil, fmt.Errorf("sanctions: entities of version %d: %w", id, err)
		}
		for rows.Next() {
			var data string
			if err := rows.Scan(&data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sanctions: entities of version %d: %w", id, err)
			}
			var e Entity
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sanctions: entity record in version %d: %w", id, err)
			}
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sanctions: entities of version %d: %w", id, err)
		}
	}
	return out, nil
}

func (s *Store) resolveVersions(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) > 0 {
		for _, id := range ids {
			if _, err := s.Version(ctx, id); err != nil {
				return nil, err
			}
		}
		return ids, nil
	}
	vs, err := s.InForce(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	return ids, nil
}

// VersionLabel joins versions as "ofac-sdn@3,un@2".
func VersionLabel(vs []Version) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Label()
	}
	return strings.Join(parts, ",")
}

func (s *Store) stamp(ctx context.Context) (string, error) {
	var n, max int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM sanctions_versions`).Scan(&n, &max)
	return itoa(n) + "/" + itoa(max), err
}

// Reload rebuilds the in-memory address index from the versions in force.
func (s *Store) Reload(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	stamp, err := s.stamp(ctx)
	if err != nil {
		return fmt.Errorf("sanctions: reload: %w", err)
	}
	vs, err := s.InForce(ctx)
	if err != nil {
		return err
	}
	idx := &addrIndex{versions: vs, label: VersionLabel(vs), m: map[string][]Match{}, stamp: stamp}
	for _, v := range vs {
		ms, err := s.addressRows(ctx, "a.version_id = ?", v.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			key := NormalizeAddress(m.Listed)
			idx.m[key] = append(idx.m[key], m)
		}
	}
	s.idx.Store(idx)
	slog.Debug("sanctions: address index loaded", "versions", idx.label, "addresses", len(idx.m))
	return nil
}

// ReloadIfChanged reloads the index when versions were added since the last
// load (for example by a CLI import while a server runs).
func (s *Store) ReloadIfChanged(ctx context.Context) error {
	stamp, err := s.stamp(ctx)
	if err != nil {
		return fmt.Errorf("sanctions: check versions: %w", err)
	}
	if cur := s.idx.Load(); cur != nil && cur.stamp == stamp {
		return nil
	}
	return s.Reload(ctx)
}

// Watch calls ReloadIfChanged every interval until ctx ends.
func (s *Store) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.ReloadIfChanged(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("sanctions: reload failed; keeping the loaded lists", "err", err)
			}
		}
	}
}

// addressRows loads listings joined with their entity's name and programs.
func (s *Store) addressRows(ctx context.Context, where string, args ...any) ([]Match, error) {
	q := `SELECT a.version_id, v.list, a.entity_id, a.ticker, a.address, e.data
		FROM sanctions_addresses a
		JOIN sanctions_entities e ON e.version_id = a.version_id AND e.entity_id = a.entity_id
		JOIN sanctions_versions v ON v.id = a.version_id
		WHERE ` + where + ` ORDER BY a.version_id, a.entity_id, a.ticker, a.address`
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("sanctions: load addresses: %w", err)
	}
	defer rows.Close()
	var out []Match
	cache := map[string]*EntityDetails{}
	for rows.Next() {
		var m Match
		var data string
		if err := rows.Scan(&m.Version, &m.List, &m.EntityID, &m.Ticker, &m.Listed, &data); err != nil {
			return nil, fmt.Errorf("sanctions: load addresses: %w", err)
		}
		key := itoa(m.Version) + "|" + m.EntityID
		d, ok := cache[key]
		if !ok {
			var e Entity
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				return nil, fmt.Errorf("sanctions: entity %s: %w", m.EntityID, err)
			}
			e.List = m.List
			d = e.Details(m.List + "@" + itoa(m.Version))
			cache[key] = d
		}
		m.Name, m.Programs, m.Remarks, m.Category, m.Entity = d.Name, d.Programs, d.Remarks, d.Category, d
		if m.Programs == nil {
			m.Programs = []string{}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ScreenAddress screens one address against the versions in force: a map
// lookup in memory. A malformed address is an error wrapping
// ErrMalformedAddress, unless the exact string is listed (lists hold a few
// strings that are not valid addresses; they still match verbatim).
func (s *Store) ScreenAddress(ctx context.Context, addr string) (*AddressResult, error) {
	idx := s.idx.Load()
	addr = strings.TrimSpace(addr)
	res := &AddressResult{Address: addr, ListVersion: idx.label, Matches: []Match{}}
	p, err := ParseAddress(addr)
	key := p.Normalized
	if err != nil {
		if _, listed := idx.m[addr]; !listed {
			return nil, err
		}
		key = addr
	}
	res.Matches = append(res.Matches, idx.m[key]...)
	res.verdict()
	return res, nil
}

// ScreenAddressAt screens against the named versions (read from the
// database, not the in-memory index).
func (s *Store) ScreenAddressAt(ctx context.Context, addr string, versionIDs ...int64) (*AddressResult, error) {
	if len(versionIDs) == 0 {
		return s.ScreenAddress(ctx, addr)
	}
	var vs []Version
	for _, id := range versionIDs {
		v, err := s.Version(ctx, id)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	addr = strings.TrimSpace(addr)
	res := &AddressResult{Address: addr, ListVersion: VersionLabel(vs), Matches: []Match{}}
	key := addr
	if p, err := ParseAddress(addr); err == nil {
		key = p.Normalized
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(versionIDs)), ",")
	args := []any{key}
	for _, id := range versionIDs {
		args = append(args, id)
	}
	ms, err := s.addressRows(ctx, "a.normalized = ? AND a.version_id IN ("+ph+")", args...)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		if _, perr := ParseAddress(addr); perr != nil {
			return nil, perr
		}
	}
	res.Matches = append(res.Matches, ms...)
	res.verdict()
	return res, nil
}

// verdict sets Sanctioned: a match on an official sanctions list.
func (r *AddressResult) verdict() {
	r.Sanctioned = false
	for _, m := range r.Matches {
		r.Sanctioned = r.Sanctioned || IsOfficial(m.List)
	}
}

// ErrNoEntity means no version in force lists the entity id.
var ErrNoEntity = errors.New("no such listed entity")

// EntityByID returns one listed party of the versions in force, with all
// the list states about it (crypto addresses included) and its version.
func (s *Store) EntityByID(ctx context.Context, id string) (*Entity, Version, error) {
	vs, err := s.InForce(ctx)
	if err != nil {
		return nil, Version{}, err
	}
	for _, v := range vs {
		var data string
		err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT data FROM sanctions_entities WHERE version_id = ? AND entity_id = ?`), v.ID, id).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, v, fmt.Errorf("sanctions: entity %s: %w", clip(id), err)
		}
		var e Entity
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return nil, v, fmt.Errorf("sanctions: entity %s in %s: %w", clip(id), v.Label(), err)
		}
		e.Category = e.CategoryOf()
		return &e, v, nil
	}
	return nil, Version{}, fmt.Errorf("%w: %q is not in the lists in force (%s)", ErrNoEntity, clip(id), VersionLabel(vs))
}

// ListedAddresses returns the number of distinct normalised addresses in the
// in-memory index.
func (s *Store) ListedAddresses() int { return len(s.idx.Load().m) }

// InForceLabel is the list_version string of the loaded index.
func (s *Store) InForceLabel() string { return s.idx.Load().label }

// ImportOptions tunes the refusal rules of Import.
type ImportOptions struct {
	// Force accepts a list that shrank below MinRatio of the version in force.
	Force bool
	// MinRatio is the smallest accepted entity count relative to the version
	// in force of the same list (default 0.9).
	MinRatio float64
}

// ErrSuspicious is wrapped when a list is refused as suspicious.
var ErrSuspicious = errors.New("suspicious list refused")

// Import stores a parsed list as a new version in one transaction and
// reloads the address index. It refuses an empty list, and one with fewer
// than MinRatio of the entities of the version in force (unless Force). When
// the source checksum equals the version in force, nothing is stored and the
// current version is returned with created == false.
func (s *Store) Import(ctx context.Context, p *Parsed, opts ImportOptions) (v Version, created bool, err error) {
	if opts.MinRatio == 0 {
		opts.MinRatio = 0.9
	}
	if len(p.Entities) == 0 {
		return v, false, fmt.Errorf("%w: %s: no entries found", ErrSuspicious, p.Source)
	}
	seen := map[string]bool{}
	for _, e := range p.Entities {
		if e.ID == "" {
			return v, false, fmt.Errorf("sanctions: %s: entity %q has no id", p.Source, clip(e.Name))
		}
		if len(e.ID) > maxIDBytes {
			return v, false, fmt.Errorf("sanctions: %s: entity id %q is longer than %d bytes", p.Source, clip(e.ID), maxIDBytes)
		}
		if seen[e.ID] {
			return v, false, fmt.Errorf("sanctions: %s: duplicate entity id %s", p.Source, clip(e.ID))
		}
		seen[e.ID] = true
	}

	v = Version{List: p.List, Source: p.Source, Format: p.Format, Published: p.Published,
		Imported: time.Now().UTC(), SHA256: p.SHA256, Entities: len(p.Entities), InForce: true}
	v.Addresses = p.UniqueAddresses()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return v, false, fmt.Errorf("sanctions: import: %w", err)
	}
	defer tx.Rollback()
	// The refusal rules read the version in force inside the transaction, so
	// two concurrent imports cannot both pass them against a stale count.
	cur, cerr := scanVersion(tx.QueryRowContext(ctx, s.db.Rebind(`SELECT `+versionCols+` FROM sanctions_versions WHERE list = ? ORDER BY id DESC LIMIT 1`), p.List))
	switch {
	case cerr == nil:
		if cur.SHA256 == p.SHA256 {
			cur.InForce = true
			return cur, false, nil
		}
		if float64(len(p.Entities)) < opts.MinRatio*float64(cur.Entities) && !opts.Force {
			return v, false, fmt.Errorf("%w: %s has %d entries, fewer than %.0f%% of the %d in force (%s); use --force if this is expected",
				ErrSuspicious, p.Source, len(p.Entities), opts.MinRatio*100, cur.Entities, cur.Label())
		}
	case !errors.Is(cerr, sql.ErrNoRows):
		return v, false, fmt.Errorf("sanctions: import: %w", cerr)
	}
	err = tx.QueryRowContext(ctx, s.db.Rebind(`INSERT INTO sanctions_versions (list, source, format, published, imported, sha256, entities, addresses)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		v.List, v.Source, v.Format, v.Published, v.Imported.Format(time.RFC3339Nano), v.SHA256, v.Entities, v.Addresses).Scan(&v.ID)
	if err != nil {
		return v, false, fmt.Errorf("sanctions: import: %w", err)
	}
	insE, err := tx.PrepareContext(ctx, s.db.Rebind(`INSERT INTO sanctions_entities (version_id, entity_id, type, name, data) VALUES (?, ?, ?, ?, ?)`))
	if err != nil {
		return v, false, fmt.Errorf("sanctions: import: %w", err)
	}
	defer insE.Close()
	insA, err := tx.PrepareContext(ctx, s.db.Rebind(`INSERT INTO sanctions_addresses (version_id, entity_id, ticker, address, normalized) VALUES (?, ?, ?, ?, ?)`))
	if err != nil {
		return v, false, fmt.Errorf("sanctions: import: %w", err)
	}
	defer insA.Close()
	for _, e := range p.Entities {
		data, err := json.Marshal(e)
		if err != nil {
			return v, false, fmt.Errorf("sanctions: import %s: %w", e.ID, err)
		}
		if _, err := insE.ExecContext(ctx, v.ID, e.ID, e.Type, e.Name, string(data)); err != nil {
			return v, false, fmt.Errorf("sanctions: import %s: %w", e.ID, err)
		}
		for _, c := range e.CryptoAddresses {
			if _, err := insA.ExecContext(ctx, v.ID, e.ID, c.Ticker, c.Address, c.Normalized); err != nil {
				return v, false, fmt.Errorf("sanctions: import %s address %s: %w", e.ID, c.Address, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return v, false, fmt.Errorf("sanctions: import commit: %w", err)
	}
	if err := s.Reload(ctx); err != nil {
		return v, true, err
	}
	return v, true, nil
}

// Parsed is a list read from its source files, ready for Import.
type Parsed struct {
	List      string
	Source    string
	Format    string
	Published string
	SHA256    string
	Entities  []Entity
	// Warnings are non-fatal findings (missing sibling files, addresses that
	// fail their checksum, …).
	Warnings []string
}

// UniqueAddresses counts distinct (ticker, address) pairs over all entities.
func (p *Parsed) UniqueAddresses() int {
	seen := map[[2]string]bool{}
	for _, e := range p.Entities {
		for _, c := range e.CryptoAddresses {
			seen[[2]string{c.Ticker, c.Address}] = true
		}
	}
	return len(seen)
}

// Field limits at import: far above any real entry (the longest OFAC or UN
// name is 165 bytes, alias 324, remarks 8.8 KB, 95 aliases), they keep one
// bad entry from stalling the name index or every screen. Longer fields are
// cut with a warning naming the entry.
const (
	maxNameBytes    = 1024
	maxRemarksBytes = 64 << 10
	maxFieldBytes   = 4096 // any other text field
	maxListItems    = 1000 // aliases, addresses, identifiers, dates, places, programs …
	maxIDBytes      = 256
	maxWarnings     = 100
)

// warn adds a warning, up to maxWarnings (then one saying how many more).
func (p *Parsed) warn(format string, args ...any) {
	switch n := len(p.Warnings); {
	case n < maxWarnings:
		p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
	case n == maxWarnings:
		p.Warnings = append(p.Warnings, "further warnings not shown")
	}
}

// capFields cuts over-long fields of e (see maxNameBytes) with a warning.
func (p *Parsed) capFields(e *Entity) {
	cut := func(field string, v *string, max int) {
		if len(*v) > max {
			p.warn("%s: %s of %d bytes cut to %d", clip(e.ID), field, len(*v), max)
			*v = truncUTF8(*v, max)
		}
	}
	cutAll := func(field string, vs *[]string, max int) {
		if len(*vs) > maxListItems {
			p.warn("%s: %d %s, kept the first %d", clip(e.ID), len(*vs), field, maxListItems)
			*vs = (*vs)[:maxListItems]
		}
		for i := range *vs {
			cut(field, &(*vs)[i], max)
		}
	}
	cut("name", &e.Name, maxNameBytes)
	if len(e.Aliases) > maxListItems {
		p.warn("%s: %d aliases, kept the first %d", clip(e.ID), len(e.Aliases), maxListItems)
		e.Aliases = e.Aliases[:maxListItems]
	}
	for i := range e.Aliases {
		cut("alias", &e.Aliases[i].Name, maxNameBytes)
	}
	cut("remarks", &e.Remarks, maxRemarksBytes)
	cut("listing date", &e.Listed, maxFieldBytes)
	cut("category", &e.Category, maxFieldBytes)
	cutAll("programs", &e.Programs, maxFieldBytes)
	cutAll("dates of birth", &e.DatesOfBirth, maxFieldBytes)
	cutAll("places of birth", &e.PlacesOfBirth, maxFieldBytes)
	cutAll("nationalities", &e.Nationalities, maxFieldBytes)
	if len(e.Addresses) > maxListItems {
		p.warn("%s: %d postal addresses, kept the first %d", clip(e.ID), len(e.Addresses), maxListItems)
		e.Addresses = e.Addresses[:maxListItems]
	}
	for i := range e.Addresses {
		a := &e.Addresses[i]
		for _, f := range []*string{&a.Street, &a.City, &a.State, &a.Postal, &a.Country, &a.Note} {
			cut("address", f, maxFieldBytes)
		}
	}
	if len(e.Identifiers) > maxListItems {
		p.warn("%s: %d identifiers, kept the first %d", clip(e.ID), len(e.Identifiers), maxListItems)
		e.Identifiers = e.Identifiers[:maxListItems]
	}
	for i := range e.Identifiers {
		for _, f := range []*string{&e.Identifiers[i].Type, &e.Identifiers[i].Number, &e.Identifiers[i].Country} {
			cut("identifier", f, maxFieldBytes)
		}
	}
}

// truncUTF8 cuts s to at most max bytes at a character boundary.
func truncUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// finish caps over-long fields, deduplicates crypto addresses per entity,
// fills Normalized and Countries, and sorts entities by id.
func (p *Parsed) finish() {
	for i := range p.Entities {
		e := &p.Entities[i]
		p.capFields(e)
		seen := map[[2]string]bool{}
		var cas []CryptoAddress
		for _, c := range e.CryptoAddresses {
			k := [2]string{c.Ticker, c.Address}
			if seen[k] {
				continue
			}
			seen[k] = true
			pa, err := ParseAddress(c.Address)
			if err != nil {
				p.warn("%s: %s address %q: %v (kept, matched verbatim)", clip(e.ID), c.Ticker, clip(c.Address), err)
				c.Normalized = strings.TrimSpace(c.Address)
			} else {
				c.Normalized = pa.Normalized
			}
			cas = append(cas, c)
		}
		e.CryptoAddresses = cas
		for _, a := range e.Addresses {
			if a.Country != "" && !slices.Contains(e.Countries, a.Country) {
				e.Countries = append(e.Countries, a.Country)
			}
		}
	}
	sort.SliceStable(p.Entities, func(i, j int) bool { return p.Entities[i].ID < p.Entities[j].ID })
}
