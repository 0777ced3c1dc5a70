package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/btcdtest"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/source"
)

func rpcOf(n *btcdtest.Node) *source.RPC { return source.NewRPC(n.RPCURL, n.User, n.Pass) }

func openRegtest(t *testing.T, dir string) *index.Index {
	t.Helper()
	ix, err := index.Open(dir, index.Options{Network: &chaincfg.RegressionNetParams, CacheBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func nodeOpts(t *testing.T) Options {
	return Options{Params: &chaincfg.RegressionNetParams, BlockHeight: chain.BlockHeight, Logger: quietLogger(t)}
}

// digest returns the index's verify digest, failing on an inconsistent index.
func digest(t *testing.T, ix *index.Index) string {
	t.Helper()
	rep, err := ix.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return fmt.Sprint(rep.Digest)
}

// TestNode ingests from a real btcd over RPC, follows it through a reorg made by a longer
// competing branch mined on a second node, and checks what happens when the node goes away.
func TestNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two btcd nodes")
	}
	ctx := context.Background()
	a := btcdtest.Start(t)
	a.Generate(110)
	ra := rpcOf(a)
	node := FromRPC(ra)

	ix := openRegtest(t, t.TempDir())
	defer ix.Close()
	s, err := Sync(ctx, FromIndex(ix), node, nodeOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	best, err := ra.BestBlockHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tip, ok := ix.Tip(); !ok || tip.Hash != best || tip.Height != 110 || s.Applied != 111 {
		t.Fatalf("after sync: tip %+v, applied %d; node tip %s at 110", tip, s.Applied, best)
	}

	// A competing branch: node B gets A's blocks 1..100 and mines 15 more (height 115).
	b := btcdtest.Start(t)
	rb := rpcOf(b)
	for h := int64(1); h <= 100; h++ {
		hash, err := ra.BlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := ra.Block(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.SubmitBlock(blk.Raw); err != nil {
			t.Fatalf("submit block %d to B: %v", h, err)
		}
	}
	branch := b.Generate(15)

	// Follow A while B's branch is submitted to it.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Follow(fctx, FromIndex(ix), node, nodeOpts(t), 100*time.Millisecond)
		done <- err
	}()
	for _, hash := range branch {
		blk, err := rb.Block(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SubmitBlock(blk.Raw); err != nil {
			t.Fatalf("submit branch block %s to A: %v", hash, err)
		}
	}
	want := branch[len(branch)-1]
	if got, err := ra.BestBlockHash(ctx); err != nil || got != want {
		t.Fatalf("node A did not reorganise to B's branch: best %s, %v", got, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if tip, ok := ix.Tip(); ok && tip.Hash == want {
			if tip.Height != 115 {
				t.Fatalf("followed tip at height %d, want 115", tip.Height)
			}
			break
		}
		if time.Now().After(deadline) {
			tip, _ := ix.Tip()
			t.Fatalf("follow did not reach the node's new tip %s; index tip %d %s", want, tip.Height, tip.Hash)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	followed := digest(t, ix)

	fresh := openRegtest(t, t.TempDir())
	defer fresh.Close()
	if _, err := Sync(ctx, FromIndex(fresh), node, nodeOpts(t)); err != nil {
		t.Fatal(err)
	}
	if d := digest(t, fresh); d != followed {
		t.Fatalf("digest after following a reorg %s differs from a fresh ingest's %s", followed, d)
	}

	// A fresh node that mined 3 blocks of its own has less work: nothing is undone.
	c := btcdtest.Start(t)
	c.Generate(3)
	_, err = Sync(ctx, FromIndex(ix), FromRPC(rpcOf(c)), nodeOpts(t))
	var lw *LessWorkError
	if !errors.As(err, &lw) || lw.Fork != 0 || lw.NodeHeight != 3 {
		t.Fatalf("fresh node: got %v, want a LessWorkError from genesis", err)
	}
	if tip, ok := ix.Tip(); !ok || tip.Hash != want {
		t.Fatalf("index tip changed by a node with less work: %+v", tip)
	}

	// The node goes away: Sync names it; Follow keeps retrying and keeps what is indexed.
	a.Stop()
	_, err = Sync(ctx, FromIndex(ix), node, nodeOpts(t))
	var ne *NodeError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), a.RPCURL) {
		t.Fatalf("got %v, want an error naming %s", err, a.RPCURL)
	}
	fctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := Follow(fctx, FromIndex(ix), node, nodeOpts(t), 50*time.Millisecond); err != nil {
		t.Fatalf("follow with the node gone: %v", err)
	}
	if tip, ok := ix.Tip(); !ok || tip.Hash != want {
		t.Fatalf("index tip changed while the node was gone: %+v", tip)
	}
}
