package ingest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/source"
)

// FileCandidates lists the blocks of a scanned catalog as candidates, in file order.
// Reading a candidate reads its bytes from the file, decodes them and checks the merkle
// root, so a block damaged on disk is an error rather than wrong data.
func FileCandidates(files *source.Files) []Candidate {
	entries := files.Entries()
	cs := make([]Candidate, len(entries))
	for i := range entries {
		e := &entries[i] // the closure holds a pointer, not a copy: catalogs can be large
		cs[i] = Candidate{
			Hash:   e.Hash,
			Header: e.Header,
			Size:   int64(e.Size),
			Where:  e.File + "@" + strconv.FormatInt(e.Offset, 10),
			Read: func() (*wire.MsgBlock, []chainhash.Hash, error) {
				b, err := files.ReadBlock(*e)
				if err != nil {
					return nil, nil, err
				}
				return b.DecodeChecked()
			},
		}
	}
	return cs
}

// rpcNode adapts *source.RPC to Node.
type rpcNode struct{ c *source.RPC }

// FromRPC adapts a JSON-RPC client to the Node that Sync and Follow use.
func FromRPC(c *source.RPC) Node { return rpcNode{c} }

func (n rpcNode) URL() string { return n.c.URL() }
func (n rpcNode) BlockCount(ctx context.Context) (int64, error) {
	return n.c.BlockCount(ctx)
}
func (n rpcNode) BestBlockHash(ctx context.Context) (chainhash.Hash, error) {
	return n.c.BestBlockHash(ctx)
}
func (n rpcNode) BlockHash(ctx context.Context, h int64) (chainhash.Hash, error) {
	return n.c.BlockHash(ctx, h)
}
func (n rpcNode) BlockHeader(ctx context.Context, hash chainhash.Hash) (wire.BlockHeader, error) {
	var h wire.BlockHeader
	var s string
	if err := n.c.Call(ctx, "getblockheader", &s, hash.String(), false); err != nil {
		return h, err
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("getblockheader %s: %w", hash, err)
	}
	if err := h.Deserialize(bytes.NewReader(raw)); err != nil {
		return h, fmt.Errorf("getblockheader %s: %w", hash, err)
	}
	if h.BlockHash() != hash {
		return h, fmt.Errorf("getblockheader %s: the node sent header %s", hash, h.BlockHash())
	}
	return h, nil
}

func (n rpcNode) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, []chainhash.Hash, int64, error) {
	b, err := n.c.Block(ctx, hash)
	if err != nil {
		return nil, nil, 0, err
	}
	m, txids, err := b.DecodeChecked()
	if err != nil {
		return nil, nil, 0, err
	}
	return m, txids, int64(len(b.Raw)), nil
}
