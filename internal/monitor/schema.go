package monitor

import (
	"strings"

	"github.com/chaintrace/chaintrace/internal/store"
)

// schema is written once for both dialects: {{ID}} and {{REF}} stand for the
// auto-increment key and the integer type that references it. Times are
// fixed-width UTC text (text order is time order); leases and retry times are
// Unix milliseconds.
const schema = `CREATE TABLE kyt_transfers (
	id          {{ID}},
	external_id TEXT NOT NULL UNIQUE,
	user_id     TEXT NOT NULL,
	network     TEXT NOT NULL,
	asset       TEXT NOT NULL,
	reference   TEXT NOT NULL,
	direction   TEXT NOT NULL,
	status      TEXT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	amount      BIGINT,
	tx_time     TEXT,
	height      BIGINT,
	created_at  TEXT NOT NULL,
	screened_at TEXT,
	alerts      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (user_id, reference, direction));
CREATE INDEX kyt_transfers_created ON kyt_transfers (created_at);
CREATE TABLE kyt_jobs (
	id          {{ID}},
	transfer_id {{REF}} NOT NULL UNIQUE REFERENCES kyt_transfers (id),
	reason      TEXT NOT NULL,
	gen         INTEGER NOT NULL DEFAULT 0,
	run_after   BIGINT NOT NULL,
	lease_token TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	waiting     INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '');
CREATE INDEX kyt_jobs_due ON kyt_jobs (run_after, id);
CREATE TABLE kyt_screenings (
	id            {{ID}},
	transfer_id   {{REF}} NOT NULL REFERENCES kyt_transfers (id),
	previous_id   {{REF}},
	reason        TEXT NOT NULL,
	rules_version BIGINT NOT NULL,
	sources       TEXT NOT NULL,
	worker        TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	exposures     TEXT NOT NULL);
CREATE INDEX kyt_screenings_transfer ON kyt_screenings (transfer_id, id);
CREATE TABLE kyt_alerts (
	id                {{ID}},
	alert_id          TEXT NOT NULL UNIQUE,
	transfer_id       {{REF}} NOT NULL REFERENCES kyt_transfers (id),
	screening_id      {{REF}} NOT NULL REFERENCES kyt_screenings (id),
	previous_alert_id TEXT NOT NULL DEFAULT '',
	level             TEXT NOT NULL,
	level_rank        INTEGER NOT NULL,
	category          TEXT NOT NULL,
	service           TEXT NOT NULL,
	amount            BIGINT NOT NULL,
	exposure_type     TEXT NOT NULL,
	hops              INTEGER NOT NULL,
	path              TEXT NOT NULL,
	rule              TEXT NOT NULL,
	status            TEXT NOT NULL,
	assignee          TEXT NOT NULL DEFAULT '',
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL);
CREATE INDEX kyt_alerts_created ON kyt_alerts (created_at, id);
CREATE INDEX kyt_alerts_transfer ON kyt_alerts (transfer_id, id);
CREATE TABLE kyt_alert_notes (
	id         {{ID}},
	alert_id   TEXT NOT NULL,
	author     TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at TEXT NOT NULL);
CREATE INDEX kyt_alert_notes_alert ON kyt_alert_notes (alert_id, id);
CREATE TABLE kyt_audit (
	id     {{ID}},
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL,
	object TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT NOT NULL);
CREATE INDEX kyt_audit_object ON kyt_audit (object, id);
CREATE TABLE kyt_rules (
	id         {{ID}},
	created_at TEXT NOT NULL,
	author     TEXT NOT NULL,
	source     TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	text       TEXT NOT NULL);
CREATE TABLE kyt_outbox (
	id           {{ID}},
	alert_id     TEXT NOT NULL,
	url          TEXT NOT NULL,
	body         TEXT NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      BIGINT NOT NULL,
	lease_token  TEXT NOT NULL DEFAULT '',
	lease_until  BIGINT NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	delivered_at TEXT);
CREATE INDEX kyt_outbox_due ON kyt_outbox (status, next_at, id);
CREATE TABLE kyt_state (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL);
`

var migrations = []store.Migration{
	{
		SQL:      strings.NewReplacer("{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{REF}}", "INTEGER").Replace(schema),
		Postgres: strings.NewReplacer("{{ID}}", "BIGSERIAL PRIMARY KEY", "{{REF}}", "BIGINT").Replace(schema),
	},
}
