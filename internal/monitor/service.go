package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/chaintrace/chaintrace/internal/store"
)

// Options configure a Service. Zero values get the defaults.
type Options struct {
	// Chain gives the chain index; nil means none (transfers stay pending).
	Chain ChainSource
	// Exposers find the exposure lines; their Versioned ones trigger re-screening.
	Exposers []Exposer
	// Workers screening in parallel (default 4).
	Workers int
	// Lease is how long a claimed job is reserved for a worker; a worker that
	// dies leaves it to be claimed again after this (default 30 s).
	Lease time.Duration
	// Poll is how often idle workers look at the queue for jobs other
	// processes registered (default 200 ms; this process's own registrations
	// wake them at once).
	Poll time.Duration
	// Webhook, when URL is set, receives a signed POST for every new alert.
	Webhook Webhook
	// Worker names this process in the store (default host:pid).
	Worker string
	// RescreenOnBlocks re-screens the transfers registered within this long
	// when new blocks arrive (0: new blocks only retry the pending ones).
	RescreenOnBlocks time.Duration
}

// Service is the KYT monitor over one SQL store. Safe for concurrent use;
// several Services (in several processes) may share a PostgreSQL store.
type Service struct {
	db   *store.DB
	opt  Options
	wake chan struct{}
	// outWake wakes this process's webhook deliverer.
	outWake chan struct{}

	// wmu serialises this process's write transactions on SQLite (one writer
	// at a time anyway; waiting here beats SQLite's sleeping busy handler).
	wmu sync.Mutex

	rules      atomic.Pointer[Rules]
	screenings atomic.Int64 // screenings committed by this Service
}

// New opens the monitor over db, applying its migrations.
func New(ctx context.Context, db *store.DB, opt Options) (*Service, error) {
	if err := db.Migrate(ctx, "monitor", migrations); err != nil {
		return nil, err
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Lease <= 0 {
		opt.Lease = 30 * time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 200 * time.Millisecond
	}
	if opt.Worker == "" {
		host, _ := os.Hostname()
		opt.Worker = host + ":" + strconv.Itoa(os.Getpid())
	}
	if opt.Webhook.Timeout <= 0 {
		opt.Webhook.Timeout = 10 * time.Second
	}
	s := &Service{db: db, opt: opt, wake: make(chan struct{}, 1), outWake: make(chan struct{}, 1)}
	if err := s.loadRules(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// DB returns the store the service uses.
func (s *Service) DB() *store.DB { return s.db }

// Screenings returns how many screenings this Service committed.
func (s *Service) Screenings() int64 { return s.screenings.Load() }

func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// write runs fn in a transaction (serialised in-process on SQLite).
func (s *Service) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.db.Dialect == store.SQLite {
		s.wmu.Lock()
		defer s.wmu.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Service) q(query string) string { return s.db.Rebind(query) }

func nowMS() int64 { return time.Now().UnixMilli() }

// RegisterRequest is the body of POST /v1/kyt/users/{userId}/transfers.
type RegisterRequest struct {
	Network           string `json:"network"`
	Asset             string `json:"asset"`
	TransferReference string `json:"transferReference"`
	Direction         string `json:"direction"`
}

// checkUserID accepts 1–200 printable characters.
func checkUserID(u string) error {
	if u == "" || len(u) > 200 || strings.IndexFunc(u, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return badInput("userId %q: want 1 to 200 printable characters", u)
	}
	return nil
}

// Register records a transfer and queues its screening. The same reference,
// user and direction registered again returns the first registration
// (created false). A reference the indexed tx does not have is refused.
func (s *Service) Register(ctx context.Context, userID string, req RegisterRequest) (*Transfer, bool, error) {
	if err := checkUserID(userID); err != nil {
		return nil, false, err
	}
	if err := checkNetworkAsset(req.Network, req.Asset); err != nil {
		return nil, false, err
	}
	dir, err := ParseDirection(req.Direction)
	if err != nil {
		return nil, false, err
	}
	ref, err := ParseReference(req.TransferReference)
	if err != nil {
		return nil, false, err
	}
	if isBech32(ref.Address) {
		ref.Address = strings.ToLower(ref.Address)
	}
	// When the tx is already indexed, a reference it does not have is refused now.
	if s.opt.Chain != nil {
		if c, err := s.opt.Chain(); err == nil {
			if _, err := resolve(c, ref); errors.Is(err, ErrBadInput) {
				return nil, false, err
			}
		}
	}
	t := &Transfer{ExternalID: newID(), UserID: userID, TransferReference: ref.String(), Direction: dir,
		Status: StatusPending, Asset: AssetBTC}
	now := time.Now()
	created := false
	err = s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO kyt_transfers
			(external_id, user_id, network, asset, reference, direction, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, reference, direction) DO NOTHING RETURNING id`),
			t.ExternalID, userID, NetworkBitcoin, AssetBTC, t.TransferReference, string(dir), StatusPending, fmtTime(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // registered before
		}
		if err != nil {
			return err
		}
		created = true
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO kyt_jobs (transfer_id, reason, run_after) VALUES (?, ?, ?)`),
			id, "registered", 0)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("kyt: register: %w", err)
	}
	if !created {
		old, err := s.transferWhere(ctx, "user_id = ? AND reference = ? AND direction = ?", userID, t.TransferReference, string(dir))
		return old, false, err
	}
	s.notify()
	return t, true, nil
}

const transferCols = `id, external_id, user_id, reference, direction, status, error, amount, tx_time, screened_at, alerts`

func scanTransfer(sc interface{ Scan(...any) error }) (*Transfer, error) {
	var t Transfer
	var amount sql.NullInt64
	var txTime, screened sql.NullString
	var dir string
	if err := sc.Scan(&t.id, &t.ExternalID, &t.UserID, &t.TransferReference, &dir, &t.Status, &t.Error,
		&amount, &txTime, &screened, &t.Alerts); err != nil {
		return nil, err
	}
	t.Direction = Direction(dir)
	t.Asset = AssetBTC
	if amount.Valid {
		t.AssetAmount = &amount.Int64
	}
	if txTime.Valid {
		tt := parseTime(txTime.String)
		t.Timestamp = &tt
	}
	if screened.Valid {
		st := parseTime(screened.String)
		t.ScreenedAt = &st
	}
	return &t, nil
}

func (s *Service) transferWhere(ctx context.Context, where string, args ...any) (*Transfer, error) {
	t, err := scanTransfer(s.db.QueryRowContext(ctx, s.q(`SELECT `+transferCols+` FROM kyt_transfers WHERE `+where), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("kyt: read transfer: %w", err)
	}
	return t, nil
}

// Transfer returns one transfer by its externalId.
func (s *Service) Transfer(ctx context.Context, externalID string) (*Transfer, error) {
	t, err := s.transferWhere(ctx, "external_id = ?", externalID)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: transfer %q", ErrNotFound, externalID)
	}
	return t, err
}

// TransferAlerts returns a transfer's alerts, oldest first.
func (s *Service) TransferAlerts(ctx context.Context, externalID string) ([]Alert, error) {
	t, err := s.Transfer(ctx, externalID)
	if err != nil {
		return nil, err
	}
	return s.alertsWhere(ctx, "a.transfer_id = ? ORDER BY a.id", t.id)
}

// Exposures is the answer of GET /v1/kyt/transfers/{externalId}/exposures:
// the lines of the latest screening.
type Exposures struct {
	ExternalID  string     `json:"externalId"`
	ScreeningID int64      `json:"screeningId"`
	ScreenedAt  *time.Time `json:"screenedAt"`
	Reason      string     `json:"reason"`
	Sources     string     `json:"sources"`
	Rules       int64      `json:"rulesVersion"`
	Direct      []Line     `json:"direct"`
	Indirect    []Line     `json:"indirect"`
}

// TransferExposures returns the exposure lines of a transfer's latest screening.
func (s *Service) TransferExposures(ctx context.Context, externalID string) (*Exposures, error) {
	t, err := s.Transfer(ctx, externalID)
	if err != nil {
		return nil, err
	}
	e := &Exposures{ExternalID: externalID, Direct: []Line{}, Indirect: []Line{}}
	var created, lines string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT id, created_at, reason, sources, rules_version, exposures
		FROM kyt_screenings WHERE transfer_id = ? ORDER BY id DESC LIMIT 1`), t.id).
		Scan(&e.ScreeningID, &created, &e.Reason, &e.Sources, &e.Rules, &lines)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil // not screened yet
	}
	if err != nil {
		return nil, fmt.Errorf("kyt: read screening: %w", err)
	}
	at := parseTime(created)
	e.ScreenedAt = &at
	var all []Line
	if err := json.Unmarshal([]byte(lines), &all); err != nil {
		return nil, fmt.Errorf("kyt: screening %d: %w", e.ScreeningID, err)
	}
	for _, l := range all {
		if l.ExposureType == Direct {
			e.Direct = append(e.Direct, l)
		} else {
			e.Indirect = append(e.Indirect, l)
		}
	}
	return e, nil
}

// Counts summarises the store: transfers by status, queued jobs, alerts.
type Counts struct {
	Transfers map[string]int `json:"transfers"`
	Queued    int            `json:"queued"`
	Alerts    int            `json:"alerts"`
	Outbox    map[string]int `json:"outbox"`
}

// Counts returns the store's counts.
func (s *Service) Counts(ctx context.Context) (*Counts, error) {
	c := &Counts{Transfers: map[string]int{}, Outbox: map[string]int{}}
	group := func(query string, m map[string]int) error {
		rows, err := s.db.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			m[k] = n
		}
		return rows.Err()
	}
	if err := group(`SELECT status, COUNT(*) FROM kyt_transfers GROUP BY status`, c.Transfers); err != nil {
		return nil, err
	}
	if err := group(`SELECT status, COUNT(*) FROM kyt_outbox GROUP BY status`, c.Outbox); err != nil {
		return nil, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM kyt_jobs`).Scan(&c.Queued); err != nil {
		return nil, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM kyt_alerts`).Scan(&c.Alerts); err != nil {
		return nil, err
	}
	return c, nil
}
