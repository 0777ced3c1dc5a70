package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
)

func TestParseReference(t *testing.T) {
	txid := strings.Repeat("ab", 32)
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{txid + ":0", txid + ":0", false},
		{" " + strings.ToUpper(txid) + ":17 ", txid + ":17", false},
		{txid + ":bcrt1qpe9lwx2vfzhljyv6j5wysmrxq2whrx5ly0z0fc", txid + ":bcrt1qpe9lwx2vfzhljyv6j5wysmrxq2whrx5ly0z0fc", false},
		{txid, "", true},
		{txid + ":", "", true},
		{txid[:63] + ":0", "", true},
		{strings.Repeat("zz", 32) + ":0", "", true},
		{txid + ":01", "", true},
		{txid + ":4294967296", "", true},
		{txid + ":-1", "", true},
		{txid + ":a b", "", true},
	} {
		r, err := ParseReference(c.in)
		if c.bad {
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("%q: err %v, want ErrBadInput", c.in, err)
			}
			continue
		}
		if err != nil || r.String() != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, r.String(), err, c.want)
		}
	}
}

// exercise runs the contract on a store: registration and its bad input,
// screening of a transfer from the thief's address (a SEVERE stolen alert)
// and of an ordinary one (none), a transfer registered before its block,
// the alert workflow with its audit log, and re-screening after a list update.
func exercise(t *testing.T, db *store.DB, st *sanctions.Store) {
	ctx := context.Background()
	c := testChain(t)
	lootAddr, spend := c.lootSpend(t)
	importWatchlist(t, st, "cases", [2]string{lootAddr, "stolen"})

	lag := &laggingChain{Index: c.ix, height: spend.BlockHeight - 1}
	svc, err := New(ctx, db, Options{Chain: chainOf(lag), Exposers: []Exposer{NewSanctionsExposer(st)}, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CheckTriggers(ctx); err != nil { // records the data versions seen
		t.Fatal(err)
	}
	reg := func(user, ref, dir string) (*Transfer, bool, error) {
		return svc.Register(ctx, user, RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: ref, Direction: dir})
	}
	// Bad input: nothing stored.
	theft := c.tx(t, c.hdr.Theft.Txid)
	for _, b := range []RegisterRequest{
		{Network: "ethereum", Asset: "BTC", TransferReference: theft.Txid + ":0", Direction: "received"},
		{Network: "bitcoin", Asset: "ETH", TransferReference: theft.Txid + ":0", Direction: "received"},
		{Network: "bitcoin", Asset: "BTC", TransferReference: theft.Txid, Direction: "received"},
		{Network: "bitcoin", Asset: "BTC", TransferReference: theft.Txid + ":0", Direction: "deposit"},
		{Network: "bitcoin", Asset: "BTC", TransferReference: theft.Txid + ":999", Direction: "received"},
	} {
		if _, _, err := svc.Register(ctx, "u1", b); !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: err %v, want ErrBadInput", b, err)
		}
	}
	if _, _, err := reg("", theft.Txid+":0", "received"); !errors.Is(err, ErrBadInput) {
		t.Errorf("empty user: %v", err)
	}
	// A deposit paid by the thief's address; its block is not indexed yet.
	ref := spend.Txid + ":0"
	tr, created, err := reg("alice", ref, "received")
	if err != nil || !created || tr.Status != StatusPending {
		t.Fatalf("register: %+v %v %v", tr, created, err)
	}
	again, created, err := reg("alice", strings.ToUpper(spend.Txid)+":0", "RECEIVED")
	if err != nil || created || again.ExternalID != tr.ExternalID {
		t.Fatalf("duplicate registration: %+v %v %v (want %s)", again, created, err, tr.ExternalID)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("drain before the block: %d %v", n, err)
	}
	if got, _ := svc.Transfer(ctx, tr.ExternalID); got.Status != StatusPending || got.AssetAmount != nil {
		t.Fatalf("before its block the transfer is %+v", got)
	}
	// The block arrives: the waiting job is retried at once.
	lag.setHeight(int64(c.hdr.TipHeight))
	if err := svc.CheckTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("drain after the block: %d %v", n, err)
	}
	got, err := svc.Transfer(ctx, tr.ExternalID)
	if err != nil || got.Status != StatusScreened || got.AssetAmount == nil || *got.AssetAmount != spend.Outputs[0].Value ||
		got.Timestamp == nil || got.ScreenedAt == nil || got.Alerts != 1 {
		t.Fatalf("screened transfer: %+v %v", got, err)
	}
	alerts, err := svc.TransferAlerts(ctx, tr.ExternalID)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	a := alerts[0]
	var lootIn, allIn int64
	for _, in := range spend.Inputs {
		allIn += *in.Value
		if *in.Address == lootAddr {
			lootIn += *in.Value
		}
	}
	if a.AlertLevel != Severe || a.Category != "stolen" || a.ExposureType != Direct || a.Hops != 1 ||
		len(a.Path) != 1 || a.Path[0] != spend.Txid || a.Status != AlertOpen ||
		a.AlertAmount != mulDiv(spend.Outputs[0].Value, lootIn, allIn) {
		t.Errorf("alert %+v (loot in %d of %d)", a, lootIn, allIn)
	}
	ex, err := svc.TransferExposures(ctx, tr.ExternalID)
	if err != nil || len(ex.Direct) != 1 || ex.Direct[0].Address != lootAddr || len(ex.Indirect) != 0 {
		t.Errorf("exposures: %+v %v", ex, err)
	}
	// A sent transfer to the thief's address: the destination is listed.
	sentRef := c.hdr.Theft.Txid + ":" + lootAddr
	sent, _, err := reg("bob", sentRef, "sent")
	if err != nil {
		t.Fatal(err)
	}
	// An ordinary transfer: a coinbase payout to a miner (no listed sender).
	cb := c.tx(t, mustBlockTx(t, c, 10))
	plain, _, err := reg("carol", cb.Txid+":0", "received")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 2 {
		t.Fatalf("drain: %d %v", n, err)
	}
	if as, _ := svc.TransferAlerts(ctx, sent.ExternalID); len(as) != 1 || as[0].AlertLevel != Severe || as[0].AlertAmount != theftPaid(theft, lootAddr) {
		t.Errorf("sent to the thief: %+v", as)
	}
	if p, _ := svc.Transfer(ctx, plain.ExternalID); p.Status != StatusScreened || p.Alerts != 0 {
		t.Errorf("ordinary transfer: %+v", p)
	}

	// Workflow: status, assignee, note, each in the audit log.
	st1, who, note := AlertInReview, "maria", "checking the counterparty"
	upd, err := svc.UpdateAlert(ctx, a.AlertID, AlertUpdate{Status: &st1, Assignee: &who, Note: &note}, "officer1")
	if err != nil || upd.Status != AlertInReview || upd.Assignee != "maria" || len(upd.Notes) != 1 || upd.Notes[0].Author != "officer1" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	bad := "done"
	if _, err := svc.UpdateAlert(ctx, a.AlertID, AlertUpdate{Status: &bad}, "officer1"); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad status: %v", err)
	}
	if _, err := svc.UpdateAlert(ctx, "nope", AlertUpdate{Status: &st1}, "officer1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
	log, err := svc.Audit(ctx, "alert:"+a.AlertID)
	if err != nil || len(log) != 4 || log[0].Action != "raised" || log[1].Action != "status" || log[1].Detail != "open → in_review" ||
		log[1].Actor != "officer1" || log[2].Action != "assignee" || log[3].Action != "note" {
		t.Errorf("audit: %+v %v", log, err)
	}
	page, err := svc.Alerts(ctx, AlertFilter{Level: Severe, Status: AlertInReview})
	if err != nil || page.Total != 1 || page.Data[0].AlertID != a.AlertID {
		t.Errorf("alerts filtered: %+v %v", page, err)
	}
	if page, _ := svc.Alerts(ctx, AlertFilter{CreatedAtGTE: time.Now().Add(time.Hour)}); page.Total != 0 {
		t.Errorf("alerts from the future: %+v", page)
	}

	// A list update names the miner: the ordinary transfer is re-screened,
	// raises a new alert linked to its new screening; history is kept.
	minerAddr := *cb.Outputs[0].Address
	if minerAddr == lootAddr {
		t.Fatal("test chain: the miner is the thief")
	}
	importWatchlist(t, st, "cases", [2]string{lootAddr, "stolen"}, [2]string{minerAddr, "scam"})
	if err := svc.CheckTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("re-screen after the list update: %d %v", n, err)
	}
	// The miner received, and the deposit's sender is a coinbase: still no sender listed.
	if p, _ := svc.Transfer(ctx, plain.ExternalID); p.Alerts != 0 {
		t.Errorf("received coinbase payout alerted: %+v", p)
	}
	// A withdrawal to the miner's address is a scam destination now: HIGH.
	w, err := svc.WithdrawalAttempt(ctx, "dave", WithdrawalRequest{Network: "bitcoin", Asset: "BTC", Address: minerAddr, AssetAmount: 5000})
	if err != nil || len(w.Alerts) != 1 || w.Alerts[0].AlertLevel != High || w.Alerts[0].Category != "scam" || w.Alerts[0].AlertAmount != 5000 {
		t.Errorf("withdrawal: %+v %v", w, err)
	}
	if _, err := svc.WithdrawalAttempt(ctx, "dave", WithdrawalRequest{Network: "bitcoin", Asset: "BTC", Address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("mainnet address on a regtest index: %v", err)
	}
	// The sent transfer's earlier alert stays; re-screening with the same answer raises none.
	if as, _ := svc.TransferAlerts(ctx, sent.ExternalID); len(as) != 1 {
		t.Errorf("re-screen duplicated alerts: %+v", as)
	}
	var screenings int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM kyt_screenings`).Scan(&screenings)
	if screenings != 6 {
		t.Errorf("%d screenings kept, want 6 (3 first, 3 after the list update)", screenings)
	}
	// New rules are validated and versioned; invalid ones are refused and the old stay.
	if _, _, err := svc.SetRules(ctx, "strict.yaml", []byte("rules:\n  - category: scam\n    direction: received\n    level: MEDIUM\n  - category: [stolen, sanctions]\n    level: SEVERE\n"), "officer1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetRules(ctx, "broken.yaml", []byte("rules:\n  - category: scam\n    level: CRITICAL\n"), "officer1"); err == nil ||
		!strings.Contains(err.Error(), "broken.yaml:3") {
		t.Errorf("invalid rules: %v", err)
	}
	if svc.Rules().Version == 0 || len(svc.Rules().Rules) != 2 {
		t.Errorf("rules in force after a refused set: %+v", svc.Rules())
	}
}

// theftPaid is what tx tv paid to addr.
func theftPaid(tv *index.TxView, addr string) int64 {
	var n int64
	for _, o := range tv.Outputs {
		if o.Address != nil && *o.Address == addr {
			n += o.Value
		}
	}
	return n
}

// mustBlockTx returns the coinbase txid of the block at height.
func mustBlockTx(t *testing.T, c *simChain, height int64) string {
	t.Helper()
	b, err := c.ix.BlockByHeight(height)
	if err != nil {
		t.Fatal(err)
	}
	return b.Txids[0]
}

func TestServiceSQLite(t *testing.T) {
	db, st := openSQLite(t)
	exercise(t, db, st)
}

func TestServicePostgres(t *testing.T) {
	db, _ := openPostgres(t)
	st, err := sanctions.NewStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, db, st)
}

// New blocks retry pending transfers and re-screen the recent ones: each
// screening is kept, linked to the previous one, with the reason.
func TestRescreenOnBlocks(t *testing.T) {
	ctx := context.Background()
	c := testChain(t)
	db, st := openSQLite(t)
	lag := &laggingChain{Index: c.ix, height: int64(c.hdr.TipHeight) - 10}
	svc, err := New(ctx, db, Options{Chain: chainOf(lag), Exposers: []Exposer{NewSanctionsExposer(st)}, RescreenOnBlocks: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CheckTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	tr, _, err := svc.Register(ctx, "u", RegisterRequest{Network: "bitcoin", Asset: "BTC", TransferReference: references(t, c, 1)[0], Direction: "sent"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("drain: %d %v", n, err)
	}
	lag.setHeight(int64(c.hdr.TipHeight))
	if err := svc.CheckTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("drain after new blocks: %d %v", n, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, previous_id, reason, sources FROM kyt_screenings ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	var prevID int64
	for rows.Next() {
		var id int64
		var prev *int64
		var reason, sources string
		rows.Scan(&id, &prev, &reason, &sources)
		if (prev == nil) != (prevID == 0) || (prev != nil && *prev != prevID) {
			t.Errorf("screening %d links to %v, want %d", id, prev, prevID)
		}
		prevID = id
		got = append(got, reason+" | "+sources)
	}
	want0 := fmt.Sprintf("registered | sanctions=;tip=%d", c.hdr.TipHeight-10)
	want1 := fmt.Sprintf("blocks: tip %d → %d | sanctions=;tip=%d", c.hdr.TipHeight-10, c.hdr.TipHeight, c.hdr.TipHeight)
	if len(got) != 2 || got[0] != want0 || got[1] != want1 {
		t.Errorf("screenings %q, want %q, %q", got, want0, want1)
	}
	if a, _ := svc.Transfer(ctx, tr.ExternalID); a.Status != StatusScreened {
		t.Errorf("transfer %+v", a)
	}
}
