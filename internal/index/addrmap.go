package index

import (
	"bytes"
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// addrHash is the 64-bit hash of an address key used by the address maps
// and the Bloom filter.
func addrHash(key []byte) uint64 { return xxhash.Sum64(key) }

// txHash64 is the 64-bit hash of a txid for the Bloom filter: txids are
// already uniform, so their first 8 bytes serve.
func txHash64(txid []byte) uint64 { return binary.LittleEndian.Uint64(txid) }

// addrMap maps address keys to ids by the keys' 64-bit hash, confirming a
// hit against the key stored in the address columns; the rare key whose
// hash collides with another's goes to a string map. This keeps the ingest
// hot path free of per-address string allocations.
type addrMap struct {
	m    map[uint64]uint64
	coll map[string]uint64
}

func newAddrMap() addrMap { return addrMap{m: make(map[uint64]uint64)} }

func (am *addrMap) len() int { return len(am.m) + len(am.coll) }

func (ix *Index) keyIs(id uint64, key []byte) bool {
	return id < ix.addrOff.len() && bytes.Equal(ix.addrKey(id), key)
}

func (ix *Index) amGet(am *addrMap, h uint64, key []byte) (uint64, bool) {
	if id, ok := am.m[h]; ok && ix.keyIs(id, key) {
		return id, true
	}
	if len(am.coll) > 0 {
		id, ok := am.coll[string(key)]
		return id, ok
	}
	return 0, false
}

// amPut records key → id; the key must already be in the address columns.
func (ix *Index) amPut(am *addrMap, h uint64, key []byte, id uint64) {
	if old, ok := am.m[h]; ok && old != id && old < ix.addrOff.len() && !ix.keyIs(old, key) {
		if am.coll == nil {
			am.coll = make(map[string]uint64)
		}
		am.coll[string(key)] = id
		return
	}
	am.m[h] = id
}

func (ix *Index) amDel(am *addrMap, h uint64, key []byte) {
	if id, ok := am.m[h]; ok && (id >= ix.addrOff.len() || ix.keyIs(id, key)) {
		delete(am.m, h)
	}
	if len(am.coll) > 0 {
		delete(am.coll, string(key))
	}
}

// each calls fn for every id in the map.
func (am *addrMap) each(fn func(id uint64)) {
	for _, id := range am.m {
		fn(id)
	}
	for _, id := range am.coll {
		fn(id)
	}
}

// addrCache is a two-generation addrMap bounded by limit entries per
// generation.
type addrCache struct {
	cur, old addrMap
	limit    int
}

func (c *addrCache) init(limit int) {
	c.limit = max(limit, 1024)
	c.cur, c.old = newAddrMap(), addrMap{}
}

func (ix *Index) acGet(c *addrCache, h uint64, key []byte) (uint64, bool) {
	if id, ok := ix.amGet(&c.cur, h, key); ok {
		return id, true
	}
	if c.old.m == nil {
		return 0, false
	}
	return ix.amGet(&c.old, h, key)
}

func (ix *Index) acPut(c *addrCache, h uint64, key []byte, id uint64) {
	if c.cur.len() >= c.limit {
		c.old, c.cur = c.cur, newAddrMap()
	}
	ix.amPut(&c.cur, h, key, id)
}

func (ix *Index) acDel(c *addrCache, h uint64, key []byte) {
	ix.amDel(&c.cur, h, key)
	if c.old.m != nil {
		ix.amDel(&c.old, h, key)
	}
}
