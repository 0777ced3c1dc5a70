package source

import (
	"bytes"
	"crypto/sha256"
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

// DecodeChecked parses b.Raw like Decode and also checks the header's merkle
// root against the transactions, so a block whose body was damaged on disk
// is an error rather than wrong data. It returns the txids it computed (in
// block order) so callers need not hash the transactions again. Witness data
// is not covered by the merkle root and so not checked. The txids are hashed
// straight from the raw bytes (a witness tx's id covers its version, inputs,
// outputs and lock time around the marker, flag and witnesses), not from a
// re-serialization.
func (b *Block) DecodeChecked() (*wire.MsgBlock, []chainhash.Hash, error) {
	raw, origin := b.Raw, b.Origin
	var m wire.MsgBlock
	buf := bytes.NewBuffer(raw)
	locs, err := m.DeserializeTxLoc(buf)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: decode block: %w", origin, err)
	}
	if buf.Len() != 0 {
		return nil, nil, fmt.Errorf("%s: decode block %s: %d trailing bytes after the last transaction", origin, m.BlockHash(), buf.Len())
	}
	if len(m.Transactions) == 0 {
		return nil, nil, fmt.Errorf("%s: block %s has no transactions", origin, m.BlockHash())
	}
	txids := make([]chainhash.Hash, len(m.Transactions))
	h := sha256.New()
	var first [sha256.Size]byte
	for i, tx := range m.Transactions {
		b := raw[locs[i].TxStart : locs[i].TxStart+locs[i].TxLen]
		if !tx.HasWitness() {
			txids[i] = chainhash.DoubleHashH(b)
			continue
		}
		body := tx.SerializeSizeStripped() - 8 // inputs and outputs, with their counts
		if len(b) < 4+2+body+4 {
			return nil, nil, fmt.Errorf("%s: block %s: tx %d is shorter than its parts", origin, m.BlockHash(), i)
		}
		h.Reset()
		h.Write(b[:4])
		h.Write(b[6 : 6+body])
		h.Write(b[len(b)-4:])
		h.Sum(first[:0])
		txids[i] = sha256.Sum256(first[:])
	}
	if root := merkleRoot(txids); root != m.Header.MerkleRoot {
		return nil, nil, fmt.Errorf("%s: block %s: merkle root of the transactions is %s, the header says %s (damaged block)",
			origin, m.BlockHash(), root, m.Header.MerkleRoot)
	}
	return &m, txids, nil
}

// merkleRoot computes the Bitcoin merkle root of txids (the last hash of an
// odd level is paired with itself).
func merkleRoot(txids []chainhash.Hash) chainhash.Hash {
	level := append([]chainhash.Hash(nil), txids...)
	var pair [2 * chainhash.HashSize]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			j := min(i+1, len(level)-1)
			copy(pair[:chainhash.HashSize], level[i][:])
			copy(pair[chainhash.HashSize:], level[j][:])
			next = append(next, chainhash.DoubleHashH(pair[:]))
		}
		level = next
	}
	return level[0]
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
