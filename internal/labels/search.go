package labels

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
)

// Label search matches.
const (
	MatchPrefix   = "prefix"   // the label starts with the query (an index range)
	MatchContains = "contains" // the query is anywhere in the label (a scan)
)

// Search limits.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 1000
	MaxSearchQuery     = 200 // bytes
)

// ErrSearch is wrapped by errors about a search's query, match, limit or cursor.
var ErrSearch = errors.New("bad label search")

// SearchOptions tune a label search.
type SearchOptions struct {
	Match string // MatchPrefix (default) or MatchContains
	Limit int    // labels per page: default DefaultSearchLimit, at most MaxSearchLimit
	After string // the Next of the previous page
}

// SearchResult is one page of a label search.
type SearchResult struct {
	Query  string  `json:"query"`
	Match  string  `json:"match"`
	Labels []Label `json:"labels"`
	// Next is the cursor of the following page ("after"); empty on the last.
	Next string `json:"next,omitempty"`
}

// foldLabel is the search key of a label or query: lower case (Unicode),
// surrounding space removed. The stored label_key column holds it.
func foldLabel(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// searchKey orders search results: the folded label, then the label's
// primary key. Compared byte-wise, in SQL (SQLite BINARY, PostgreSQL
// COLLATE "C") and in Go alike, so pages of stored and sanctions labels
// merge into one order.
type searchKey struct {
	Key      string `json:"k"`
	Address  string `json:"a"`
	Source   string `json:"s"`
	Label    string `json:"l"`
	Category string `json:"c"`
}

func keyOf(l *Label) searchKey {
	return searchKey{foldLabel(l.Label), l.Address, l.Source, l.Label, l.Category}
}

func (a searchKey) less(b searchKey) bool {
	switch {
	case a.Key != b.Key:
		return a.Key < b.Key
	case a.Address != b.Address:
		return a.Address < b.Address
	case a.Source != b.Source:
		return a.Source < b.Source
	case a.Label != b.Label:
		return a.Label < b.Label
	}
	return a.Category < b.Category
}

func (a searchKey) cursor() string {
	b, _ := json.Marshal(a)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(c string) (searchKey, error) {
	var k searchKey
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		return k, fmt.Errorf("%w: after %q: not a cursor of this search (pass the \"next\" of the previous page)", ErrSearch, clipQuery(c))
	}
	return k, nil
}

func clipQuery(s string) string {
	if len(s) <= 40 {
		return s
	}
	n := 40
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// matches reports whether the folded label key matches the folded query.
func matches(key, q, match string) bool {
	if match == MatchContains {
		return strings.Contains(key, q)
	}
	return strings.HasPrefix(key, q)
}

// Search finds the addresses whose label matches q, case-insensitively: a
// label starting with q (MatchPrefix, an index range over label_key) or
// holding it (MatchContains, a scan). Stored labels and the Bitcoin
// addresses of the sanctions lists in force (labelled with the listed name)
// are searched together, one page of at most Limit labels at a time, in the
// order of the folded label, then address.
func (s *Store) Search(ctx context.Context, q string, opts SearchOptions) (*SearchResult, error) {
	fq := foldLabel(q)
	switch {
	case fq == "":
		return nil, fmt.Errorf("%w: empty query", ErrSearch)
	case len(fq) > MaxSearchQuery:
		return nil, fmt.Errorf("%w: query of %d bytes: at most %d", ErrSearch, len(fq), MaxSearchQuery)
	case !utf8.ValidString(fq):
		return nil, fmt.Errorf("%w: query is not valid UTF-8", ErrSearch)
	}
	if opts.Match == "" {
		opts.Match = MatchPrefix
	}
	if opts.Match != MatchPrefix && opts.Match != MatchContains {
		return nil, fmt.Errorf("%w: match %q: want %s or %s", ErrSearch, opts.Match, MatchPrefix, MatchContains)
	}
	switch {
	case opts.Limit == 0:
		opts.Limit = DefaultSearchLimit
	case opts.Limit < 0 || opts.Limit > MaxSearchLimit:
		return nil, fmt.Errorf("%w: limit %d: want 1 to %d", ErrSearch, opts.Limit, MaxSearchLimit)
	}
	var after *searchKey
	if opts.After != "" {
		k, err := parseCursor(opts.After)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	// One more than a page from each source tells whether a next page exists.
	stored, err := s.searchStored(ctx, fq, opts.Match, after, opts.Limit+1)
	if err != nil {
		return nil, err
	}
	listed, err := s.searchListed(fq, opts.Match, after, opts.Limit+1)
	if err != nil {
		return nil, err
	}
	all := append(stored, listed...)
	sort.SliceStable(all, func(i, j int) bool { return keyOf(&all[i]).less(keyOf(&all[j])) })
	res := &SearchResult{Query: q, Match: opts.Match, Labels: all}
	if len(all) > opts.Limit {
		res.Labels = all[:opts.Limit]
		res.Next = keyOf(&res.Labels[opts.Limit-1]).cursor()
	}
	return res, nil
}

// searchStored reads up to n stored labels matching fq after the cursor.
func (s *Store) searchStored(ctx context.Context, fq, match string, after *searchKey, n int) ([]Label, error) {
	// PostgreSQL compares text by the database's collation unless told:
	// every ordered column is compared byte-wise, like SQLite's BINARY.
	c := func(col string) string {
		if s.db.Dialect == store.Postgres && col != "label_key" {
			return col + ` COLLATE "C"`
		}
		return col
	}
	var where []string
	var args []any
	if match == MatchContains {
		where = append(where, `label_key LIKE ? ESCAPE '!'`)
		args = append(args, "%"+likeEscape(fq)+"%")
	} else {
		// A prefix is the range [fq, fq+U+10FFFF): every valid UTF-8 string
		// starting with fq sorts inside it byte-wise.
		where = append(where, `label_key >= ?`, `label_key < ?`)
		args = append(args, fq, fq+"\U0010FFFF")
	}
	if after != nil {
		where = append(where, `(label_key, `+c("address")+`, `+c("source")+`, `+c("label")+`, `+c("category")+`) > (?, ?, ?, ?, ?)`)
		args = append(args, after.Key, after.Address, after.Source, after.Label, after.Category)
	}
	q := `SELECT ` + labelCols + ` FROM labels WHERE ` + strings.Join(where, ` AND `) +
		` ORDER BY label_key, ` + c("address") + `, ` + c("source") + `, ` + c("label") + `, ` + c("category") +
		fmt.Sprintf(` LIMIT %d`, n)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("labels: search: %w", err)
	}
	defer rows.Close()
	out := []Label{}
	for rows.Next() {
		l, err := scanLabel(rows)
		if err != nil {
			return nil, fmt.Errorf("labels: search: %w", err)
		}
		// The range admits a string whose next character is U+10FFFF itself.
		if matches(foldLabel(l.Label), fq, match) {
			out = append(out, l)
		}
	}
	return out, rows.Err()
}

// likeEscape escapes LIKE's wildcards with '!'.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// sanctionsLabels are the labels of the sanctions lists in force, in search
// order, kept until the lists in force change.
type sanctionsLabels struct {
	sanc   *sanctions.Store
	stamp  string
	labels []Label
	keys   []searchKey
}

// listedLabels returns the search view of the lists in force.
func (s *Store) listedLabels() *sanctionsLabels {
	sanc := s.sanc.Load()
	if sanc == nil {
		return &sanctionsLabels{}
	}
	stamp := sanc.InForceLabel()
	if cur := s.sancLabels.Load(); cur != nil && cur.sanc == sanc && cur.stamp == stamp {
		return cur
	}
	sl := &sanctionsLabels{sanc: sanc, stamp: stamp}
	sanc.EachListed(func(key string, ms []sanctions.Match) {
		addr, _, err := CanonicalAddress(key, s.params)
		if err != nil { // another chain's address, or another network's
			return
		}
		sl.labels = append(sl.labels, s.sanctionLabels(addr, ms)...)
	})
	sort.Slice(sl.labels, func(i, j int) bool { return keyOf(&sl.labels[i]).less(keyOf(&sl.labels[j])) })
	sl.keys = make([]searchKey, len(sl.labels))
	for i := range sl.labels {
		sl.keys[i] = keyOf(&sl.labels[i])
	}
	s.sancLabels.Store(sl)
	return sl
}

// searchListed returns up to n sanctions labels matching fq after the cursor.
func (s *Store) searchListed(fq, match string, after *searchKey, n int) ([]Label, error) {
	sl := s.listedLabels()
	i := 0
	if after != nil {
		i = sort.Search(len(sl.keys), func(i int) bool { return after.less(sl.keys[i]) })
	} else if match == MatchPrefix {
		i = sort.Search(len(sl.keys), func(i int) bool { return sl.keys[i].Key >= fq })
	}
	out := []Label{}
	for ; i < len(sl.keys) && len(out) < n; i++ {
		k := sl.keys[i].Key
		if match == MatchPrefix && k > fq && !strings.HasPrefix(k, fq) {
			break // past the prefix range
		}
		if matches(k, fq, match) {
			out = append(out, sl.labels[i])
		}
	}
	return out, nil
}

// backfillKeys fills label_key for labels stored before the column existed
// (migration 2), in batches; a no-op once done.
func (s *Store) backfillKeys(ctx context.Context) error {
	sel := s.db.Rebind(`SELECT address, source, label, category FROM labels WHERE label_key = '' AND label <> '' LIMIT 1000`)
	upd := s.db.Rebind(`UPDATE labels SET label_key = ? WHERE address = ? AND source = ? AND label = ? AND category = ?`)
	for {
		rows, err := s.db.QueryContext(ctx, sel)
		if err != nil {
			return fmt.Errorf("labels: fill search keys: %w", err)
		}
		var batch [][4]string
		for rows.Next() {
			var r [4]string
			if err := rows.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
				rows.Close()
				return fmt.Errorf("labels: fill search keys: %w", err)
			}
			batch = append(batch, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("labels: fill search keys: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("labels: fill search keys: %w", err)
		}
		for _, r := range batch {
			key := foldLabel(r[2])
			if key == "" { // a label of spaces only: any non-empty key keeps it out of the next batch
				key = " "
			}
			if _, err := tx.ExecContext(ctx, upd, key, r[0], r[1], r[2], r[3]); err != nil {
				tx.Rollback()
				return fmt.Errorf("labels: fill search keys: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("labels: fill search keys: %w", err)
		}
	}
}
