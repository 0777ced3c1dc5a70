package source

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Block is one serialized block and where it came from.
type Block struct {
	Hash   chainhash.Hash
	Header wire.BlockHeader
	Raw    []byte // the serialized block (witness encoding), un-obfuscated
	Origin string // "FILE@OFFSET" (offset of the block bytes) or "rpc URL"
}

// Decode parses b.Raw into a wire.MsgBlock. Trailing bytes after the last
// transaction are an error.
func (b *Block) Decode() (*wire.MsgBlock, error) {
	var m wire.MsgBlock
	r := bytes.NewReader(b.Raw)
	if err := m.Deserialize(r); err != nil {
		return nil, fmt.Errorf("%s: decode block %s: %w", b.Origin, b.Hash, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%s: decode block %s: %d trailing bytes after the last transaction", b.Origin, b.Hash, r.Len())
	}
	return &m, nil
}

// newBlock builds a Block from raw bytes, checking the header hash against
// want when want is non-nil.
func newBlock(raw []byte, origin string, want *chainhash.Hash) (*Block, error) {
	if len(raw) < wire.MaxBlockHeaderPayload {
		return nil, fmt.Errorf("%s: block of %d bytes is shorter than a header", origin, len(raw))
	}
	b := &Block{Raw: raw, Origin: origin}
	if err := b.Header.Deserialize(bytes.NewReader(raw[:wire.MaxBlockHeaderPayload])); err != nil {
		return nil, fmt.Errorf("%s: block header: %w", origin, err)
	}
	b.Hash = b.Header.BlockHash()
	if want != nil && b.Hash != *want {
		return nil, fmt.Errorf("%s: block hash %s, want %s", origin, b.Hash, want)
	}
	return b, nil
}
