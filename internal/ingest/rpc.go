package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Node is what ingest needs from a node's JSON-RPC interface. FromRPC adapts *source.RPC.
type Node interface {
	// URL names the node in errors and logs.
	URL() string
	BlockCount(ctx context.Context) (int64, error)
	BestBlockHash(ctx context.Context) (chainhash.Hash, error)
	BlockHash(ctx context.Context, height int64) (chainhash.Hash, error)
	BlockHeader(ctx context.Context, hash chainhash.Hash) (wire.BlockHeader, error)
	// Block returns the decoded block, its txids (or nil) and its serialized size.
	Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, []chainhash.Hash, int64, error)
}

// NodeError reports a failed call to a node, naming it.
type NodeError struct {
	URL string
	Op  string
	Err error
}

func (e *NodeError) Error() string { return fmt.Sprintf("node %s: %s: %v", e.URL, e.Op, e.Err) }
func (e *NodeError) Unwrap() error { return e.Err }

// rpcReaders is how many blocks Sync fetches from a node at once by default, to hide the
// round-trip latency.
const rpcReaders = 4

// maxBranchRetries bounds how often one Sync restarts because the node reorganised under it.
const maxBranchRetries = 8

// Sync brings ch to the node's best chain once: it finds the highest height at which both
// hold the same block hash (walking down from the lower tip), undoes ch to it and applies
// the node's blocks above it. A node whose tip is on ch's chain below ch's tip is behind:
// nothing is undone. An empty ch starts at opts.StartHeight, or at genesis.
func Sync(ctx context.Context, ch Chain, node Node, opts Options) (Summary, error) {
	if opts.Readers <= 0 {
		opts.Readers = rpcReaders
	}
	opts.defaults()
	var sum Summary
	finish := finisher(ch, &sum)
	nodeErr := func(op string, err error) error {
		if ctx.Err() != nil {
			sum.Interrupted = true
			return fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
		}
		return &NodeError{URL: node.URL(), Op: op, Err: err}
	}
	for attempt := 0; ; attempt++ {
		nodeHeight, err := node.BlockCount(ctx)
		if err != nil {
			return finish(nodeErr("getblockcount", err))
		}
		tip, haveTip := ch.Tip()
		var fork int64
		if !haveTip {
			fork = -1
			if opts.StartHeight != nil {
				fork = *opts.StartHeight - 1
			}
		} else {
			fork, err = forkPoint(ctx, ch, node, tip.Height, nodeHeight)
			if err != nil {
				if ne := (*NodeError)(nil); errors.As(err, &ne) {
					return finish(nodeErr(ne.Op, ne.Err))
				}
				return finish(err)
			}
			if fork == nodeHeight && tip.Height > nodeHeight {
				// The node's tip is on the index's chain: the node is behind (still
				// syncing, or restored from an old copy). Keep what is indexed.
				opts.Logger.Warn("the node is behind the index; waiting for it", "node", node.URL(), "node_height", nodeHeight, "index_height", tip.Height)
				return finish(nil)
			}
			if fork < tip.Height {
				// The node is on another branch: follow it only if it has more work
				// (a reset or foreign node must not erase the index).
				if err := checkBranchWork(ctx, ch, node, tip, fork, nodeHeight); err != nil {
					return finish(err)
				}
			}
			// Undone blocks are made durable with the applied ones (applyItems flushes
			// however it ends).
			if err := undoTo(ch, fork, &sum, opts); err != nil {
				return finish(err)
			}
		}
		if nodeHeight <= fork {
			if !haveTip && opts.StartHeight != nil {
				opts.Logger.Warn("the node's tip is below --start-height: nothing to index yet", "node", node.URL(), "node_height", nodeHeight, "start_height", *opts.StartHeight)
			}
			return finish(nil)
		}
		items := make([]item, 0, nodeHeight-fork)
		for h := fork + 1; h <= nodeHeight; h++ {
			items = append(items, item{height: h, read: func() (*wire.MsgBlock, []chainhash.Hash, error) {
				hash, err := node.BlockHash(ctx, h)
				if err != nil {
					return nil, nil, nodeErr(fmt.Sprintf("getblockhash %d", h), err)
				}
				b, txids, _, err := node.Block(ctx, hash)
				if err != nil {
					return nil, nil, nodeErr(fmt.Sprintf("getblock %s", hash), err)
				}
				return b, txids, nil
			}})
		}
		err = applyItems(ctx, ch, items, opts, &sum)
		if errors.Is(err, errBranchChanged) && attempt < maxBranchRetries {
			opts.Logger.Info("node changed its chain while syncing; finding the fork point again", "node", node.URL(), "err", err)
			continue
		}
		return finish(err)
	}
}

// LessWorkError reports a node whose best chain leaves the index's chain but has no more
// work than the index's tip: the index is kept as it is.
type LessWorkError struct {
	URL                   string
	Fork                  int64    // the last height both chains share
	NodeHeight, TipHeight int64    // the two tips
	NodeWork, IndexWork   *big.Int // cumulative work of the two tips
}

func (e *LessWorkError) Error() string {
	return fmt.Sprintf("node %s is on a branch from height %d (tip %d) with no more work than the index's chain (tip %d): not undoing %d indexed blocks; is it still syncing, or on another chain?",
		e.URL, e.Fork, e.NodeHeight, e.TipHeight, e.TipHeight-e.Fork)
}

// checkBranchWork returns a *LessWorkError unless the node's chain above fork has more work
// than ch's tip. It reads the node's headers above the fork.
func checkBranchWork(ctx context.Context, ch Chain, node Node, tip Tip, fork, nodeHeight int64) error {
	w, err := ch.WorkAt(fork)
	if err != nil {
		return fmt.Errorf("work at height %d: %w", fork, err)
	}
	w = new(big.Int).Set(w)
	for h := fork + 1; h <= nodeHeight; h++ {
		if w.Cmp(tip.Work) > 0 {
			return nil
		}
		hash, err := node.BlockHash(ctx, h)
		if err != nil {
			return &NodeError{URL: node.URL(), Op: fmt.Sprintf("getblockhash %d", h), Err: err}
		}
		hdr, err := node.BlockHeader(ctx, hash)
		if err != nil {
			return &NodeError{URL: node.URL(), Op: fmt.Sprintf("getblockheader %s", hash), Err: err}
		}
		w.Add(w, blockWork(hdr.Bits))
	}
	if w.Cmp(tip.Work) > 0 {
		return nil
	}
	return &LessWorkError{URL: node.URL(), Fork: fork, NodeHeight: nodeHeight, TipHeight: tip.Height, NodeWork: w, IndexWork: tip.Work}
}

// forkPoint returns the highest height, at most min(tipHeight, nodeHeight), at which ch and
// the node hold the same block.
func forkPoint(ctx context.Context, ch Chain, node Node, tipHeight, nodeHeight int64) (int64, error) {
	base, _ := ch.Base()
	h := min(tipHeight, nodeHeight)
	for ; h >= base; h-- {
		nh, err := node.BlockHash(ctx, h)
		if err != nil {
			return 0, &NodeError{URL: node.URL(), Op: fmt.Sprintf("getblockhash %d", h), Err: err}
		}
		ih, err := ch.HashAt(h)
		if err != nil {
			return 0, fmt.Errorf("index hash at height %d: %w", h, err)
		}
		if nh == ih {
			return h, nil
		}
	}
	if base > nodeHeight {
		return 0, fmt.Errorf("node %s is at height %d, below the index's first block (height %d)", node.URL(), nodeHeight, base)
	}
	ih, _ := ch.HashAt(base)
	return 0, fmt.Errorf("node %s does not share the index's chain: it has no block %s at height %d (another network or chain?)", node.URL(), ih, base)
}

// Follow keeps ch on the node's best chain until ctx is cancelled: it syncs, then polls
// every interval, undoing and re-applying blocks when the node reorganises. Failures to
// reach the node are logged and retried with exponential backoff (up to a minute); what is
// indexed stays. It returns the accumulated summary and nil when ctx is cancelled, or the
// first error that is not the node's (for example a failing index).
func Follow(ctx context.Context, ch Chain, node Node, opts Options, interval time.Duration) (Summary, error) {
	if opts.Readers <= 0 {
		opts.Readers = rpcReaders
	}
	opts.defaults()
	if interval <= 0 {
		interval = 5 * time.Second
	}
	var total Summary
	start := time.Now()
	backoff := interval
	for {
		wait := interval
		s, err := Sync(ctx, ch, node, opts)
		total.Applied += s.Applied
		total.Undone += s.Undone
		total.Bytes += s.Bytes
		total.Tip, total.HaveTip = s.Tip, s.HaveTip
		total.Elapsed = time.Since(start)
		var ne *NodeError
		var lw *LessWorkError
		switch {
		case ctx.Err() != nil:
			total.Interrupted = true
			return total, nil
		case errors.As(err, &ne):
			wait, backoff = backoff, min(2*backoff, time.Minute)
			opts.Logger.Warn("node unreachable; retrying", "node", ne.URL, "err", ne.Err, "retry_in", wait)
		case errors.As(err, &lw):
			wait, backoff = backoff, min(2*backoff, time.Minute)
			opts.Logger.Warn("not following the node's branch with less work; waiting", "err", err, "retry_in", wait)
		case err != nil:
			return total, err
		default:
			if s.Applied > 0 || s.Undone > 0 {
				opts.Logger.Info("followed node", "node", node.URL(), "applied", s.Applied, "undone", s.Undone, "height", s.Tip.Height, "tip", s.Tip.Hash)
			}
			backoff = interval
		}
		select {
		case <-ctx.Done():
			total.Interrupted = true
			return total, nil
		case <-time.After(wait):
		}
	}
}
