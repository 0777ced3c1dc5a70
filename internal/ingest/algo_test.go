package ingest

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Synthetic chains for the algorithm's corner cases; the real-data tests in
// realdata_test.go check the same paths against MANIFEST facts.

func TestBlocksOrderAndReorg(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	main := append([]*wire.MsgBlock{g}, line(g.BlockHash(), 4, 1)...) // heights 0..4
	fork := line(main[2].BlockHash(), 3, 100)                         // 3A 4A 5A
	heavy := gen(main[3].BlockHash(), 200, 0x1f7fffff)                // one block worth 256 easy ones

	type run struct {
		in   []*wire.MsgBlock
		want []*wire.MsgBlock // the active chain afterwards
		undo int
	}
	cat := func(parts ...[]*wire.MsgBlock) []*wire.MsgBlock {
		var out []*wire.MsgBlock
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		runs []run
	}{
		{"in order", []run{{in: main, want: main}}},
		{"reversed", []run{{in: []*wire.MsgBlock{main[4], main[3], main[2], main[1], main[0]}, want: main}}},
		{"fork in one run", []run{{in: cat(main, fork), want: cat(main[:3], fork)}}},
		{"fork first, main later", []run{{in: cat(fork, main), want: cat(main[:3], fork)}}},
		{"reorg across runs", []run{{in: main, want: main}, {in: fork, want: cat(main[:3], fork), undo: 2}}},
		{"shorter fork loses", []run{{in: main, want: main}, {in: fork[:2], want: main}}},
		{"equal work: first seen stays", []run{{in: cat(main[:3], fork[:2]), want: cat(main[:3], fork[:2])}, {in: main, want: cat(main[:3], fork[:2])}}},
		{"more work, fewer blocks", []run{{in: cat(main, fork), want: cat(main[:3], fork)}, {in: []*wire.MsgBlock{heavy, main[3]}, want: cat(main[:4], []*wire.MsgBlock{heavy}), undo: 3}}},
		{"rerun is a no-op", []run{{in: main, want: main}, {in: main, want: main}}},
		{"resume a prefix", []run{{in: main[:2], want: main[:2]}, {in: main, want: main}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := &memChain{}
			for i, r := range tc.runs {
				s, err := Blocks(context.Background(), ch, cands(r.in...), Options{Params: testParams(g), Logger: quietLogger(t)})
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				mustHashes(t, ch.hashes(), r.want)
				if s.Undone != r.undo {
					t.Fatalf("run %d: undone %d, want %d", i, s.Undone, r.undo)
				}
				if ch.flushed != len(ch.blocks) {
					t.Fatalf("run %d: %d of %d blocks flushed", i, ch.flushed, len(ch.blocks))
				}
			}
		})
	}
}

func TestBlocksOrphans(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	main := append([]*wire.MsgBlock{g}, line(g.BlockHash(), 6, 1)...)
	p := Options{Params: testParams(g), Logger: quietLogger(t)}

	// A gap in the middle: 0..2 and 4..6 given; 4's parent (3) is missing.
	ch := &memChain{}
	if _, err := Blocks(context.Background(), ch, cands(main[:3]...), p); err != nil {
		t.Fatal(err)
	}
	_, err := Blocks(context.Background(), ch, cands(main[4:]...), p)
	var oe *OrphanError
	if !errors.As(err, &oe) || oe.Hash != main[4].BlockHash() || oe.Parent != main[3].BlockHash() || oe.Count != 3 {
		t.Fatalf("got %v, want an OrphanError naming block 4 (3 blocks)", err)
	}
	mustHashes(t, ch.hashes(), main[:3])

	// What connects is applied before the orphan is reported.
	ch = &memChain{}
	_, err = Blocks(context.Background(), ch, cands(main[:3]...), p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Blocks(context.Background(), ch, cands(main[3], main[5], main[6]), p)
	if !errors.As(err, &oe) || oe.Hash != main[5].BlockHash() || oe.Count != 2 {
		t.Fatalf("got %v, want an OrphanError naming block 5", err)
	}
	mustHashes(t, ch.hashes(), main[:4])

	// An empty index accepts one root, not two.
	ch = &memChain{}
	_, err = Blocks(context.Background(), ch, cands(append(main[1:3:3], main[4:]...)...), p)
	if err == nil || !strings.Contains(err.Error(), "2 blocks have unknown parents") {
		t.Fatalf("got %v, want a two-roots error", err)
	}
	if len(ch.blocks) != 0 {
		t.Fatalf("applied %d blocks despite the error", len(ch.blocks))
	}

	// Unless one of them is the genesis block: it is the base, the rest are orphans
	// (the first blk files of a Core folder, given without the later ones).
	ch = &memChain{}
	_, err = Blocks(context.Background(), ch, cands(main[4], main[5], main[0], main[1], main[2]), p)
	if !errors.As(err, &oe) || oe.Hash != main[4].BlockHash() || oe.Count != 2 {
		t.Fatalf("got %v, want an OrphanError naming block 4", err)
	}
	mustHashes(t, ch.hashes(), main[:3])
}

func TestBaseHeight(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	main := append([]*wire.MsgBlock{g}, line(g.BlockHash(), 3, 1)...)
	p := testParams(g)
	p.BIP0034Height = 400
	seven, fiveHundred := int64(7), int64(500)
	bip34 := func(b *wire.MsgBlock) (int64, bool) { return 500, b.Header.Nonce == 2 }
	early := func(b *wire.MsgBlock) (int64, bool) { return 300, true } // below activation: not a commitment
	tests := []struct {
		name    string
		in      []*wire.MsgBlock
		opts    Options
		base    int64
		wantErr string
	}{
		{"genesis", main, Options{Params: p}, 0, ""},
		{"child of genesis", main[1:], Options{Params: p}, 1, ""},
		{"start height", main[2:], Options{Params: p, StartHeight: &seven}, 7, ""},
		{"start height agrees with bip34", main[2:], Options{Params: p, StartHeight: &fiveHundred, BlockHeight: bip34}, 500, ""},
		{"start height contradicts genesis", main, Options{Params: p, StartHeight: &seven}, 0, "its height is 0"},
		{"start height contradicts child of genesis", main[1:], Options{Params: p, StartHeight: &seven}, 0, "its height is 1"},
		{"start height contradicts bip34", main[2:], Options{Params: p, StartHeight: &seven, BlockHeight: bip34}, 0, "its height is 500"},
		{"start height with bip34 below activation", main[2:], Options{Params: p, StartHeight: &seven, BlockHeight: early}, 7, ""},
		{"bip34", main[2:], Options{Params: p, BlockHeight: bip34}, 500, ""},
		{"bip34 below activation", main[2:], Options{Params: p, BlockHeight: early}, 0, "pass --start-height"},
		{"unknown", main[2:], Options{Params: p}, 0, "pass --start-height"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := &memChain{}
			_, err := Blocks(context.Background(), ch, cands(tc.in...), tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := ch.Base(); b != tc.base {
				t.Fatalf("base %d, want %d", b, tc.base)
			}
		})
	}
}

func TestBlocksInterruptAndFailure(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	main := append([]*wire.MsgBlock{g}, line(g.BlockHash(), 50, 1)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := &memChain{}
	cs := cands(main...)
	for i := range cs {
		read := cs[i].Read
		i := i
		cs[i].Read = func() (*wire.MsgBlock, []chainhash.Hash, error) {
			if i == 20 {
				cancel()
			}
			return read()
		}
	}
	s, err := Blocks(ctx, ch, cs, Options{Params: testParams(g), Prefetch: 1, Logger: quietLogger(t)})
	if !errors.Is(err, ErrInterrupted) || !s.Interrupted {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if len(ch.blocks) == 0 || len(ch.blocks) > 21 || ch.flushed != len(ch.blocks) {
		t.Fatalf("after interrupt: %d blocks, %d flushed", len(ch.blocks), ch.flushed)
	}
	// Resume.
	if _, err := Blocks(context.Background(), ch, cands(main...), Options{Params: testParams(g), Logger: quietLogger(t)}); err != nil {
		t.Fatal(err)
	}
	mustHashes(t, ch.hashes(), main)

	// A failing Apply stops the run, keeps and flushes what came before.
	ch = &memChain{failAt: 10}
	_, err = Blocks(context.Background(), ch, cands(main...), Options{Params: testParams(g), Logger: quietLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "injected failure") || len(ch.blocks) != 10 || ch.flushed != 10 {
		t.Fatalf("got %v with %d blocks (%d flushed)", err, len(ch.blocks), ch.flushed)
	}

	// Periodic flushes happen by size.
	ch = &memChain{}
	if _, err := Blocks(context.Background(), ch, cands(main...), Options{Params: testParams(g), FlushBytes: 1000, Logger: quietLogger(t)}); err != nil {
		t.Fatal(err)
	}
	if ch.flushes < 3 {
		t.Fatalf("%d flushes, want several", ch.flushes)
	}
}

func TestSyncAndFollow(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	main := append([]*wire.MsgBlock{g}, line(g.BlockHash(), 10, 1)...)
	fork := append(main[:7:7], line(main[6].BlockHash(), 6, 100)...)
	node := &fakeNode{chain: main}
	ch := &memChain{}
	opts := Options{Params: testParams(g), Logger: quietLogger(t)}
	s, err := Sync(context.Background(), ch, node, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustHashes(t, ch.hashes(), main)
	if s.Applied != 11 {
		t.Fatalf("applied %d", s.Applied)
	}
	node.set(fork)
	s, err = Sync(context.Background(), ch, node, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustHashes(t, ch.hashes(), fork)
	if s.Undone != 4 || s.Applied != 6 {
		t.Fatalf("undone %d applied %d, want 4 and 6", s.Undone, s.Applied)
	}
	// A node behind the index (its tip is on the index's chain) undoes nothing.
	node.set(fork[:9])
	if s, err = Sync(context.Background(), ch, node, opts); err != nil || s.Undone != 0 {
		t.Fatalf("lagging node: %+v, %v", s, err)
	}
	mustHashes(t, ch.hashes(), fork)
	// A branch with less work (a reset node mining on its own) is not followed.
	short := append(main[:5:5], gen(main[4].BlockHash(), 300, easy))
	node.set(short)
	_, err = Sync(context.Background(), ch, node, opts)
	var lw *LessWorkError
	if !errors.As(err, &lw) || lw.Fork != 4 {
		t.Fatalf("less-work branch: got %v, want a LessWorkError from height 4", err)
	}
	mustHashes(t, ch.hashes(), fork)
	// A shorter branch with more work is followed down.
	heavy := append(main[:5:5], gen(main[4].BlockHash(), 301, 0x1f7fffff))
	node.set(heavy)
	if s, err = Sync(context.Background(), ch, node, opts); err != nil || s.Undone != 8 || s.Applied != 1 {
		t.Fatalf("shorter, heavier branch: %+v, %v", s, err)
	}
	mustHashes(t, ch.hashes(), heavy)
	if ch.flushed != len(heavy) {
		t.Fatalf("%d of %d flushed", ch.flushed, len(heavy))
	}

	// A node that is down is named.
	node.down = true
	_, err = Sync(context.Background(), ch, node, opts)
	var ne *NodeError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "http://fake-node") {
		t.Fatalf("got %v, want a NodeError naming the URL", err)
	}

	// Follow retries while the node is down and catches up when it returns.
	node.mu.Lock()
	h1 := gen(main[4].BlockHash(), 310, 0x1f7fffff)
	target := append(main[:5:5], h1, gen(h1.BlockHash(), 311, 0x1f7fffff)) // outweighs heavy
	node.down, node.chain = true, target
	node.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Follow(ctx, ch, node, opts, 10*time.Millisecond)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	node.mu.Lock()
	node.down = false
	node.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if tip, ok := ch.Tip(); ok && tip.Hash == target[len(target)-1].BlockHash() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("follow did not reach the node's tip")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mustHashes(t, ch.hashes(), target)

	// A node on another chain is refused.
	other := gen(chainhash.Hash{1}, 5, easy)
	node.set([]*wire.MsgBlock{other})
	_, err = Sync(context.Background(), ch, node, opts)
	if err == nil || !strings.Contains(err.Error(), "does not share") {
		t.Fatalf("got %v", err)
	}
}

// A node whose tip is below --start-height indexes nothing and says why.
func TestSyncStartAboveNodeTip(t *testing.T) {
	g := gen(chainhash.Hash{}, 1000, easy)
	node := &fakeNode{chain: append([]*wire.MsgBlock{g}, line(g.BlockHash(), 3, 1)...)}
	var logs strings.Builder
	start := int64(10)
	ch := &memChain{}
	s, err := Sync(context.Background(), ch, node, Options{Params: testParams(g), StartHeight: &start,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil || s.Applied != 0 || len(ch.blocks) != 0 {
		t.Fatalf("applied %d (%d blocks), err %v; want nothing", s.Applied, len(ch.blocks), err)
	}
	if !strings.Contains(logs.String(), "below --start-height") || !strings.Contains(logs.String(), "node_height=3") {
		t.Fatalf("no warning naming the node's height: %q", logs.String())
	}
}
