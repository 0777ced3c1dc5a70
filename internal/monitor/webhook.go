package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaintrace/chaintrace/internal/store"
)

// Webhook configures alert delivery: every new alert is POSTed to URL as
// JSON, signed with HMAC-SHA256 over "TIMESTAMP.BODY" with Secret in the
// header SignatureHeader ("t=TIMESTAMP,v1=HEX"). Deliveries come from a
// durable outbox: a failed or hanging endpoint (Timeout) is retried with
// exponential backoff and never holds up screening.
type Webhook struct {
	URL     string
	Secret  string
	Timeout time.Duration // per attempt (default 10 s)
	// MaxAttempts before a delivery is marked dead (default 20, about a day of backoff).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after each
	// further one up to an hour (default 2 s).
	Backoff time.Duration
	// Client overrides the HTTP client (tests).
	Client *http.Client
}

// Header names of a webhook delivery.
const (
	SignatureHeader = "X-Chaintrace-Signature"
	DeliveryHeader  = "X-Chaintrace-Delivery"
)

// Outbox statuses.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxDead      = "dead"
)

// WebhookEvent is the JSON body of a delivery.
type WebhookEvent struct {
	Event    string    `json:"event"` // "alert.created"
	Alert    Alert     `json:"alert"`
	Transfer *Transfer `json:"transfer"`
}

// Sign returns the signature header value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a delivery's signature header against body, and
// that its timestamp is within tolerance of now (replay protection).
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts int64
	var sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sig = v
		}
	}
	if ts == 0 || sig == "" {
		return fmt.Errorf("signature header %q: want t=TIMESTAMP,v1=HEX", header)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp %d is %s away from now", ts, d.Round(time.Second))
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte("t="+strconv.FormatInt(ts, 10)+",v1="+sig)) {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

// enqueueWebhooks adds an outbox row per raised alert (in the screening's
// transaction: an alert and its delivery are stored together or not at all).
func (s *Service) enqueueWebhooks(ctx context.Context, tx *sql.Tx, t *Transfer, f *txFacts, raised []Alert, now time.Time) error {
	if s.opt.Webhook.URL == "" || len(raised) == 0 {
		return nil
	}
	tr := *t
	tr.Status = StatusScreened
	tr.AssetAmount = &f.amount
	if !f.time.IsZero() {
		tt := f.time
		tr.Timestamp = &tt
	}
	at := now.UTC()
	tr.ScreenedAt = &at
	tr.Alerts = t.Alerts + len(raised)
	for _, a := range raised {
		body, err := json.Marshal(WebhookEvent{Event: "alert.created", Alert: a, Transfer: &tr})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kyt_outbox (alert_id, url, body, status, next_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`), a.AlertID, s.opt.Webhook.URL, string(body), OutboxPending, 0, fmtTime(now)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) notifyOutbox() {
	select {
	case s.outWake <- struct{}{}:
	default:
	}
}

type delivery struct {
	id       int64
	url      string
	body     string
	attempts int
	token    string
}

// claimDeliveries reserves due outbox rows (lease: the attempt timeout plus
// a margin, so a process that dies mid-delivery leaves them to another).
func (s *Service) claimDeliveries(ctx context.Context, n int) ([]delivery, error) {
	now := nowMS()
	token := newID()
	lock := ""
	if s.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE kyt_outbox SET lease_token = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM kyt_outbox WHERE status = 'pending' AND next_at <= ? AND lease_until < ?
				ORDER BY next_at, id LIMIT ?`+lock+`)
			RETURNING id, url, body, attempts`),
			token, now+(s.opt.Webhook.Timeout+30*time.Second).Milliseconds(), now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d := delivery{token: token}
			if err := rows.Scan(&d.id, &d.url, &d.body, &d.attempts); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// webhookBackoff is the wait after a failed attempt: base doubling to 1 h.
func webhookBackoff(base time.Duration, attempts int) time.Duration {
	d := base
	if d <= 0 {
		d = 2 * time.Second
	}
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// deliver makes one attempt and records its outcome.
func (s *Service) deliver(ctx context.Context, d delivery) {
	client := s.opt.Webhook.Client
	if client == nil {
		client = &http.Client{Timeout: s.opt.Webhook.Timeout}
	}
	actx, cancel := context.WithTimeout(ctx, s.opt.Webhook.Timeout)
	defer cancel()
	err := func() error {
		req, err := http.NewRequestWithContext(actx, http.MethodPost, d.url, bytes.NewReader([]byte(d.body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "chaintrace-kyt")
		req.Header.Set(DeliveryHeader, strconv.FormatInt(d.id, 10))
		req.Header.Set(SignatureHeader, Sign(s.opt.Webhook.Secret, time.Now().Unix(), []byte(d.body)))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}()
	if ctx.Err() != nil {
		return // shutting down: the lease expires and the delivery is retried
	}
	maxAttempts := s.opt.Webhook.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 20
	}
	werr := s.write(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		var err2 error
		switch {
		case err == nil:
			_, err2 = tx.ExecContext(ctx, s.q(`UPDATE kyt_outbox SET status = ?, delivered_at = ?, last_error = '', lease_token = ''
				WHERE id = ? AND lease_token = ?`), OutboxDelivered, fmtTime(time.Now()), d.id, d.token)
		case d.attempts >= maxAttempts:
			_, err2 = tx.ExecContext(ctx, s.q(`UPDATE kyt_outbox SET status = ?, last_error = ?, lease_token = ''
				WHERE id = ? AND lease_token = ?`), OutboxDead, err.Error(), d.id, d.token)
		default:
			_, err2 = tx.ExecContext(ctx, s.q(`UPDATE kyt_outbox SET next_at = ?, last_error = ?, lease_token = '', lease_until = 0
				WHERE id = ? AND lease_token = ?`), nowMS()+webhookBackoff(s.opt.Webhook.Backoff, d.attempts).Milliseconds(), err.Error(), d.id, d.token)
		}
		return err2
	})
	if err != nil {
		slog.Warn("kyt: webhook delivery failed", "delivery", d.id, "attempt", d.attempts, "err", err)
	}
	if werr != nil {
		slog.Warn("kyt: webhook outbox", "err", werr)
	}
}

// RunWebhooks delivers the outbox until ctx ends, with up to 8 deliveries
// in flight; each attempt is bounded by the webhook timeout.
func (s *Service) RunWebhooks(ctx context.Context) {
	if s.opt.Webhook.URL == "" {
		return
	}
	const inFlight = 8
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	every := time.Second
	if b := s.opt.Webhook.Backoff; b > 0 && b < every {
		every = b
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for ctx.Err() == nil {
		free := inFlight - len(sem)
		var ds []delivery
		if free > 0 {
			var err error
			if ds, err = s.claimDeliveries(ctx, free); err != nil && ctx.Err() == nil {
				slog.Warn("kyt: webhook outbox", "err", err)
			}
		}
		for _, d := range ds {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.deliver(ctx, d)
			}()
		}
		select {
		case <-ctx.Done():
		case <-s.outWake:
		case <-t.C:
		}
	}
}

// Delivery is one outbox row, for inspection.
type Delivery struct {
	ID          int64      `json:"id"`
	AlertID     string     `json:"alertId"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"lastError"`
	DeliveredAt *time.Time `json:"deliveredAt"`
}

// Deliveries lists the outbox, oldest first.
func (s *Service) Deliveries(ctx context.Context) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, alert_id, status, attempts, last_error, delivered_at FROM kyt_outbox ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at sql.NullString
		if err := rows.Scan(&d.ID, &d.AlertID, &d.Status, &d.Attempts, &d.LastError, &at); err != nil {
			return nil, err
		}
		if at.Valid {
			t := parseTime(at.String)
			d.DeliveredAt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
