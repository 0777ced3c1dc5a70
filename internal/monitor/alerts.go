package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

const alertCols = `a.alert_id, a.level, a.category, a.service, a.amount, a.exposure_type, a.hops, a.path, a.status,
	a.created_at, t.external_id, a.assignee, a.updated_at, a.rule, a.screening_id, a.previous_alert_id`

func (s *Service) alertsWhere(ctx context.Context, where string, args ...any) ([]Alert, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+alertCols+` FROM kyt_alerts a
		JOIN kyt_transfers t ON t.id = a.transfer_id WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("kyt: read alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		var level, typ, path, created, updated string
		if err := rows.Scan(&a.AlertID, &level, &a.Category, &a.Service, &a.AlertAmount, &typ, &a.Hops, &path, &a.Status,
			&created, &a.ExternalID, &a.Assignee, &updated, &a.Rule, &a.ScreeningID, &a.PreviousAlertID); err != nil {
			return nil, fmt.Errorf("kyt: read alerts: %w", err)
		}
		a.AlertLevel, a.ExposureType = Level(level), ExposureType(typ)
		a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
		if err := json.Unmarshal([]byte(path), &a.Path); err != nil || a.Path == nil {
			a.Path = []string{}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AlertFilter selects alerts for GET /v1/kyt/alerts.
type AlertFilter struct {
	Level         Level
	Status        string
	CreatedAtGTE  time.Time
	CreatedAtLTE  time.Time
	Limit, Offset int
}

// AlertPage is one page of alerts, newest first.
type AlertPage struct {
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
	Data   []Alert `json:"data"`
}

// CheckAlertStatus accepts open, in_review or closed.
func CheckAlertStatus(st string) error {
	switch st {
	case AlertOpen, AlertInReview, AlertClosed:
		return nil
	}
	return badInput("status %q: want open, in_review or closed", st)
}

// Alerts lists alerts matching f, newest first, with the total count.
func (s *Service) Alerts(ctx context.Context, f AlertFilter) (*AlertPage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, badInput("limit %d: at most 1000", f.Limit)
	}
	if f.Offset < 0 {
		return nil, badInput("offset %d: must be ≥ 0", f.Offset)
	}
	var conds []string
	var args []any
	if f.Level != "" {
		conds, args = append(conds, "a.level = ?"), append(args, string(f.Level))
	}
	if f.Status != "" {
		if err := CheckAlertStatus(f.Status); err != nil {
			return nil, err
		}
		conds, args = append(conds, "a.status = ?"), append(args, f.Status)
	}
	if !f.CreatedAtGTE.IsZero() {
		conds, args = append(conds, "a.created_at >= ?"), append(args, fmtTime(f.CreatedAtGTE))
	}
	if !f.CreatedAtLTE.IsZero() {
		conds, args = append(conds, "a.created_at <= ?"), append(args, fmtTime(f.CreatedAtLTE))
	}
	where := "1 = 1"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	p := &AlertPage{Limit: f.Limit, Offset: f.Offset}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM kyt_alerts a WHERE `+where), args...).Scan(&p.Total); err != nil {
		return nil, fmt.Errorf("kyt: count alerts: %w", err)
	}
	data, err := s.alertsWhere(ctx, where+" ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	p.Data = data
	return p, nil
}

// Alert returns one alert with its notes.
func (s *Service) Alert(ctx context.Context, alertID string) (*Alert, error) {
	as, err := s.alertsWhere(ctx, "a.alert_id = ?", alertID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("%w: alert %q", ErrNotFound, alertID)
	}
	a := &as[0]
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT author, text, created_at FROM kyt_alert_notes WHERE alert_id = ? ORDER BY id`), alertID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n AlertNote
		var created string
		if err := rows.Scan(&n.Author, &n.Text, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = parseTime(created)
		a.Notes = append(a.Notes, n)
	}
	return a, rows.Err()
}

// AlertUpdate is the body of PATCH /v1/kyt/alerts/{alertId}; absent fields
// are left as they are.
type AlertUpdate struct {
	Status   *string `json:"status"`
	Assignee *string `json:"assignee"`
	Note     *string `json:"note"`
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Object string    `json:"object"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
}

func checkText(field, v string, max int) error {
	if len(v) > max || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return badInput("%s: at most %d characters, no control characters", field, max)
	}
	return nil
}

// UpdateAlert changes an alert's status and assignee and adds a note; every
// change goes into the audit log under actor.
func (s *Service) UpdateAlert(ctx context.Context, alertID string, u AlertUpdate, actor string) (*Alert, error) {
	if u.Status == nil && u.Assignee == nil && u.Note == nil {
		return nil, badInput("nothing to change: give status, assignee or note")
	}
	if u.Status != nil {
		if err := CheckAlertStatus(*u.Status); err != nil {
			return nil, err
		}
	}
	if u.Assignee != nil {
		if err := checkText("assignee", *u.Assignee, 200); err != nil {
			return nil, err
		}
	}
	if u.Note != nil {
		if strings.TrimSpace(*u.Note) == "" {
			return nil, badInput("note: empty")
		}
		if err := checkText("note", *u.Note, 10000); err != nil {
			return nil, err
		}
	}
	if actor == "" {
		actor = "unknown"
	}
	now := fmtTime(time.Now())
	err := s.write(ctx, func(tx *sql.Tx) error {
		var status, assignee string
		err := tx.QueryRowContext(ctx, s.q(`SELECT status, assignee FROM kyt_alerts WHERE alert_id = ?`), alertID).Scan(&status, &assignee)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: alert %q", ErrNotFound, alertID)
		}
		if err != nil {
			return err
		}
		obj := "alert:" + alertID
		if u.Status != nil && *u.Status != status {
			if err := audit(ctx, s, tx, actor, obj, "status", status+" → "+*u.Status); err != nil {
				return err
			}
			status = *u.Status
		}
		if u.Assignee != nil && *u.Assignee != assignee {
			if err := audit(ctx, s, tx, actor, obj, "assignee", fmt.Sprintf("%q → %q", assignee, *u.Assignee)); err != nil {
				return err
			}
			assignee = *u.Assignee
		}
		if u.Note != nil {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kyt_alert_notes (alert_id, author, text, created_at) VALUES (?, ?, ?, ?)`),
				alertID, actor, *u.Note, now); err != nil {
				return err
			}
			if err := audit(ctx, s, tx, actor, obj, "note", *u.Note); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE kyt_alerts SET status = ?, assignee = ?, updated_at = ? WHERE alert_id = ?`),
			status, assignee, now, alertID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Alert(ctx, alertID)
}

// Audit returns the audit log of one object ("alert:ID", "rules:N"), or all
// of it when object is empty, oldest first.
func (s *Service) Audit(ctx context.Context, object string) ([]AuditEntry, error) {
	q, args := `SELECT at, actor, object, action, detail FROM kyt_audit ORDER BY id`, []any{}
	if object != "" {
		q, args = `SELECT at, actor, object, action, detail FROM kyt_audit WHERE object = ? ORDER BY id`, []any{object}
	}
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.Object, &e.Action, &e.Detail); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
