package ingest

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// decodeChecked decodes a serialized block, computes its txids from the raw bytes (no
// re-serialization: a witness tx's id hashes its version, inputs and outputs, and lock time
// around the marker, flag and witnesses) and checks the header's merkle root against them.
// It does what source.Block.DecodeChecked does, about twice as fast.
func decodeChecked(raw []byte, origin string) (*wire.MsgBlock, []chainhash.Hash, error) {
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

// merkleRoot computes the Bitcoin merkle root of txids (an odd level's last hash is paired
// with itself).
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
