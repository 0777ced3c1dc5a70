package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// memChain is an in-memory Chain that checks the contract Apply and Undo promise.
type memChain struct {
	mu      sync.Mutex
	base    int64
	blocks  []*wire.MsgBlock
	work    []*big.Int
	flushed int // blocks durable at the last Flush
	flushes int
	failAt  int64 // Apply fails at this height when > 0
}

func (m *memChain) Tip() (Tip, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.blocks) == 0 {
		return Tip{}, false
	}
	i := len(m.blocks) - 1
	return Tip{Height: m.base + int64(i), Hash: m.blocks[i].BlockHash(), Work: m.work[i]}, true
}

func (m *memChain) Base() (int64, bool) { return m.base, len(m.blocks) > 0 }

func (m *memChain) HashAt(h int64) (chainhash.Hash, error) {
	i := h - m.base
	if i < 0 || i >= int64(len(m.blocks)) {
		return chainhash.Hash{}, fmt.Errorf("height %d: not found", h)
	}
	return m.blocks[i].BlockHash(), nil
}

func (m *memChain) HeightOf(hash chainhash.Hash) (int64, bool, error) {
	for i, b := range m.blocks {
		if b.BlockHash() == hash {
			return m.base + int64(i), true, nil
		}
	}
	return 0, false, nil
}

func (m *memChain) WorkAt(h int64) (*big.Int, error) {
	i := h - m.base
	if i < 0 || i >= int64(len(m.blocks)) {
		return nil, fmt.Errorf("height %d: not found", h)
	}
	return m.work[i], nil
}

func (m *memChain) Apply(b *wire.MsgBlock, _ []chainhash.Hash, h int64) error {
	if m.failAt > 0 && h == m.failAt {
		return errors.New("injected failure")
	}
	w := blockWork(b.Header.Bits)
	if len(m.blocks) == 0 {
		m.base = h
	} else {
		tip, _ := m.Tip()
		if h != tip.Height+1 || b.Header.PrevBlock != tip.Hash {
			return fmt.Errorf("apply %d does not extend tip %d", h, tip.Height)
		}
		w.Add(w, tip.Work)
	}
	m.mu.Lock()
	m.blocks = append(m.blocks, b)
	m.work = append(m.work, w)
	m.mu.Unlock()
	return nil
}

func (m *memChain) Undo() error {
	if len(m.blocks) == 0 {
		return errors.New("undo on empty chain")
	}
	m.mu.Lock()
	m.blocks = m.blocks[:len(m.blocks)-1]
	m.work = m.work[:len(m.work)-1]
	m.flushed = min(m.flushed, len(m.blocks))
	m.mu.Unlock()
	return nil
}

func (m *memChain) Flush() error { m.flushed = len(m.blocks); m.flushes++; return nil }

func (m *memChain) hashes() []chainhash.Hash {
	var hs []chainhash.Hash
	for _, b := range m.blocks {
		hs = append(hs, b.BlockHash())
	}
	return hs
}

// quietLogger sends warnings and errors to the test's output.
func quietLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// gen makes a child block of prev; tag varies the hash so that siblings differ.
// bits 0x207fffff is regtest's easiest target (work 2 per block); 0x1f7fffff is 512× harder.
func gen(prev chainhash.Hash, tag uint32, bits uint32) *wire.MsgBlock {
	b := wire.NewMsgBlock(&wire.BlockHeader{Version: 1, PrevBlock: prev, Bits: bits, Nonce: tag})
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: ^uint32(0)}, SignatureScript: []byte{byte(tag), byte(tag >> 8), 0x51}})
	cb.AddTxOut(&wire.TxOut{Value: 50, PkScript: []byte{0x51}})
	_ = b.AddTransaction(cb)
	return b
}

const easy = 0x207fffff

// line makes n blocks on top of prev.
func line(prev chainhash.Hash, n int, tag uint32) []*wire.MsgBlock {
	var out []*wire.MsgBlock
	for i := 0; i < n; i++ {
		b := gen(prev, tag+uint32(i), easy)
		out = append(out, b)
		prev = b.BlockHash()
	}
	return out
}

func cands(bs ...*wire.MsgBlock) []Candidate {
	var cs []Candidate
	for i, b := range bs {
		b := b
		cs = append(cs, Candidate{Hash: b.BlockHash(), Header: b.Header, Size: blockSize(b), Where: fmt.Sprintf("test#%d", i),
			Read: func() (*wire.MsgBlock, []chainhash.Hash, error) { return b, nil, nil }})
	}
	return cs
}

// testParams is regtest with the genesis of our synthetic chains.
func testParams(genesis *wire.MsgBlock) *chaincfg.Params {
	p := chaincfg.RegressionNetParams
	h := genesis.BlockHash()
	p.GenesisHash = &h
	return &p
}

// fakeNode is an in-memory Node whose best chain can be swapped.
type fakeNode struct {
	mu    sync.Mutex
	chain []*wire.MsgBlock // heights from 0
	down  bool
	calls int
}

func (f *fakeNode) URL() string { return "http://fake-node" }

func (f *fakeNode) err() error {
	f.calls++
	if f.down {
		return errors.New("connection refused")
	}
	return nil
}

func (f *fakeNode) BlockCount(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err(); err != nil {
		return 0, err
	}
	return int64(len(f.chain) - 1), nil
}

func (f *fakeNode) BestBlockHash(context.Context) (chainhash.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err(); err != nil {
		return chainhash.Hash{}, err
	}
	return f.chain[len(f.chain)-1].BlockHash(), nil
}

func (f *fakeNode) BlockHash(_ context.Context, h int64) (chainhash.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err(); err != nil {
		return chainhash.Hash{}, err
	}
	if h < 0 || h >= int64(len(f.chain)) {
		return chainhash.Hash{}, fmt.Errorf("height %d out of range", h)
	}
	return f.chain[h].BlockHash(), nil
}

func (f *fakeNode) BlockHeader(_ context.Context, hash chainhash.Hash) (wire.BlockHeader, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err(); err != nil {
		return wire.BlockHeader{}, err
	}
	for _, b := range f.chain {
		if b.BlockHash() == hash {
			return b.Header, nil
		}
	}
	return wire.BlockHeader{}, fmt.Errorf("block %s not found", hash)
}

func (f *fakeNode) Block(_ context.Context, hash chainhash.Hash) (*wire.MsgBlock, []chainhash.Hash, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err(); err != nil {
		return nil, nil, 0, err
	}
	for _, b := range f.chain {
		if b.BlockHash() == hash {
			return b, nil, blockSize(b), nil
		}
	}
	return nil, nil, 0, fmt.Errorf("block %s not found", hash)
}

func (f *fakeNode) set(chain []*wire.MsgBlock) {
	f.mu.Lock()
	f.chain = chain
	f.mu.Unlock()
}

func mustHashes(t *testing.T, got []chainhash.Hash, want []*wire.MsgBlock) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("chain has %d blocks, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].BlockHash() {
			t.Fatalf("block %d is %s, want %s", i, got[i], want[i].BlockHash())
		}
	}
}
