package ingest

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// A Candidate is one block offered to Blocks, known by its header and read on demand.
type Candidate struct {
	Hash   chainhash.Hash
	Header wire.BlockHeader
	Size   int64  // serialized size in bytes (for progress and flush pacing)
	Where  string // where it is stored, for error messages ("blk00000.dat:8")
	// Read returns the decoded block and, optionally (else nil), its txids.
	Read func() (*wire.MsgBlock, []chainhash.Hash, error)
}

// node is a candidate placed in the header tree.
type node struct {
	c       *Candidate
	parent  *node
	height  int64
	work    *big.Int
	indexed bool // already on the index's active chain
	stored  bool // in the side-block store (from an earlier run, or written in this one)
	state   uint8
}

const (
	unresolved uint8 = iota
	connected
	orphaned
)

// finisher returns the function a sync returns through: it completes *sum with
// ch's tip and the time since the sync started.
func finisher(ch Chain, sum *Summary) func(error) (Summary, error) {
	start := time.Now()
	return func(err error) (Summary, error) {
		sum.Tip, sum.HaveTip = ch.Tip()
		sum.Elapsed = time.Since(start)
		return *sum, err
	}
}

// Blocks applies the best chain found among cands (in any order) to ch. Blocks already on
// ch's active chain are skipped; when the best tip among cands has more work than ch's tip,
// ch is undone to the fork point and the new branch applied. On an empty ch, the network's
// genesis block if given, else the single block whose parent is unknown, becomes the base;
// more than one such block without the genesis is an error.
// Blocks that connect to nothing are reported as an *OrphanError after the rest is applied.
func Blocks(ctx context.Context, ch Chain, cands []Candidate, opts Options) (Summary, error) {
	opts.defaults()
	var sum Summary
	finish := finisher(ch, &sum)

	tip, haveTip := ch.Tip()
	// Blocks remembered from earlier runs join the given ones (after them: a given copy wins).
	given := len(cands)
	if opts.Side != nil {
		stored, err := opts.Side.Candidates()
		if err != nil {
			return finish(err)
		}
		cands = append(cands[:len(cands):len(cands)], stored...)
	}
	byHash := make(map[chainhash.Hash]*node, len(cands))
	order := make([]*node, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		if _, dup := byHash[c.Hash]; dup {
			continue // Core may store a block twice; the first copy is as good as any
		}
		n := &node{c: c, stored: i >= given}
		byHash[c.Hash] = n
		order = append(order, n)
	}

	// Place every block that the index already holds or whose parent it holds.
	var roots []*node
	for _, n := range order {
		if haveTip {
			h, ok, err := ch.HeightOf(n.c.Hash)
			if err != nil {
				return finish(fmt.Errorf("look up block %s: %w", n.c.Hash, err))
			}
			if ok {
				w, err := ch.WorkAt(h)
				if err != nil {
					return finish(fmt.Errorf("work at height %d: %w", h, err))
				}
				n.indexed, n.height, n.work, n.state = true, h, w, connected
				sum.Skipped++
				continue
			}
		}
		prev := n.c.Header.PrevBlock
		if p, ok := byHash[prev]; ok {
			n.parent = p
			continue
		}
		if haveTip {
			ph, ok, err := ch.HeightOf(prev)
			if err != nil {
				return finish(fmt.Errorf("look up block %s: %w", prev, err))
			}
			if ok {
				w, err := ch.WorkAt(ph)
				if err != nil {
					return finish(fmt.Errorf("work at height %d: %w", ph, err))
				}
				n.height, n.work, n.state = ph+1, new(big.Int).Add(w, blockWork(n.c.Header.Bits)), connected
				continue
			}
		}
		roots = append(roots, n)
	}

	// On an empty index exactly one block may start the chain. The network's
	// genesis block, when given, is that block: other blocks with unknown parents
	// are then orphans, as they would be on a non-empty index (a run of Core's
	// first blk files holds blocks whose parents are in later files).
	if !haveTip && len(roots) > 1 {
		for i, r := range roots {
			if r.c.Hash == *opts.Params.GenesisHash {
				roots[0], roots[i] = roots[i], roots[0]
				break
			}
		}
	}
	if !haveTip && len(roots) > 0 {
		if len(roots) > 1 && roots[0].c.Hash != *opts.Params.GenesisHash {
			names := make([]string, 0, 3)
			for i, r := range roots {
				if i == 3 {
					names = append(names, "…")
					break
				}
				names = append(names, fmt.Sprintf("%s (%s, parent %s)", r.c.Hash, r.c.Where, r.c.Header.PrevBlock))
			}
			return finish(fmt.Errorf("%d blocks have unknown parents, but an empty index can start from only one: %s; ingest the blocks that connect them, or one chain at a time",
				len(roots), strings.Join(names, "; ")))
		}
		r := roots[0]
		h, err := baseHeight(r, opts)
		if err != nil {
			return finish(err)
		}
		r.height, r.work, r.state = h, blockWork(r.c.Header.Bits), connected
		roots = roots[1:]
	}
	for _, r := range roots {
		r.state = orphaned
	}

	// Resolve heights and work down every linked branch.
	var stack []*node
	for _, n := range order {
		for m := n; m.state == unresolved; m = m.parent {
			stack = append(stack, m)
		}
		for i := len(stack) - 1; i >= 0; i-- {
			m := stack[i]
			p := m.parent
			if p.state == orphaned {
				m.state = orphaned
				continue
			}
			m.height = p.height + 1
			m.work = new(big.Int).Add(p.work, blockWork(m.c.Header.Bits))
			m.state = connected
		}
		stack = stack[:0]
	}

	// The best tip: most work, the first seen among equals (as a node does).
	var best *node
	var firstOrphan *node
	orphans := 0
	for _, n := range order {
		switch {
		case n.state == orphaned && n.stored:
			// Remembered from an earlier run and still waiting for its parent.
		case n.state == orphaned:
			orphans++
			if firstOrphan == nil {
				firstOrphan = n
			}
		case !n.indexed && (best == nil || n.work.Cmp(best.work) > 0):
			best = n
		}
	}
	orphanErr := func() error {
		if orphans == 0 {
			return nil
		}
		root := firstOrphan
		for root.parent != nil {
			root = root.parent
		}
		return &OrphanError{Hash: root.c.Hash, Parent: root.c.Header.PrevBlock, Where: root.c.Where, Count: orphans}
	}

	if best == nil || (haveTip && best.work.Cmp(tip.Work) <= 0) {
		for _, n := range order {
			if n.state == connected && !n.indexed && !n.stored {
				sum.Stale++
			}
		}
		if best != nil {
			opts.Logger.Info("no new block beats the index tip", "tip", tip.Hash, "height", tip.Height, "best_candidate", best.c.Hash)
		}
		if err := remember(order, nil, opts); err != nil {
			return finish(err)
		}
		return finish(orphanErr())
	}

	// The branch to apply, from the fork point up to best.
	var path []*node
	for n := best; n != nil && !n.indexed; n = n.parent {
		path = append(path, n)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	inBranch := make(map[*node]bool, len(path))
	for _, n := range path {
		inBranch[n] = true
	}
	for _, n := range order {
		if n.state == connected && !n.indexed && !inBranch[n] && !n.stored {
			sum.Stale++
		}
	}
	if err := remember(order, inBranch, opts); err != nil {
		return finish(err)
	}

	if haveTip {
		fork := path[0].height - 1
		if tip.Height > fork && opts.Side != nil {
			// A reorg: the new branch is stored before the first undo, so a run killed
			// between the undo and the end of the branch resumes onto it (Resume).
			for _, n := range path {
				if err := keep(n, opts.Side); err != nil {
					return finish(err)
				}
			}
		}
		if err := undoTo(ch, fork, &sum, opts); err != nil {
			return finish(err)
		}
	}

	items := make([]item, len(path))
	for i, n := range path {
		items[i] = item{height: n.height, hash: n.c.Hash, size: n.c.Size, where: n.c.Where, read: n.c.Read}
	}
	if err := applyItems(ctx, ch, items, opts, &sum); err != nil {
		return finish(err)
	}
	// Applied and flushed: stored copies of the branch are no longer needed.
	if opts.Side != nil {
		for _, n := range path {
			if err := opts.Side.Remove(n.c.Hash); err != nil {
				return finish(err)
			}
		}
	}
	return finish(orphanErr())
}

// Resume applies what the side-block store holds to ch when it beats ch's tip: the rest of
// a reorg that a crash interrupted, or a remembered branch. Without a store it does nothing.
func Resume(ctx context.Context, ch Chain, opts Options) (Summary, error) {
	if opts.Side == nil {
		return Summary{}, nil
	}
	return Blocks(ctx, ch, nil, opts)
}

// remember stores in opts.Side every given block that stays off the active chain (a branch
// with less work, or one whose parent is missing), and forgets stored blocks that the active
// chain now holds. Blocks in skip (the branch about to be applied) are left alone.
func remember(order []*node, skip map[*node]bool, opts Options) error {
	if opts.Side == nil {
		return nil
	}
	for _, n := range order {
		switch {
		case skip[n]:
		case n.indexed && n.stored:
			if err := opts.Side.Remove(n.c.Hash); err != nil {
				return err
			}
		case !n.indexed && !n.stored:
			if err := keep(n, opts.Side); err != nil {
				return err
			}
		}
	}
	return nil
}

// keep writes n's block to the store unless it is there already.
func keep(n *node, side *SideStore) error {
	if n.stored || side.Has(n.c.Hash) {
		return nil
	}
	b, _, err := n.c.Read()
	if err != nil {
		return fmt.Errorf("read block %s (%s) to remember it: %w", n.c.Hash, n.c.Where, err)
	}
	if err := side.Put(b); err != nil {
		return err
	}
	n.stored = true
	return nil
}

// baseHeight decides the height of the first block of an empty index. A height the
// block itself settles (the genesis, a child of the genesis, a BIP34 commitment) is
// used, and a --start-height that contradicts it is an error rather than wrong heights.
func baseHeight(r *node, opts Options) (int64, error) {
	known, how := int64(-1), ""
	switch {
	case r.c.Hash == *opts.Params.GenesisHash:
		known, how = 0, "it is the "+opts.Params.Name+" genesis block"
	case r.c.Header.PrevBlock == *opts.Params.GenesisHash:
		known, how = 1, "its parent is the "+opts.Params.Name+" genesis block"
	case opts.BlockHeight != nil:
		b, _, err := r.c.Read()
		if err != nil {
			return 0, fmt.Errorf("read block %s (%s): %w", r.c.Hash, r.c.Where, err)
		}
		// Before BIP34 activation a coinbase may start with anything that reads as a
		// number: only a height at or above the activation height is a commitment.
		if h, ok := opts.BlockHeight(b); ok && h >= int64(opts.Params.BIP0034Height) {
			known, how = h, "its coinbase commits to it: BIP34"
		}
	}
	if opts.StartHeight != nil {
		if known >= 0 && *opts.StartHeight != known {
			return 0, fmt.Errorf("--start-height %d contradicts block %s (%s): its height is %d (%s)",
				*opts.StartHeight, r.c.Hash, r.c.Where, known, how)
		}
		return *opts.StartHeight, nil
	}
	if known >= 0 {
		return known, nil
	}
	return 0, fmt.Errorf("cannot tell the height of block %s (%s), the first block of an empty index: its coinbase commits to no height (BIP34, %s from height %d) and its parent is not the genesis; pass --start-height",
		r.c.Hash, r.c.Where, opts.Params.Name, opts.Params.BIP0034Height)
}

// undoTo disconnects ch's tip until its height is fork.
func undoTo(ch Chain, fork int64, sum *Summary, opts Options) error {
	tip, ok := ch.Tip()
	if !ok || tip.Height <= fork {
		return nil
	}
	if base, ok := ch.Base(); ok && fork < base-1 {
		return fmt.Errorf("reorg to fork point at height %d would undo below the index's first block (height %d)", fork, base)
	}
	opts.Logger.Info("reorg: undoing to fork point", "from_height", tip.Height, "from", tip.Hash, "fork_height", fork)
	for tip.Height > fork {
		if err := ch.Undo(); err != nil {
			return fmt.Errorf("undo block %d %s: %w", tip.Height, tip.Hash, err)
		}
		sum.Undone++
		if tip, ok = ch.Tip(); !ok {
			break
		}
	}
	return nil
}
