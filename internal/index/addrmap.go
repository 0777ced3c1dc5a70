package index

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// addrHash is the 64-bit hash of an address key used by the address map.
func addrHash(key []byte) uint64 { return xxhash.Sum64(key) }

// txHash64 is the 64-bit hash of a txid for the txid map: txids are already
// uniform, so their first 8 bytes serve.
func txHash64(txid []byte) uint64 { return binary.LittleEndian.Uint64(txid) }
