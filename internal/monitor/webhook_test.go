package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A new alert is POSTed, signed, to the webhook; a failing endpoint is
// retried with backoff until it accepts.
func TestWebhookDelivery(t *testing.T) {
	ctx := context.Background()
	c := testChain(t)
	db, st := openSQLite(t)
	lootAddr, spend := c.lootSpend(t)
	importWatchlist(t, st, "cases", [2]string{lootAddr, "stolen"})
	const secret = "s3cret"
	var mu sync.Mutex
	var calls int
	var got []WebhookEvent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if err := VerifySignature(secret, r.Header.Get(SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		if err := VerifySignature("wrong", r.Header.Get(SignatureHeader), body, time.Now(), 5*time.Minute); err == nil {
			t.Error("a wrong secret verifies")
		}
		var ev WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body: %v", err)
		}
		got = append(got, ev)
	}))
	defer srv.Close()
	svc, err := New(ctx, db, Options{Chain: chainOf(c.ix), Exposers: []Exposer{NewSanctionsExposer(st)},
		Webhook: Webhook{URL: srv.URL, Secret: secret, Backoff: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := svc.Register(ctx, "alice", RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: spend.Txid + ":0", Direction: "received"})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(rctx, 100*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	as, _ := svc.TransferAlerts(ctx, tr.ExternalID)
	mu.Lock()
	ev := got[0]
	mu.Unlock()
	if len(as) != 1 || ev.Event != "alert.created" || ev.Alert.AlertID != as[0].AlertID || ev.Transfer.ExternalID != tr.ExternalID ||
		ev.Alert.AlertLevel != Severe || *ev.Transfer.AssetAmount != spend.Outputs[0].Value {
		t.Errorf("event %+v, alerts %+v", ev, as)
	}
	waitFor(t, 5*time.Second, func() bool {
		ds, _ := svc.Deliveries(ctx)
		return len(ds) == 1 && ds[0].Status == OutboxDelivered
	})
	ds, _ := svc.Deliveries(ctx)
	if ds[0].Attempts != 2 || ds[0].DeliveredAt == nil {
		t.Errorf("delivery %+v, want delivered on the 2nd attempt", ds[0])
	}
}

// A hanging endpoint neither blocks screening nor loses the deliveries: each
// attempt times out, and after MaxAttempts the row is kept as dead.
func TestWebhookHanging(t *testing.T) {
	ctx := context.Background()
	c := testChain(t)
	db, st := openSQLite(t)
	lootAddr, spend := c.lootSpend(t)
	importWatchlist(t, st, "cases", [2]string{lootAddr, "stolen"})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	svc, err := New(ctx, db, Options{Chain: chainOf(c.ix), Exposers: []Exposer{NewSanctionsExposer(st)},
		Webhook: Webhook{URL: srv.URL, Secret: "x", Timeout: 200 * time.Millisecond, Backoff: 50 * time.Millisecond, MaxAttempts: 3}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(rctx, 100*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	start := time.Now()
	for i, ref := range []string{spend.Txid + ":0", c.hdr.Theft.Txid + ":" + lootAddr} {
		dir := []string{"received", "sent"}[i]
		tr, _, err := svc.Register(ctx, "alice", RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: ref, Direction: dir})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, func() bool { got, _ := svc.Transfer(ctx, tr.ExternalID); return got.Status == StatusScreened })
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("screening took %s behind a hanging webhook", d)
	}
	waitFor(t, 10*time.Second, func() bool {
		ds, _ := svc.Deliveries(ctx)
		return len(ds) == 2 && ds[0].Status == OutboxDead && ds[1].Status == OutboxDead
	})
	ds, _ := svc.Deliveries(ctx)
	for _, d := range ds {
		if d.Attempts != 3 || !strings.Contains(d.LastError, "deadline exceeded") {
			t.Errorf("delivery %+v", d)
		}
	}
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
