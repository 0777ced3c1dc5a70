// Package index is chaintrace's on-disk chain index: append-only column files
// for the transaction graph, hash tables for txid and address look-ups and
// Pebble key-value indexes for block hashes and address postings,
// crash-safe and reorg-aware.
//
// Every block, tx, input, output and address gets a dense 40-bit id in chain
// order, starting with the base block (the first block applied, at any
// height). Spends are linked both ways (output → spending input, input →
// spent output), so walking the graph is array look-ups in memory-mapped
// files; memory-mapped hash tables map txids and address keys to ids,
// Pebble maps block hashes to heights, and each address's outputs form a
// list through a column (its txs: those outputs' txs and their spenders').
//
// Apply appends a block that extends the tip, Undo disconnects the tip, and
// Flush makes everything durable and only then records the committed state.
// Open recovers to the last committed state after any crash (kill -9, power
// loss): the result is identical to a clean build, as Verify's digest shows.
// Memory is bounded by Options.CacheBytes; no UTXO set is kept.
//
// Query views (Stats, BlockByHeight, BlockByHash, Tx, Address) carry the API's
// JSON; unknown values (inputs whose spent outputs are outside the index) are
// null, never guessed. The low-level graph API (TxRange, Output, Input,
// TxNumOf, …) serves analysis packages.
//
// The file format, crash-safety and reorg protocols and measured sizes are in
// docs/index-format.md.
package index
