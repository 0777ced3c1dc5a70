// Package ingest drives blocks from a source into the index in best-chain order, handling
// out-of-order block files, reorgs, resume after a crash and following a live node's tip.
package ingest
