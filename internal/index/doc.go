// Package index is chaintrace's on-disk chain index: append-only column files for the transaction
// graph and Pebble key-value indexes for hash and address look-ups, crash-safe and reorg-aware.
package index
