// Package store opens chaintrace's embedded SQL store (SQLite under the data directory) that
// holds mutable state: list versions, labels, cases, monitored transfers and alerts.
package store
