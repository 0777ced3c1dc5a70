package index

import "sync"

// walkCacheMin is the fewest txs an address must have for its walk to be
// cached (a variable for tests). Smaller addresses walk in microseconds.
var walkCacheMin = 1000

// walkCacheBytes bounds the cached walks (24 bytes per tx).
const walkCacheBytes = 32 << 20

// walkKey names one address's walk in one state of the index: any commit,
// applied input or link, or undo gives a new key, so an entry is never
// stale, only unused.
type walkKey struct{ addr, epoch, ins, links, undos uint64 }

// walkCache keeps the txs of busy addresses between queries: a page of an
// address walks all its outputs (addrTxs), so paging through an address
// with 10⁵ txs would otherwise walk it once per page.
type walkCache struct {
	mu    sync.Mutex
	m     map[walkKey][]addrTx
	order []walkKey // insertion order, for eviction
	bytes int
}

func (c *walkCache) get(k walkKey) ([]addrTx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	txs, ok := c.m[k]
	return txs, ok
}

// put stores a copy of txs under k, evicting the oldest entries beyond the
// byte budget.
func (c *walkCache) put(k walkKey, txs []addrTx) {
	n := len(txs) * 24
	if n > walkCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[walkKey][]addrTx)
	}
	if _, ok := c.m[k]; ok {
		return
	}
	for c.bytes+n > walkCacheBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old]) * 24
		delete(c.m, old)
	}
	c.m[k] = append([]addrTx(nil), txs...)
	c.order = append(c.order, k)
	c.bytes += n
}

func (ix *Index) walkKeyOf(a uint64) walkKey {
	return walkKey{a, ix.cp.Epoch, ix.inPrev.Len(), ix.addrLink.Len(), ix.undos.Load()}
}
