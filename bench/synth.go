package main

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"os"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// synthChain writes a regtest block file of reps × len(bodies) blocks whose transactions
// are the real ones of bodies, made unique per repetition: each non-coinbase tx's lock
// time is xored with the repetition number (shifted high) and its inputs re-pointed to
// the renamed txids, each coinbase gets the repetition appended to its script. Headers
// are rebuilt (parent, merkle root, regtest target) and solved. No script is valid any
// more; the index does not validate scripts, so this exercises it as the real bodies do.
func synthChain(path string, bodies [][]byte, reps int) ([][]byte, error) {
	var out [][]byte
	var file bytes.Buffer
	prev := *chaincfg.RegressionNetParams.GenesisHash
	ts := chaincfg.RegressionNetParams.GenesisBlock.Header.Timestamp
	for r := 0; r < reps; r++ {
		renamed := map[chainhash.Hash]chainhash.Hash{}
		for bi, raw := range bodies {
			var m wire.MsgBlock
			if err := m.Deserialize(bytes.NewReader(raw)); err != nil {
				return nil, err
			}
			txids := make([]chainhash.Hash, len(m.Transactions))
			for i, tx := range m.Transactions {
				old := tx.TxHash()
				if i == 0 {
					in := tx.TxIn[0]
					in.SignatureScript = append(in.SignatureScript[:len(in.SignatureScript):len(in.SignatureScript)], byte(r), byte(r>>8), byte(bi))
				} else {
					tx.LockTime ^= uint32(r+1) << 20
					for _, in := range tx.TxIn {
						if n, ok := renamed[in.PreviousOutPoint.Hash]; ok {
							in.PreviousOutPoint.Hash = n
						}
					}
				}
				txids[i] = tx.TxHash()
				renamed[old] = txids[i]
			}
			ts = ts.Add(10 * time.Minute)
			m.Header = wire.BlockHeader{Version: m.Header.Version, PrevBlock: prev, MerkleRoot: merkle(txids), Timestamp: ts, Bits: 0x207fffff}
			solve(&m.Header)
			prev = m.Header.BlockHash()
			var b bytes.Buffer
			if err := m.Serialize(&b); err != nil {
				return nil, err
			}
			var hdr [8]byte
			binary.LittleEndian.PutUint32(hdr[:4], uint32(wire.TestNet)) // regtest magic
			binary.LittleEndian.PutUint32(hdr[4:], uint32(b.Len()))
			file.Write(hdr[:])
			file.Write(b.Bytes())
			out = append(out, b.Bytes())
		}
	}
	return out, os.WriteFile(path, file.Bytes(), 0o644)
}

func merkle(txids []chainhash.Hash) chainhash.Hash {
	level := append([]chainhash.Hash(nil), txids...)
	var buf [64]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			j := min(i+1, len(level)-1)
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[j][:])
			next = append(next, chainhash.DoubleHashH(buf[:]))
		}
		level = next
	}
	return level[0]
}

func solve(h *wire.BlockHeader) {
	target := blockchain.CompactToBig(h.Bits)
	for n := uint32(0); ; n++ {
		h.Nonce = n
		hash := h.BlockHash()
		if new(big.Int).Set(blockchain.HashToBig(&hash)).Cmp(target) <= 0 {
			return
		}
	}
}
