package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// item is one block to apply at a known height.
type item struct {
	height int64
	hash   chainhash.Hash // zero when not known in advance (RPC by height)
	size   int64
	where  string
	read   func() (*wire.MsgBlock, []chainhash.Hash, error)
}

// decoded is an item after its read.
type decoded struct {
	it    item
	b     *wire.MsgBlock
	txids []chainhash.Hash
	err   error
}

// slot carries one item's read to the applying loop.
type slot struct {
	done   chan struct{} // closed when d is set
	d      decoded
	tokens int // prefetch budget held, in MiB
}

// prefetchMiB bounds the block data read ahead of Apply (blocks of unknown size count 1 MiB).
const prefetchMiB = 64

func tokensFor(size int64) int {
	return int(min(max((size+1<<20-1)>>20, 1), prefetchMiB))
}

// errBranchChanged means a block did not extend the tip as expected (the source changed
// under us, e.g. a node reorganised while we fetched).
var errBranchChanged = errors.New("block does not extend the index tip")

// applyItems reads items on up to opts.Readers goroutines, at most opts.Prefetch ahead, and
// applies them in order. It flushes every opts.FlushBytes / opts.FlushInterval and once at the end, also
// when ctx is cancelled (then it returns ErrInterrupted) or a block fails.
func applyItems(ctx context.Context, ch Chain, items []item, opts Options, sum *Summary) (err error) {
	if len(items) == 0 {
		return nil
	}
	var total int64
	for _, it := range items {
		total += it.size
	}
	if opts.Progress != nil {
		opts.Progress.Begin(len(items), total)
		defer opts.Progress.End()
	}

	// Readers run up to opts.Readers reads at once; slots hands their results to the
	// applying loop in item order, at most opts.Prefetch blocks and prefetchMiB of block
	// data (one token per MiB) ahead of it.
	stop := make(chan struct{})
	slots := make(chan *slot, opts.Prefetch)
	tokens := make(chan struct{}, prefetchMiB)
	jobs := make(chan *slot)
	for range opts.Readers { // long-lived readers keep their grown stacks
		go func() {
			for s := range jobs {
				b, txids, err := s.d.it.read()
				s.d.b, s.d.txids, s.d.err = b, txids, err
				close(s.done)
			}
		}()
	}
	go func() {
		defer close(slots)
		defer close(jobs)
		for _, it := range items {
			s := &slot{done: make(chan struct{}), tokens: tokensFor(it.size), d: decoded{it: it}}
			for range s.tokens {
				select {
				case tokens <- struct{}{}:
				case <-stop:
					return
				}
			}
			select {
			case slots <- s:
			case <-stop:
				return
			}
			select {
			case jobs <- s:
			case <-stop:
				s.d.err = ErrInterrupted
				close(s.done)
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range slots { // let the dispatcher exit; running reads finish on their own
		}
	}()

	applied := 0
	lastFlush := time.Now()
	var unflushed int64
	flush := func() error {
		t := time.Now()
		if err := ch.Flush(); err != nil {
			return fmt.Errorf("flush index: %w", err)
		}
		opts.Logger.Debug("flushed index", "bytes", unflushed, "took", time.Since(t))
		lastFlush, unflushed = time.Now(), 0
		return nil
	}
	defer func() {
		if ferr := flush(); ferr != nil && err == nil {
			err = ferr
		}
	}()

	for sl := range slots {
		<-sl.done
		for range sl.tokens {
			<-tokens
		}
		d := sl.d
		if ctx.Err() != nil {
			sum.Interrupted = true
			return fmt.Errorf("%w at height %d: %v", ErrInterrupted, d.it.height-1, context.Cause(ctx))
		}
		if d.err != nil {
			return fmt.Errorf("read block at height %d%s: %w", d.it.height, whereSuffix(d.it.where), d.err)
		}
		b := d.b
		hash := d.it.hash // checked against the header by the source when known
		if hash == (chainhash.Hash{}) {
			hash = b.Header.BlockHash()
		}
		if tip, ok := ch.Tip(); ok {
			if tip.Height != d.it.height-1 || b.Header.PrevBlock != tip.Hash {
				return fmt.Errorf("%w: block %s at height %d has parent %s, the tip is %d %s",
					errBranchChanged, hash, d.it.height, b.Header.PrevBlock, tip.Height, tip.Hash)
			}
		}
		if err := ch.Apply(b, d.txids, d.it.height); err != nil {
			return fmt.Errorf("apply block %d %s%s: %w", d.it.height, hash, whereSuffix(d.it.where), err)
		}
		size := d.it.size
		if size == 0 {
			size = blockSize(b)
		}
		applied++
		sum.Applied++
		sum.Bytes += size
		unflushed += size
		if opts.Progress != nil {
			opts.Progress.Advance(d.it.height, size)
		}
		if unflushed >= opts.FlushBytes || time.Since(lastFlush) >= opts.FlushInterval {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil && applied < len(items) {
		sum.Interrupted = true
		return fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
	}
	return nil
}

func whereSuffix(w string) string {
	if w == "" {
		return ""
	}
	return " (" + w + ")"
}
