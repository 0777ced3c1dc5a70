package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RulesVersion describes a stored rules version.
type RulesVersion struct {
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	Author    string    `json:"author"`
	Source    string    `json:"source"`
	SHA256    string    `json:"sha256"`
	Rules     int       `json:"rules"`
}

// Rules returns the rules in force.
func (s *Service) Rules() *Rules { return s.rules.Load() }

// loadRules loads the newest stored rules version (the defaults when none).
func (s *Service) loadRules(ctx context.Context) error {
	var id int64
	var source, text string
	err := s.db.QueryRowContext(ctx, `SELECT id, source, text FROM kyt_rules ORDER BY id DESC LIMIT 1`).Scan(&id, &source, &text)
	if errors.Is(err, sql.ErrNoRows) {
		if cur := s.rules.Load(); cur == nil || cur.Version != 0 {
			s.rules.Store(DefaultRules())
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("kyt: read rules: %w", err)
	}
	if cur := s.rules.Load(); cur != nil && cur.Version == id {
		return nil
	}
	rs, err := ParseRules(source, []byte(text))
	if err != nil {
		return fmt.Errorf("kyt: stored rules version %d no longer validate: %w", id, err)
	}
	rs.Version = id
	s.rules.Store(rs)
	return nil
}

// SetRules validates a rules file and stores it as the new version in force.
// Invalid rules are refused (ErrBadInput, naming the line) and the rules in
// force stay. Text identical to the version in force stores nothing.
func (s *Service) SetRules(ctx context.Context, source string, text []byte, author string) (RulesVersion, bool, error) {
	rs, err := ParseRules(source, text)
	if err != nil {
		return RulesVersion{}, false, err
	}
	if err := s.loadRules(ctx); err != nil {
		return RulesVersion{}, false, err
	}
	if cur := s.rules.Load(); cur.SHA256 == rs.SHA256 && cur.Version > 0 {
		return RulesVersion{Version: cur.Version, SHA256: cur.SHA256, Source: source, Author: author, Rules: len(cur.Rules)}, false, nil
	}
	now := time.Now()
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO kyt_rules (created_at, author, source, sha256, text)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), fmtTime(now), author, source, rs.SHA256, string(text)).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, s, tx, author, fmt.Sprintf("rules:%d", id), "set",
			fmt.Sprintf("%d rules from %s, sha256 %s", len(rs.Rules), source, rs.SHA256))
	})
	if err != nil {
		return RulesVersion{}, false, fmt.Errorf("kyt: store rules: %w", err)
	}
	rs.Version = id
	s.rules.Store(rs)
	return RulesVersion{Version: id, CreatedAt: now.UTC(), Author: author, Source: source, SHA256: rs.SHA256, Rules: len(rs.Rules)}, true, nil
}

// RulesVersions lists the stored rules versions, oldest first.
func (s *Service) RulesVersions(ctx context.Context) ([]RulesVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, created_at, author, source, sha256, text FROM kyt_rules ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RulesVersion
	for rows.Next() {
		var v RulesVersion
		var created, text string
		if err := rows.Scan(&v.Version, &created, &v.Author, &v.Source, &v.SHA256, &text); err != nil {
			return nil, err
		}
		v.CreatedAt = parseTime(created)
		if rs, err := ParseRules(v.Source, []byte(text)); err == nil {
			v.Rules = len(rs.Rules)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
