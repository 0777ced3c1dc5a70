package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// job is a claimed screening job.
type job struct {
	id, transferID int64
	gen            int
	reason         string
	attempts       int
	token          string
}

// claim reserves up to n due jobs for Lease. On PostgreSQL the rows are
// picked with FOR UPDATE SKIP LOCKED, so concurrent claimers (other
// processes) take disjoint jobs; on SQLite the write lock serialises claims.
// A job whose lease expired (its worker died) is due again.
func (s *Service) claim(ctx context.Context, n int) ([]job, error) {
	now := nowMS()
	token := newID()
	lock := ""
	if s.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var jobs []job
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE kyt_jobs SET lease_token = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM kyt_jobs WHERE run_after <= ? AND lease_until < ?
				ORDER BY run_after, id LIMIT ?`+lock+`)
			RETURNING id, transfer_id, gen, reason, attempts`),
			token, now+s.opt.Lease.Milliseconds(), now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j := job{token: token}
			if err := rows.Scan(&j.id, &j.transferID, &j.gen, &j.reason, &j.attempts); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("kyt: claim jobs: %w", err)
	}
	return jobs, nil
}

// retryDelay is the wait before the next attempt of a job that could not run:
// 1 s doubling to 5 minutes.
func retryDelay(attempts int) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// release gives a job back for a later attempt (the tx is not indexed yet,
// the chain is not available, an error), unless the lease was lost.
func (s *Service) release(ctx context.Context, j job, waiting bool, why string) error {
	w := 0
	if waiting {
		w = 1
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE kyt_jobs SET lease_token = '', lease_until = 0, run_after = ?,
			waiting = ?, last_error = ? WHERE id = ? AND lease_token = ?`),
			nowMS()+retryDelay(j.attempts).Milliseconds(), w, why, j.id, j.token)
		return err
	})
}

// RunWorkers screens queued transfers until ctx ends: a dispatcher claims
// due jobs (woken at once by this process's registrations, else every Poll)
// and hands them to Workers goroutines.
func (s *Service) RunWorkers(ctx context.Context) {
	jobs := make(chan job)
	var wg sync.WaitGroup
	for i := 0; i < s.opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := s.runJob(ctx, j); err != nil && ctx.Err() == nil {
					slog.Warn("kyt: screening failed; it will be retried", "job", j.id, "err", err)
				}
			}
		}()
	}
	defer func() { close(jobs); wg.Wait() }()
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		claimed, err := s.claim(ctx, s.opt.Workers*4)
		if err != nil && ctx.Err() == nil {
			slog.Warn("kyt: queue", "err", err)
		}
		for _, j := range claimed {
			select {
			case jobs <- j:
			case <-ctx.Done():
				return // the leases expire; another run takes them
			}
		}
		if len(claimed) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Drain screens every job that is due now with Workers goroutines and
// returns how many screenings were stored (for the CLI, without a server).
func (s *Service) Drain(ctx context.Context) (int, error) {
	before := s.screenings.Load()
	for {
		claimed, err := s.claim(ctx, s.opt.Workers*8)
		if err != nil || len(claimed) == 0 {
			return int(s.screenings.Load() - before), err
		}
		jobs := make(chan job)
		errs := make(chan error, s.opt.Workers)
		var wg sync.WaitGroup
		for i := 0; i < s.opt.Workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					if err := s.runJob(ctx, j); err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
			}()
		}
		for _, j := range claimed {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
		select {
		case err := <-errs:
			return int(s.screenings.Load() - before), err
		default:
		}
	}
}

// runJob screens one claimed job and commits the result.
func (s *Service) runJob(ctx context.Context, j job) error {
	t, err := s.transferWhere(ctx, "id = ?", j.transferID)
	if err != nil {
		return err
	}
	ref, err := ParseReference(t.TransferReference)
	if err != nil {
		return s.fail(ctx, j, t, err)
	}
	if s.opt.Chain == nil {
		return s.release(ctx, j, true, "no chain index")
	}
	c, err := s.opt.Chain()
	if err != nil {
		return s.release(ctx, j, true, "chain index not available: "+err.Error())
	}
	f, err := resolve(c, ref)
	switch {
	case errors.Is(err, errNotIndexed):
		return s.release(ctx, j, true, err.Error())
	case errors.Is(err, ErrBadInput):
		return s.fail(ctx, j, t, err)
	case err != nil:
		s.release(ctx, j, false, err.Error())
		return err
	}
	sub := subjectOf(t.Direction, f)
	var lines []Line
	for _, e := range s.opt.Exposers {
		ls, err := e.Exposure(ctx, sub)
		if err != nil {
			s.release(ctx, j, false, err.Error())
			return fmt.Errorf("exposure of %s: %w", t.ExternalID, err)
		}
		lines = append(lines, ls...)
	}
	lines = mergeLines(lines)
	rules := s.rules.Load()
	return s.commit(ctx, j, t, f, lines, rules, s.sources(ctx, c))
}

// sources records what a screening answered from: the exposers' data
// versions and the chain tip.
func (s *Service) sources(ctx context.Context, c Chain) string {
	var parts []string
	for _, e := range s.opt.Exposers {
		if v, ok := e.(Versioned); ok {
			parts = append(parts, v.Name()+"="+v.Version(ctx))
		}
	}
	if tip, ok := c.Tip(); ok {
		parts = append(parts, fmt.Sprintf("tip=%d", tip.Height))
	}
	return strings.Join(parts, ";")
}

// fail marks a transfer whose reference cannot be screened (a vout its tx
// does not have) and drops its job.
func (s *Service) fail(ctx context.Context, j job, t *Transfer, why error) error {
	msg := strings.TrimPrefix(why.Error(), ErrBadInput.Error()+": ")
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM kyt_jobs WHERE id = ? AND lease_token = ?`), j.id, j.token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // lease lost: the other worker decides
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE kyt_transfers SET status = ?, error = ? WHERE id = ?`), StatusFailed, msg, t.id)
		return err
	})
}

// alertKey identifies what an alert is about within one transfer.
type alertKey struct {
	cat, svc string
	typ      ExposureType
}

// errLeaseLost: another worker owns the job now; this result is dropped.
var errLeaseLost = errors.New("lease lost")

// commit stores a screening, the alerts it raises and their webhook outbox
// rows, in one transaction, if this worker still holds the job's lease.
// An alert is raised for a (category, service, exposure type) the transfer
// has no alert for yet, or when the level rises (linked to the earlier one).
func (s *Service) commit(ctx context.Context, j job, t *Transfer, f *txFacts, lines []Line, rules *Rules, sources string) error {
	now := time.Now()
	linesJSON, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	var raised []Alert
	err = s.write(ctx, func(tx *sql.Tx) error {
		raised = raised[:0]
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM kyt_jobs WHERE id = ? AND lease_token = ? AND gen = ?`), j.id, j.token, j.gen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A newer trigger arrived while screening (gen moved): keep the job for
			// another run; or the lease was lost: drop this result.
			res, err := tx.ExecContext(ctx, s.q(`UPDATE kyt_jobs SET lease_token = '', lease_until = 0 WHERE id = ? AND lease_token = ?`), j.id, j.token)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errLeaseLost
			}
		}
		var prev sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(id) FROM kyt_screenings WHERE transfer_id = ?`), t.id).Scan(&prev); err != nil {
			return err
		}
		var sid int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO kyt_screenings
			(transfer_id, previous_id, reason, rules_version, sources, worker, created_at, exposures)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			t.id, prev, j.reason, rules.Version, sources, s.opt.Worker, fmtTime(now), string(linesJSON)).Scan(&sid); err != nil {
			return err
		}
		// What the transfer has been alerted for already.
		have := map[alertKey]struct {
			rank int
			id   string
		}{}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT category, service, exposure_type, level_rank, alert_id FROM kyt_alerts
			WHERE transfer_id = ? ORDER BY id`), t.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k alertKey
			var typ, id string
			var rank int
			if err := rows.Scan(&k.cat, &k.svc, &typ, &rank, &id); err != nil {
				rows.Close()
				return err
			}
			k.typ = ExposureType(typ)
			h := have[k]
			h.id = id
			h.rank = max(h.rank, rank)
			have[k] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range lines {
			level, rule, ok := rules.Match(t.Direction, l)
			if !ok {
				continue
			}
			k := alertKey{l.Category, l.Entity, l.ExposureType}
			h, seen := have[k]
			if seen && h.rank >= level.Rank() {
				continue
			}
			a := Alert{AlertID: newID(), AlertLevel: level, Category: l.Category, Service: l.Entity, AlertAmount: l.Amount,
				ExposureType: l.ExposureType, Hops: l.Hops, Path: l.Path, Status: AlertOpen, CreatedAt: now.UTC(),
				ExternalID: t.ExternalID, UpdatedAt: now.UTC(), Rule: rule, ScreeningID: sid, PreviousAlertID: h.id}
			if a.Path == nil {
				a.Path = []string{}
			}
			path, _ := json.Marshal(a.Path)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kyt_alerts (alert_id, transfer_id, screening_id, previous_alert_id,
				level, level_rank, category, service, amount, exposure_type, hops, path, rule, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				a.AlertID, t.id, sid, a.PreviousAlertID, string(level), level.Rank(), a.Category, a.Service, a.AlertAmount,
				string(a.ExposureType), a.Hops, string(path), rule, AlertOpen, fmtTime(now), fmtTime(now)); err != nil {
				return err
			}
			detail := fmt.Sprintf("raised %s by rule %s (screening %d, %s)", level, rule, sid, j.reason)
			if a.PreviousAlertID != "" {
				detail += ", supersedes " + a.PreviousAlertID
			}
			if err := audit(ctx, s, tx, s.opt.Worker, "alert:"+a.AlertID, "raised", detail); err != nil {
				return err
			}
			have[k] = struct {
				rank int
				id   string
			}{level.Rank(), a.AlertID}
			raised = append(raised, a)
		}
		if err := s.enqueueWebhooks(ctx, tx, t, f, raised, now); err != nil {
			return err
		}
		var txTime any
		if !f.time.IsZero() {
			txTime = fmtTime(f.time)
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE kyt_transfers SET status = ?, error = '', amount = ?, tx_time = ?, height = ?,
			screened_at = ?, alerts = alerts + ? WHERE id = ?`),
			StatusScreened, f.amount, txTime, f.height, fmtTime(now), len(raised), t.id)
		return err
	})
	if errors.Is(err, errLeaseLost) {
		slog.Info("kyt: lease lost, result dropped", "transfer", t.ExternalID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("kyt: store screening of %s: %w", t.ExternalID, err)
	}
	s.screenings.Add(1)
	if len(raised) > 0 {
		s.notifyOutbox()
	}
	return nil
}

// audit appends one audit log entry inside tx.
func audit(ctx context.Context, s *Service, tx *sql.Tx, actor, object, action, detail string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO kyt_audit (at, actor, object, action, detail) VALUES (?, ?, ?, ?, ?)`),
		fmtTime(time.Now()), actor, object, action, detail)
	return err
}
