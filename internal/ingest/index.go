package ingest

import (
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/index"
)

// indexChain adapts *index.Index to Chain.
type indexChain struct{ ix *index.Index }

// FromIndex adapts the chain index to the Chain that Blocks, Sync and Follow drive.
func FromIndex(ix *index.Index) Chain { return indexChain{ix} }

func (c indexChain) Tip() (Tip, bool) {
	t, ok := c.ix.Tip()
	if !ok {
		return Tip{}, false
	}
	return Tip{Height: t.Height, Hash: t.Hash, Work: t.Work}, true
}

func (c indexChain) Base() (int64, bool) {
	h, _, ok := c.ix.Base()
	return h, ok
}

func (c indexChain) HashAt(h int64) (chainhash.Hash, error) {
	hash, ok := c.ix.HashAt(h)
	if !ok {
		return chainhash.Hash{}, fmt.Errorf("height %d: %w", h, index.ErrNotFound)
	}
	return hash, nil
}

func (c indexChain) HeightOf(hash chainhash.Hash) (int64, bool, error) {
	h, ok := c.ix.HeightOf(hash)
	return h, ok, nil
}

func (c indexChain) WorkAt(h int64) (*big.Int, error) {
	w, ok := c.ix.WorkAt(h)
	if !ok {
		return nil, fmt.Errorf("work at height %d: %w", h, index.ErrNotFound)
	}
	return w, nil
}

func (c indexChain) Apply(b *wire.MsgBlock, txids []chainhash.Hash, height int64) error {
	return c.ix.ApplyTxids(b, height, txids)
}
func (c indexChain) Undo() error  { return c.ix.Undo() }
func (c indexChain) Flush() error { return c.ix.Flush() }
