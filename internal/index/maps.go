package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble"
)

// The txid → tx number and address key → address id maps (format v6): two
// hash tables (hashmap.go), txmap.ht keyed by the txid's first 8 bytes and
// addrmap.ht by the 64-bit hash of the address key (addrHash), every hit
// confirmed against tx_hash.col or the address columns.
//
// Entries are written when Apply assigns the number, so the maps also serve
// the uncommitted data: a lookup accepts a value only below the index's
// current count (a view's: its checkpoint's) whose column record is the key.
// For txids it returns the largest such tx number, so a BIP30 duplicate
// (a later coinbase repeating an earlier txid) wins over the earlier one
// and, once undone, leaves it found again: no duplicate entries are kept.
// An undo (or a crash) leaves its entries in place, stale: they fail the
// confirmation, and growth drops them (so they count towards the load only
// until the next doubling).
//
// Crash safety is that of the former Bloom filter: a commit syncs the
// tables only when more than mapSyncKeys keys were added since the last
// sync, and the checkpoint's MapTxs and MapAddrs say how far they are known
// durable; Open re-adds the entries past them from the columns (adding an
// entry already there is a no-op). A view whose checkpoint is past that
// coverage (after a power loss, before the writer reopened) finds those
// entries by a sorted copy of the columns' tail, built on its first miss.
// addrHash is the 64-bit hash of an address key used by the address map.
func addrHash(key []byte) uint64 { return xxhash.Sum64(key) }

// txHash64 is the 64-bit hash of a txid for the txid map: txids are already
// uniform, so their first 8 bytes serve.
func txHash64(txid []byte) uint64 { return binary.LittleEndian.Uint64(txid) }

const (
	txMapName   = "txmap.ht"
	addrMapName = "addrmap.ht"
	mapSyncKeys = 4 << 20
)

// openMaps opens (creating) the writer's tables and re-adds the entries past
// the checkpoint's coverage.
func (ix *Index) openMaps() error {
	var created bool
	var err error
	ix.txMap, created, err = openHTable(filepath.Join(ix.dir, txMapName), ix.txHashOf, ix.txHash.Len())
	if err != nil {
		return fmt.Errorf("index in %s: %w", ix.dir, err)
	}
	from := min(ix.cp.MapTxs, ix.txHash.Len())
	if created {
		from = 0
	} else if from < ix.txHash.Len() || ix.txMap.count < ix.txHash.Len() {
		ix.txMap.recount() // an unclean stop: the header's count may be behind
	}
	for t := from; t < ix.txHash.Len(); t++ {
		if err := ix.txMap.insert(txHash64(ix.txHash.Rec(t)), t); err != nil {
			return err
		}
	}
	readded := ix.txHash.Len() - from
	ix.addrMap, created, err = openHTable(filepath.Join(ix.dir, addrMapName), ix.addrHashOf, ix.addrOff.Len())
	if err != nil {
		return fmt.Errorf("index in %s: %w", ix.dir, err)
	}
	from = min(ix.cp.MapAddrs, ix.addrOff.Len())
	if created {
		from = 0
	} else if from < ix.addrOff.Len() || ix.addrMap.count < ix.addrOff.Len() {
		ix.addrMap.recount()
	}
	for a := from; a < ix.addrOff.Len(); a++ {
		if err := ix.addrMap.insert(addrHash(ix.addrKey(a)), a); err != nil {
			return err
		}
	}
	readded += ix.addrOff.Len() - from
	if readded > mapSyncKeys && !ix.legacy {
		return ix.recordMapCoverage()
	}
	return nil
}

func (ix *Index) txHashOf(v uint64) (uint64, bool) {
	if v >= ix.txHash.Len() {
		return 0, false
	}
	return txHash64(ix.txHash.Rec(v)), true
}

func (ix *Index) addrHashOf(v uint64) (uint64, bool) {
	if v >= ix.addrOff.Len() {
		return 0, false
	}
	return addrHash(ix.addrKey(v)), true
}

// openMapsRO maps the tables for a read-only view (again when the writer
// replaced them since).
func (ix *Index) openMapsRO() error {
	ix.mapTail = nil
	for _, m := range []struct {
		t    **htable
		name string
		n    uint64
	}{{&ix.txMap, txMapName, ix.cp.Txs}, {&ix.addrMap, addrMapName, ix.cp.Addrs}} {
		if *m.t != nil && !(*m.t).replaced() {
			continue
		}
		t, err := mapHTable(filepath.Join(ix.dir, m.name), true)
		if err != nil {
			if os.IsNotExist(err) && m.n == 0 {
				continue // a new index: the writer has not created it yet
			}
			return fmt.Errorf("index in %s: %w", ix.dir, err)
		}
		if *m.t != nil {
			(*m.t).close()
		}
		*m.t = t
	}
	return nil
}

// findTx returns the largest tx number with txid h.
func (ix *Index) findTx(h *chainhash.Hash) (uint64, bool) {
	n := ix.txHash.Len()
	best, found := uint64(0), false
	p := ix.txMap.probe(txHash64(h[:]))
	for v, ok := ix.txMap.next(&p); ok; v, ok = ix.txMap.next(&p) {
		if (!found || v > best) && v < n && string(ix.txHash.Rec(v)) == string(h[:]) {
			best, found = v, true
		}
	}
	if !found && ix.readOnly && ix.cp.MapTxs < n {
		return ix.tailFind(true, txHash64(h[:]), func(v uint64) bool { return string(ix.txHash.Rec(v)) == string(h[:]) })
	}
	return best, found
}

// findAddr returns the id of the address with key key (hash h).
func (ix *Index) findAddr(key []byte, h uint64) (uint64, bool) {
	n := ix.addrOff.Len()
	p := ix.addrMap.probe(h)
	for v, ok := ix.addrMap.next(&p); ok; v, ok = ix.addrMap.next(&p) {
		if v < n && bytes.Equal(ix.addrKey(v), key) {
			return v, true
		}
	}
	if ix.readOnly && ix.cp.MapAddrs < n {
		return ix.tailFind(false, h, func(v uint64) bool { return bytes.Equal(ix.addrKey(v), key) })
	}
	return 0, false
}

// mapTail is a view's sorted (hash, value) copy of the committed entries
// past the maps' durable coverage.
type mapTail struct{ tx, addr []hashVal }

type hashVal struct{ h, v uint64 }

func (ix *Index) tailFind(tx bool, h uint64, confirm func(uint64) bool) (uint64, bool) {
	ix.tailMu.Lock()
	defer ix.tailMu.Unlock()
	if ix.mapTail == nil {
		mt := &mapTail{}
		for t := ix.cp.MapTxs; t < ix.txHash.Len(); t++ {
			mt.tx = append(mt.tx, hashVal{txHash64(ix.txHash.Rec(t)), t})
		}
		for a := ix.cp.MapAddrs; a < ix.addrOff.Len(); a++ {
			mt.addr = append(mt.addr, hashVal{addrHash(ix.addrKey(a)), a})
		}
		for _, s := range [][]hashVal{mt.tx, mt.addr} {
			slices.SortFunc(s, func(x, y hashVal) int { return cmpU64(x.h, y.h) })
		}
		ix.mapTail = mt
	}
	s := ix.mapTail.addr
	if tx {
		s = ix.mapTail.tx
	}
	i, _ := slices.BinarySearchFunc(s, h, func(x hashVal, h uint64) int { return cmpU64(x.h, h) })
	best, found := uint64(0), false
	for ; i < len(s) && s[i].h == h; i++ {
		if (!found || s[i].v > best) && confirm(s[i].v) {
			best, found = s[i].v, true
		}
	}
	return best, found
}

// syncMaps writes both tables' dirty pages to disk.
func (ix *Index) syncMaps() error {
	if err := ix.txMap.sync(); err != nil {
		return err
	}
	return ix.addrMap.sync()
}

// recordMapCoverage syncs the tables and records in the checkpoint that
// they cover all committed data (nothing else changes).
func (ix *Index) recordMapCoverage() error {
	if err := ix.syncMaps(); err != nil {
		return err
	}
	cp := ix.cp
	cp.MapTxs, cp.MapAddrs = cp.Txs, cp.Addrs
	if err := ix.db.Set([]byte{kCheckpoint}, cp.encode(), pebble.Sync); err != nil {
		return fmt.Errorf("record map coverage: %w", err)
	}
	ix.cp = cp
	return nil
}

func (ix *Index) closeMaps() error {
	var err error
	for _, t := range []*htable{ix.txMap, ix.addrMap} {
		if t != nil {
			if cerr := t.close(); err == nil {
				err = cerr
			}
		}
	}
	return err
}
