// Package ingest drives blocks from a source into the index in best-chain order, handling
// out-of-order block files, reorgs, resume after a crash and following a live node's tip.
//
// Ingest never trusts the order in which blocks arrive. From block files it builds the
// header tree of every block it was given, attaches it to the index's active chain, picks
// the tip with the most cumulative work and, when that tip beats the index's, undoes the
// index back to the fork point and applies the new branch. From a node it walks down from
// the lower of the two tips until the node and the index agree on a block hash, undoes to
// that block and applies the node's chain above it.
//
// Blocks are read and decoded on worker goroutines a bounded distance ahead of Apply, and
// the index is flushed (made durable) every FlushBytes of block data or FlushInterval,
// at the end, and when the context is cancelled. The index guarantees that anything past its
// last flush is truncated and redone on open, so a killed ingest resumes by running it again.
package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Tip is the active tip of a Chain: its height, hash and cumulative proof of work.
type Tip struct {
	Height int64
	Hash   chainhash.Hash
	Work   *big.Int
}

// Chain is what ingest needs from the chain index. FromIndex adapts *index.Index;
// tests use in-memory fakes.
type Chain interface {
	// Tip returns the active tip; ok is false when the chain holds no block.
	Tip() (tip Tip, ok bool)
	// Base returns the height of the first block the chain holds.
	Base() (height int64, ok bool)
	// HashAt returns the hash of the active block at height h.
	HashAt(h int64) (chainhash.Hash, error)
	// HeightOf returns the height of hash when it is on the active chain.
	HeightOf(hash chainhash.Hash) (height int64, ok bool, err error)
	// WorkAt returns the cumulative work of the active chain up to and including height h.
	WorkAt(h int64) (*big.Int, error)
	// Apply connects b at height, which must extend the tip (or be the first block).
	// txids are b's transaction ids in order when the caller has them, else nil.
	Apply(b *wire.MsgBlock, txids []chainhash.Hash, height int64) error
	// Undo disconnects the tip.
	Undo() error
	// Flush makes everything applied so far durable.
	Flush() error
}

// Progress receives ingest progress; the CLI draws a progress bar with it.
// All methods are called from the goroutine running the ingest.
type Progress interface {
	// Begin announces a batch of blocks to apply (bytes is 0 when unknown).
	Begin(blocks int, bytes int64)
	// Advance reports one applied block.
	Advance(height int64, bytes int64)
	// End closes the batch.
	End()
}

// Options tune an ingest run. The zero value is usable.
type Options struct {
	// Params is the network; it names the genesis block used to place a chain's first block.
	// Nil means mainnet.
	Params *chaincfg.Params
	// StartHeight, when set, is the height of the first block of an empty index, overriding
	// the height found in its coinbase (BIP34).
	StartHeight *int64
	// FlushBytes and FlushInterval bound how much applied block data may be lost by a crash
	// (it is redone on the next run). Defaults: 64 MiB and 30 s.
	FlushBytes    int64
	FlushInterval time.Duration
	// Prefetch is how many blocks may be read ahead of Apply (default 16, and never more
	// than 64 MiB of block data), and Readers how many are read and decoded at once
	// (default 2; Sync and Follow use 4 to hide a node's round trips).
	Prefetch int
	Readers  int
	// Progress, when non-nil, is told about every applied block.
	Progress Progress
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Side, when non-nil, remembers blocks that stay off the active chain across runs and
	// the branch of a reorg in progress (see SideStore); Blocks reads it on every run.
	Side *SideStore
	// BlockHeight extracts a block's BIP34 height from its coinbase; nil disables that
	// source of the base height (the CLI passes chain.BlockHeight).
	BlockHeight func(*wire.MsgBlock) (int64, bool)
}

func (o *Options) defaults() {
	if o.Params == nil {
		o.Params = &chaincfg.MainNetParams
	}
	if o.FlushBytes <= 0 {
		o.FlushBytes = 64 << 20
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 30 * time.Second
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 16
	}
	if o.Readers <= 0 {
		o.Readers = 2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Summary describes what one ingest run did.
type Summary struct {
	Applied     int           // blocks connected
	Undone      int           // blocks disconnected by reorgs
	Skipped     int           // blocks given that the index already held
	Stale       int           // blocks given that are on a branch with less work
	Bytes       int64         // serialized size of the applied blocks
	Elapsed     time.Duration // wall time of the run
	Tip         Tip           // the index's tip at the end
	HaveTip     bool          // false when the index is still empty
	Interrupted bool          // the context was cancelled; what was applied is flushed
}

// String renders the summary as one line.
func (s Summary) String() string {
	tip := "empty"
	if s.HaveTip {
		tip = fmt.Sprintf("%d %s", s.Tip.Height, s.Tip.Hash)
	}
	rate := ""
	if secs := s.Elapsed.Seconds(); secs > 0 && s.Applied > 0 {
		rate = fmt.Sprintf(" (%.0f blocks/s, %.1f MB/s)", float64(s.Applied)/secs, float64(s.Bytes)/1e6/secs)
	}
	out := fmt.Sprintf("applied %d blocks, %.1f MB in %s%s; undone %d; skipped %d already indexed; stale %d; tip %s",
		s.Applied, float64(s.Bytes)/1e6, s.Elapsed.Round(time.Millisecond), rate, s.Undone, s.Skipped, s.Stale, tip)
	if s.Interrupted {
		out += " (interrupted: flushed; run again to resume)"
	}
	return out
}

// ErrInterrupted is returned (wrapped) when the context is cancelled during a run; what was
// applied before the cancellation is flushed.
var ErrInterrupted = errors.New("ingest interrupted")

// OrphanError reports blocks whose parent is neither among the given blocks nor on the
// index's active chain. Everything that does connect has been applied when it is returned.
type OrphanError struct {
	Hash   chainhash.Hash // the first such block, in input order
	Parent chainhash.Hash // its missing parent
	Where  string         // where the block was read from
	Count  int            // how many blocks do not connect (including descendants)
}

func (e *OrphanError) Error() string {
	where := ""
	if e.Where != "" {
		where = " (" + e.Where + ")"
	}
	return fmt.Sprintf("orphan block %s%s: its parent %s is neither in the input nor on the index's active chain (%d block(s) do not connect)",
		e.Hash, where, e.Parent, e.Count)
}

// blockWork returns the work a header with compact target bits represents.
func blockWork(bits uint32) *big.Int { return blockchain.CalcWork(bits) }

// blockSize returns b's serialized size.
func blockSize(b *wire.MsgBlock) int64 { return int64(b.SerializeSize()) }
