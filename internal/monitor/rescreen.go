package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// RescreenFilter selects the screened transfers to screen again; the zero
// value selects all of them.
type RescreenFilter struct {
	ExternalID string    // one transfer
	Since      time.Time // registered at or after
}

// Rescreen queues the selected screened transfers for another screening
// (reason is recorded with it) and returns how many were queued. A
// transfer already queued keeps one job, marked to run again.
func (s *Service) Rescreen(ctx context.Context, f RescreenFilter, reason string) (int64, error) {
	where, args := "status = ?", []any{StatusScreened}
	if f.ExternalID != "" {
		if _, err := s.Transfer(ctx, f.ExternalID); err != nil {
			return 0, err
		}
		where, args = where+" AND external_id = ?", append(args, f.ExternalID)
	}
	if !f.Since.IsZero() {
		where, args = where+" AND created_at >= ?", append(args, fmtTime(f.Since))
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO kyt_jobs (transfer_id, reason, run_after)
			SELECT id, ?, ? FROM kyt_transfers WHERE `+where+`
			ON CONFLICT (transfer_id) DO UPDATE SET gen = kyt_jobs.gen + 1, reason = excluded.reason, run_after = excluded.run_after`),
			append([]any{reason, nowMS()}, args...)...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return audit(ctx, s, tx, s.opt.Worker, "rescreen", "queued", fmt.Sprintf("%d transfers: %s", n, reason))
	})
	if err != nil {
		return 0, fmt.Errorf("kyt: rescreen: %w", err)
	}
	s.notify()
	return n, nil
}

// swapState sets state name from old to new if it still holds old (or
// creates it when absent, reporting created). Only one of several processes
// seeing the same change wins the swap and acts on it.
func (s *Service) swapState(ctx context.Context, name, old, new string) (swapped, created bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, s.q(`SELECT value FROM kyt_state WHERE name = ?`), name).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO kyt_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, new)
			created = true
			return err
		}
		if err != nil || cur != old {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE kyt_state SET value = ? WHERE name = ? AND value = ?`), new, name, old)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		swapped = k == 1
		return nil
	})
	return
}

func (s *Service) state(ctx context.Context, name string) (string, bool) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM kyt_state WHERE name = ?`), name).Scan(&v)
	return v, err == nil
}

// CheckTriggers looks once for what changes the answers: a new rules
// version (reloaded), a new version of an exposer's data (a list version, a
// label import: every screened transfer is queued again), new blocks
// (pending transfers waiting for their tx are retried; with
// RescreenOnBlocks the recent transfers are screened again).
func (s *Service) CheckTriggers(ctx context.Context) error {
	if err := s.loadRules(ctx); err != nil {
		return err
	}
	for _, e := range s.opt.Exposers {
		v, ok := e.(Versioned)
		if !ok {
			continue
		}
		name, ver := "version:"+v.Name(), v.Version(ctx)
		if ver == VersionUnavailable {
			continue
		}
		old, found := s.state(ctx, name)
		if found && old == ver {
			continue
		}
		swapped, _, err := s.swapState(ctx, name, old, ver)
		if err != nil {
			return err
		}
		if swapped {
			n, err := s.Rescreen(ctx, RescreenFilter{}, fmt.Sprintf("%s %s → %s", v.Name(), old, ver))
			if err != nil {
				return err
			}
			slog.Info("kyt: re-screening after a data change", "source", v.Name(), "from", old, "to", ver, "transfers", n)
		}
	}
	if s.opt.Chain == nil {
		return nil
	}
	c, err := s.opt.Chain()
	if err != nil {
		return nil // not available now: nothing to retry against
	}
	tip, ok := c.Tip()
	if !ok {
		return nil
	}
	h := strconv.FormatInt(tip.Height, 10)
	old, found := s.state(ctx, "tip")
	if found && old == h {
		return nil
	}
	swapped, created, err := s.swapState(ctx, "tip", old, h)
	if err != nil {
		return err
	}
	// Every process retries its view of the waiting jobs (the index copies may differ).
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE kyt_jobs SET run_after = 0 WHERE waiting = 1`)
		return err
	}); err != nil {
		return err
	}
	s.notify()
	if swapped && !created && s.opt.RescreenOnBlocks > 0 {
		if _, err := s.Rescreen(ctx, RescreenFilter{Since: time.Now().Add(-s.opt.RescreenOnBlocks)},
			fmt.Sprintf("blocks: tip %s → %s", old, h)); err != nil {
			return err
		}
	}
	return nil
}

// Run serves the monitor until ctx ends: the screening workers, the webhook
// deliverer and the triggers (checked every `every`).
func (s *Service) Run(ctx context.Context, every time.Duration) {
	for _, e := range s.opt.Exposers {
		if w, ok := e.(Warmer); ok {
			if err := w.Warm(ctx); err != nil && ctx.Err() == nil {
				slog.Info("kyt: exposure cache not warmed (built on first use)", "err", err)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.RunWorkers(ctx) }()
	go func() { defer wg.Done(); s.RunWebhooks(ctx) }()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.CheckTriggers(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("kyt: triggers", "err", err)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}
