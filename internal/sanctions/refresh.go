package sanctions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// Scheduled refresh (`serve --refresh 24h`): each round runs Update for every
// configured source, so a bad download never replaces the last good list, and
// records the outcome in sanctions_refreshes, with the diff from the version
// it replaced when a new version came in.

var refreshMigrations = []store.Migration{{
	SQL: `CREATE TABLE sanctions_refreshes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	fetched    TEXT NOT NULL,
	source     TEXT NOT NULL,
	url        TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	from_id    INTEGER NOT NULL DEFAULT 0,
	to_id      INTEGER NOT NULL DEFAULT 0,
	error      TEXT NOT NULL DEFAULT '',
	diff       TEXT NOT NULL DEFAULT '');
`,
	Postgres: `CREATE TABLE sanctions_refreshes (
	id         BIGSERIAL PRIMARY KEY,
	fetched    TEXT NOT NULL,
	source     TEXT NOT NULL,
	url        TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	from_id    BIGINT NOT NULL DEFAULT 0,
	to_id      BIGINT NOT NULL DEFAULT 0,
	error      TEXT NOT NULL DEFAULT '',
	diff       TEXT NOT NULL DEFAULT '');
`,
}}

// Refresh outcomes.
const (
	RefreshImported  = "imported"  // a new version is in force
	RefreshUnchanged = "unchanged" // the list in force already holds this file
	RefreshRefused   = "refused"   // download or validation failed; nothing changed
)

// RefreshResult is one source's outcome in a refresh round.
type RefreshResult struct {
	ID      int64     `json:"id"`
	Fetched time.Time `json:"fetched"`
	Source  string    `json:"source"`
	URL     string    `json:"url"`
	Outcome string    `json:"outcome"`
	From    int64     `json:"from_id,omitempty"` // version in force before
	To      int64     `json:"to_id,omitempty"`   // version in force after
	Error   string    `json:"error,omitempty"`
	Diff    *Diff     `json:"diff,omitempty"` // From → To, when imported over an earlier version
}

// Refresh runs one round: Update for each request (Source, Format, URL,
// DataDir, Options), each outcome logged and kept in sanctions_refreshes.
func (s *Store) Refresh(ctx context.Context, reqs []UpdateRequest) ([]RefreshResult, error) {
	if err := s.db.Migrate(ctx, "sanctions_refresh", refreshMigrations); err != nil {
		return nil, err
	}
	var out []RefreshResult
	for _, req := range reqs {
		r := RefreshResult{Fetched: time.Now().UTC(), Source: req.Source, URL: req.URL}
		list := ListOFAC
		if req.Source == "un" {
			list = ListUN
		}
		if cur, err := s.Current(ctx, list); err == nil {
			r.From = cur.ID
		}
		v, created, err := s.Update(ctx, req)
		switch {
		case err != nil:
			r.Outcome, r.Error, r.To = RefreshRefused, err.Error(), r.From
			slog.Warn("list refresh refused; the version in force is unchanged", "source", req.Source, "url", req.URL, "err", err)
		case !created:
			r.Outcome, r.To = RefreshUnchanged, v.ID
			slog.Info("list refresh: unchanged", "source", req.Source, "version", v.Label())
		default:
			r.Outcome, r.To, r.URL = RefreshImported, v.ID, v.Source
			if r.From != 0 {
				d, derr := s.Diff(ctx, r.From, r.To)
				if d != nil {
					r.Diff = d
					slog.Info("list refresh: new version", "source", req.Source, "from", d.From.Label(), "to", d.To.Label(),
						"added", len(d.Added), "removed", len(d.Removed), "changed", len(d.Changed),
						"addresses_added", len(d.AddedAddresses), "addresses_removed", len(d.RemovedAddresses))
				} else {
					slog.Warn("list refresh: diff failed", "err", derr)
				}
			} else {
				slog.Info("list refresh: first version", "source", req.Source, "version", v.Label(), "entities", v.Entities)
			}
		}
		if r.URL == "" {
			r.URL = v.Source
		}
		diff := ""
		if r.Diff != nil {
			b, _ := json.Marshal(r.Diff)
			diff = string(b)
		}
		q := `INSERT INTO sanctions_refreshes (fetched, source, url, outcome, from_id, to_id, error, diff) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		args := []any{r.Fetched.Format(time.RFC3339Nano), r.Source, r.URL, r.Outcome, r.From, r.To, r.Error, diff}
		var err2 error
		if s.db.Dialect == store.Postgres {
			err2 = s.db.QueryRowContext(ctx, s.db.Rebind(q+` RETURNING id`), args...).Scan(&r.ID)
		} else {
			res, err := s.db.ExecContext(ctx, q, args...)
			if err2 = err; err == nil {
				r.ID, _ = res.LastInsertId()
			}
		}
		if err2 != nil {
			return out, fmt.Errorf("sanctions: record refresh: %w", err2)
		}
		out = append(out, r)
	}
	return out, nil
}

// Refreshes returns the recorded refresh outcomes, newest first, with their diffs.
func (s *Store) Refreshes(ctx context.Context, limit int) ([]RefreshResult, error) {
	if err := s.db.Migrate(ctx, "sanctions_refresh", refreshMigrations); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT id, fetched, source, url, outcome, from_id, to_id, error, diff
		FROM sanctions_refreshes ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("sanctions: refreshes: %w", err)
	}
	defer rows.Close()
	var out []RefreshResult
	for rows.Next() {
		var r RefreshResult
		var fetched, diff string
		if err := rows.Scan(&r.ID, &fetched, &r.Source, &r.URL, &r.Outcome, &r.From, &r.To, &r.Error, &diff); err != nil {
			return nil, fmt.Errorf("sanctions: refreshes: %w", err)
		}
		r.Fetched, _ = time.Parse(time.RFC3339Nano, fetched)
		if diff != "" {
			r.Diff = new(Diff)
			if err := json.Unmarshal([]byte(diff), r.Diff); err != nil {
				return nil, fmt.Errorf("sanctions: refresh %d: diff: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RunRefresh runs a refresh round at once and then every interval until ctx
// ends. done, when set, gets each round's results; a round cut short
// because ctx ended is not reported.
func (s *Store) RunRefresh(ctx context.Context, every time.Duration, reqs []UpdateRequest, done func([]RefreshResult, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := s.Refresh(ctx, reqs)
		if ctx.Err() != nil {
			return // stopped mid-round: the round's outcome is not reported
		}
		if err != nil {
			slog.Error("list refresh", "err", err)
		}
		if done != nil {
			done(res, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
