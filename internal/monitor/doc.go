// Package monitor is chaintrace's KYT (know-your-transaction) service: an
// exchange registers its users' deposits and withdrawals, a worker pool
// screens them asynchronously from a durable queue in the SQL store (SQLite,
// or PostgreSQL shared by several servers), rules turn exposure lines into
// alerts (SEVERE, HIGH, MEDIUM, LOW), alerts follow a reviewed workflow with
// an audit log, new alerts go out as signed webhooks through an outbox, and
// transfers are screened again when lists, labels or the chain change.
//
// Exposure comes from Exposers (sanctions screening of the counterparty
// addresses, labels, tracing); the package defines the interface and the
// direct exposure it can read from the chain index itself.
package monitor
