package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/colfile"
)

// ErrNotFound is returned by the query methods when a block, transaction or
// address is not in the index.
var ErrNotFound = errors.New("not found")

// DirIn returns the index folder inside a chaintrace data folder (--data).
func DirIn(dataDir string) string { return filepath.Join(dataDir, "chain") }

// Options configures Open.
type Options struct {
	// Network is required when the index is created and stored in it;
	// reopening with a different network is an error. Nil on reopen means
	// "the stored one".
	Network *chaincfg.Params
	// CacheBytes bounds the memory the index uses (default 512 MiB): a
	// quarter for Pebble's block cache and a quarter for writes buffered
	// between commits (beyond it Apply commits on its own, as Flush does).
	// The txid and address maps are memory-mapped files (page cache).
	CacheBytes int64
	// ReadOnly opens the index for queries only, also while another process
	// (an ingest) writes it, and on read-only media: the view is the last
	// state the writer committed before Open (see readonly.go). Writes fail.
	ReadOnly bool
	// Refresh, with ReadOnly, is how often the view looks for a newer commit
	// of the writer and moves to it (0: the view stays that of Open).
	Refresh time.Duration
	// Kinds classifies each tx Apply appends, for the tx kinds column
	// (tx_kind.col). The index does not import the classifier: ingest
	// passes it in. Nil stores 0 (no kinds) under rules version 0.
	Kinds *KindHook
	// Upgrade lets Open accept a v3 index (made before the kinds column)
	// so that RebuildKinds can add the column; nothing else may be done
	// with it until then.
	Upgrade bool
}

// Index is the on-disk chain index. Its methods are safe for concurrent
// use: Apply, Undo and Flush exclude each other and the queries.
type Index struct {
	mu     sync.RWMutex
	dir    string
	db     *pebble.DB
	params *chaincfg.Params
	closed bool

	readOnly                 bool
	popt                     *pebble.Options // for a read-only view's refresh
	refreshStop, refreshDone chan struct{}
	cleaner                  *graceCleaner // the writer's deferred deletion of Pebble files

	blocks, txHash, txIn, txOut, txInfo, txFee *column
	txKind                                     *column // classify.Set per tx (uint32)
	inPrev, inOutpoint                         *column
	outValue, outAddr, outType, outSpent       *column
	addrOff, addrBlob                          *column
	cols                                       []*column

	journal *colfile.Journal

	txMap, addrMap *htable    // txid → tx number, address key → id (maps.go)
	mapTail        *mapTail   // a view's entries past the maps' coverage (built on a miss)
	tailMu         sync.Mutex // guards mapTail (built by a query under the read lock)

	postingState // address postings and summaries (postings.go)

	kinds    *KindHook // nil: kinds stored as 0
	kindsVer uint32    // rules version of the stored kinds
	legacy   bool      // a v3 index without the kinds column (Options.Upgrade)
	facts    TxFacts   // scratch of Apply's classification

	cp   checkpoint // the committed state
	base int64      // height of block number 0

	// Buffered since the last commit.
	spentPend map[uint64]uint64 // outID (in the file) → new spending input id
	pendBlk   map[chainhash.Hash]int64
	multis    []multiOut
	multiIDs  []uint64

	pendBudget int

	// Scratch, reused by Apply.
	pf       prefetch
	hashBuf  bytes.Buffer
	tipWork  *big.Int
	crashAt  int   // tests: fail a commit at this stage (0 = never)
	applyErr error // set when a commit failed half-way: every write then fails until reopened
}

type multiOut struct {
	out        uint64
	start, end int // in multiIDs
}

// checkpoint is the committed state, stored under key "C" in the same
// Pebble batch as the key-value entries it covers.
type checkpoint struct {
	Epoch   uint64
	Blocks  uint64
	Txs     uint64
	Inputs  uint64
	Outputs uint64
	Addrs   uint64
	Blob    uint64
	Base    int64
	// The txid and address maps' entries are known durable for txs
	// [0, MapTxs) and addresses [0, MapAddrs); Open re-adds the ones past
	// them (maps.go). (Until v5 the same fields covered a Bloom filter.)
	MapTxs   uint64
	MapAddrs uint64
	// Records in in_outpoint.col (inputs whose spent output is not indexed).
	Outpoints uint64
	// The tx kinds column: the rules version that made it and its file's
	// generation (a rebuild writes the next generation and switches to it
	// by committing a checkpoint naming it).
	KindsVersion uint64
	KindsGen     uint64
	// Records in addr_link.col (format v6).
	Links uint64
}

const (
	checkpointLen = 14*8 + 4
	// checkpointVersion is the on-disk format version; any change to the
	// files or keys bumps it and Open refuses other versions. v4 added the
	// tx kinds column (a v3 index is upgraded by `classify --rebuild`), v5
	// the P2PK aliases (k) and readers beside a writer (added to a v3 index by
	// the same upgrade), v6 moved the txid and address maps out of Pebble
	// (the t, a and d keys) into hash-table files, dropped the Bloom filter
	// (a v3 index being upgraded gets the tables built at Open) and keeps the
	// address postings as columns (addr_link, addr_head) instead of
	// key-value entries (p, s).
	checkpointVersion = 6
	checkpointV3Len   = 11*8 + 4
)

// ErrUpgradeKinds is returned by Open for a v3 index (made before the tx
// kinds column) unless Options.Upgrade is set.
var ErrUpgradeKinds = errors.New("index format v3 has no transaction kinds column: upgrade it with `chaintrace classify --rebuild` on this --data folder (or re-ingest into a new one)")

func (c checkpoint) encode() []byte {
	b := make([]byte, checkpointLen)
	binary.LittleEndian.PutUint32(b, checkpointVersion)
	for i, v := range []uint64{c.Epoch, c.Blocks, c.Txs, c.Inputs, c.Outputs, c.Addrs, c.Blob, uint64(c.Base), c.MapTxs, c.MapAddrs, c.Outpoints, c.KindsVersion, c.KindsGen, c.Links} {
		binary.LittleEndian.PutUint64(b[4+8*i:], v)
	}
	return b
}

// decodeCheckpoint decodes a v4 checkpoint, or a v3 one (legacy true).
func decodeCheckpoint(b []byte) (cp checkpoint, legacy bool, err error) {
	if len(b) < 4 {
		return checkpoint{}, false, fmt.Errorf("checkpoint record of %d bytes: damaged index", len(b))
	}
	want := checkpointLen
	switch v := binary.LittleEndian.Uint32(b); v {
	case checkpointVersion:
	case 3:
		want, legacy = checkpointV3Len, true
	default:
		return checkpoint{}, false, fmt.Errorf("index format v%d, this build reads v%d (v6 moved the txid and address maps out of the key-value store into hash-table files and keeps the address postings in columns): re-ingest into a new --data folder", v, checkpointVersion)
	}
	if len(b) != want {
		return checkpoint{}, false, fmt.Errorf("checkpoint record of %d bytes, want %d: damaged index", len(b), want)
	}
	var v [14]uint64
	for i := 0; 4+8*i < len(b); i++ {
		v[i] = binary.LittleEndian.Uint64(b[4+8*i:])
	}
	return checkpoint{v[0], v[1], v[2], v[3], v[4], v[5], v[6], int64(v[7]), v[8], v[9], v[10], v[11], v[12], v[13]}, legacy, nil
}

// Pebble key prefixes.
const (
	kCheckpoint = 'C'
	kNetwork    = 'N'
	kBlock      = 'b' // block hash → height (i64 LE)
	kPosting    = 'p' // up to v5: address id (u40 BE) + tx number (u40 BE) → received, sent (now addr_link.col)
	kSummary    = 's' // up to v5: address id (u40 BE) → totals as merge operands (now walked from addr_head.col)
	kMulti      = 'm' // output id (u40 BE) → address ids (u40 LE each), for outputs paying several addresses
	kP2PKH      = 'k' // hash160 of a P2PK address's key (20) → that address's id (u40 LE): P2PK outputs by their P2PKH address
)

// Record widths of the column files.
const (
	blockRecLen  = 32 + 80 + 8 + 8 + 4 + 4 + 32 // hash, header, first tx, first address, size, weight, cumulative work
	txInfoRecLen = 16                           // size, weight, version, lock time (u32 each)
	// outpointRecLen: input id (u40), prev txid (32), vout (u32), for
	// inputs whose spent output is not indexed, in input order.
	outpointRecLen = idWidth + 32 + 4
)

// Open opens (creating if absent) the index in dir and recovers it to its
// last committed state.
func Open(dir string, opt Options) (*Index, error) {
	cacheBytes := opt.CacheBytes
	if opt.ReadOnly && cacheBytes <= 0 {
		cacheBytes = 64 << 20
	}
	if cacheBytes <= 0 {
		cacheBytes = 512 << 20
	}
	if cacheBytes < 16<<20 {
		cacheBytes = 16 << 20
	}
	// Pebble's memtable: a quarter of the budget (at most 64 MiB), of which
	// two may be in memory (one filling, one flushing), on top of the block
	// cache's quarter. Pebble allocates both outside the Go heap. (A fixed
	// 64 MiB memtable made small budgets grow with the chain until it filled.)
	memTable := min(max(cacheBytes/4, 4<<20), 64<<20)
	cache := pebble.NewCache(cacheBytes / 4)
	defer cache.Unref()
	popt := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                uint64(memTable),
		MemTableStopWritesThreshold: 2,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		LBaseMaxBytes:               256 << 20,
		MaxOpenFiles:                1000,
		Logger:                      quietLogger{},
		Merger:                      summaryMerger,
	}
	popt.Levels = make([]pebble.LevelOptions, 7)
	for i := range popt.Levels {
		popt.Levels[i] = pebble.LevelOptions{BlockSize: 16 << 10, FilterPolicy: bloom.FilterPolicy(10), TargetFileSize: 8 << 20}
	}
	if opt.ReadOnly {
		return openReadOnly(dir, opt, popt)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index folder: %w", err)
	}
	cleaner := newGraceCleaner()
	popt.FS = cleaner
	db, err := pebble.Open(filepath.Join(dir, "kv"), popt)
	if err != nil {
		cleaner.close()
		return nil, fmt.Errorf("open index key-value store in %s: %w", dir, err)
	}
	ix := &Index{dir: dir, db: db, cleaner: cleaner}
	if err := ix.init(opt, cacheBytes); err != nil {
		ix.closeFiles()
		db.Close()
		cleaner.close()
		return nil, err
	}
	ix.publishEpoch()
	return ix, nil
}

// networkOf maps a stored network name to its parameters.
func networkOf(name string) (*chaincfg.Params, error) { return chain.NetworkByName(name) }

// readCheckpoint reads the committed state ("C"; zero on a new index);
// legacy is true for a v3 index (see Options.Upgrade).
func (ix *Index) readCheckpoint() (cp checkpoint, legacy bool, err error) {
	v, closer, err := ix.db.Get([]byte{kCheckpoint})
	switch {
	case err == nil:
		cp, legacy, err := decodeCheckpoint(v)
		closer.Close()
		if err != nil {
			return checkpoint{}, false, fmt.Errorf("index in %s: %w", ix.dir, err)
		}
		return cp, legacy, nil
	case errors.Is(err, pebble.ErrNotFound):
		return checkpoint{}, false, nil
	default:
		return checkpoint{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
}

type colSpec struct {
	c     **column
	name  string
	width int
	n     uint64
}

// specs lists the column files with their committed record counts.
func (ix *Index) specs() []colSpec {
	cp := ix.cp
	return []colSpec{
		{&ix.blocks, "blocks", blockRecLen, cp.Blocks},
		{&ix.txHash, "tx_hash", 32, cp.Txs},
		{&ix.txIn, "tx_first_in", idWidth, cp.Txs},
		{&ix.txOut, "tx_first_out", idWidth, cp.Txs},
		{&ix.txInfo, "tx_info", txInfoRecLen, cp.Txs},
		{&ix.txFee, "tx_fee", 8, cp.Txs},
		{&ix.inPrev, "in_spent_out", idWidth, cp.Inputs},
		{&ix.inOutpoint, "in_outpoint", outpointRecLen, cp.Outpoints},
		{&ix.outValue, "out_value", 8, cp.Outputs},
		{&ix.outAddr, "out_addr", idWidth, cp.Outputs},
		{&ix.outType, "out_type", 1, cp.Outputs},
		{&ix.outSpent, "out_spent_by", idWidth, cp.Outputs},
		{&ix.addrOff, "addr_end", 8, cp.Addrs},
		{&ix.addrBlob, "addr_keys", 1, cp.Blob},
		{&ix.txKind, kindsName(cp.KindsGen), kindRecLen, cp.Txs},
		{&ix.addrLink, linkName, linkRecLen, cp.Links},
		{&ix.addrHead, headName, idWidth, cp.Addrs},
	}
}

// tipWorkOf returns the cumulative work of the last block (0 when empty).
func (ix *Index) tipWorkOf() *big.Int {
	if n := ix.blocks.Len(); n > 0 {
		return ix.workOf(n - 1)
	}
	return new(big.Int)
}

func (ix *Index) init(opt Options, cacheBytes int64) error {
	// Network.
	v, closer, err := ix.db.Get([]byte{kNetwork})
	switch {
	case err == nil:
		name := string(v)
		closer.Close()
		p, err := chain.NetworkByName(name)
		if err != nil {
			return fmt.Errorf("index in %s: stored network: %w", ix.dir, err)
		}
		if opt.Network != nil && opt.Network.Net != p.Net {
			return fmt.Errorf("index in %s holds %s, not %s", ix.dir, name, chain.NetworkName(opt.Network))
		}
		ix.params = p
	case errors.Is(err, pebble.ErrNotFound):
		if opt.Network == nil {
			return fmt.Errorf("new index in %s: a network is required", ix.dir)
		}
		name := chain.NetworkName(opt.Network)
		if p, err := chain.NetworkByName(name); err != nil || p.Net != opt.Network.Net {
			return fmt.Errorf("new index in %s: network %q is not one chaintrace knows", ix.dir, opt.Network.Name)
		}
		if err := ix.db.Set([]byte{kNetwork}, []byte(name), pebble.Sync); err != nil {
			return fmt.Errorf("store network: %w", err)
		}
		ix.params = opt.Network
	default:
		return fmt.Errorf("read network: %w", err)
	}

	// Checkpoint.
	if ix.cp, ix.legacy, err = ix.readCheckpoint(); err != nil {
		return err
	}
	if ix.legacy && !opt.Upgrade {
		return fmt.Errorf("index in %s: %w", ix.dir, ErrUpgradeKinds)
	}
	for _, s := range ix.specs() {
		if ix.legacy && (s.c == &ix.txKind || s.c == &ix.addrLink || s.c == &ix.addrHead) {
			continue // added by RebuildKinds
		}
		c, err := openColumn(ix.dir, s.name, s.width)
		if err != nil {
			return err
		}
		*s.c = c
		ix.cols = append(ix.cols, c)
		if err := c.Recover(s.n); err != nil {
			return fmt.Errorf("index in %s: %w", ix.dir, err)
		}
	}
	if err := ix.recoverJournal(); err != nil {
		return err
	}
	if err := ix.initKinds(opt); err != nil {
		return err
	}
	if err := syncDir(ix.dir); err != nil {
		return err
	}

	if err := ix.openMaps(); err != nil {
		return err
	}

	ix.resetPending()
	ix.pendBudget = int(cacheBytes / 4)
	ix.base = ix.cp.Base
	ix.tipWork = ix.tipWorkOf()
	ix.linkedTx = ix.cp.Txs
	return nil
}

func (ix *Index) resetPending() {
	ix.spentPend = make(map[uint64]uint64)
	ix.pendBlk = make(map[chainhash.Hash]int64)
	ix.multis = ix.multis[:0]
	ix.multiIDs = ix.multiIDs[:0]
	ix.resetPostings()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

type quietLogger struct{}

func (quietLogger) Infof(format string, args ...interface{}) {
	slog.Debug("pebble: " + fmt.Sprintf(format, args...))
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	slog.Error("pebble: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}

// Close commits nothing: data applied since the last Flush is dropped and
// redone by the next ingest. Call Flush first to keep it.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	if ix.refreshStop != nil {
		close(ix.refreshStop)
		ix.mu.Unlock() // a refresh in progress takes the lock
		<-ix.refreshDone
		ix.mu.Lock()
	}
	if ix.cleaner != nil {
		defer ix.cleaner.close()
	}
	var err0 error
	if ix.txMap != nil && ix.applyErr == nil && !ix.legacy && (ix.cp.MapTxs < ix.cp.Txs || ix.cp.MapAddrs < ix.cp.Addrs) {
		err0 = ix.recordMapCoverage()
	}
	err1 := ix.closeFiles()
	err2 := ix.db.Close()
	return errors.Join(err0, err1, err2)
}

func (ix *Index) closeFiles() error {
	var errs []error
	for _, c := range ix.cols {
		errs = append(errs, c.Close())
	}
	if ix.journal != nil {
		errs = append(errs, ix.journal.Close())
	}
	errs = append(errs, ix.closeMaps())
	return errors.Join(errs...)
}

// Network returns the index's network.
func (ix *Index) Network() *chaincfg.Params { return ix.params }

// --- commit -----------------------------------------------------------------

// Flush makes everything applied so far durable, then records it as the
// committed state: a crash after Flush returns loses nothing.
func (ix *Index) Flush() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return errors.New("index is closed")
	}
	return ix.commit(nil)
}

// errCrash is returned by a commit a test stopped on purpose.
var errCrash = errors.New("simulated crash")

func (ix *Index) dirty() bool {
	for _, c := range ix.cols {
		if c.PendingBytes() > 0 || c.FileN() != c.DiskN() {
			return true
		}
	}
	return len(ix.spentPend) > 0 || len(ix.addrPend) > 0 || ix.blocks.Len() != ix.cp.Blocks
}

// commit writes all buffered data, then (atomically, in one synced Pebble
// batch) the key-value entries and the new checkpoint. Order:
//  1. build the Pebble batch from the buffers (puts, plus dels from an undo);
//  2. append column tails to their files;
//  3. journal old spend links (synced), then overwrite them;
//  4. fsync every written column file;
//  5. commit the batch with the checkpoint, synced;
//  6. drop bytes past the logical ends and remap.
//
// A crash before 5 leaves the old checkpoint, which Open restores (file tails
// are truncated, the journal undoes step 3); after 5 the new state is whole.
func (ix *Index) commit(dels *pebble.Batch) error {
	if dels == nil && !ix.dirty() {
		return nil
	}
	b := dels
	if b == nil {
		b = ix.db.NewBatch()
	}
	defer b.Close()
	if err := ix.buildBatch(b); err != nil {
		return err
	}
	if ix.addrHead != nil {
		ix.padAddrHeads()
	}
	next := checkpoint{
		Epoch:   ix.cp.Epoch + 1,
		Blocks:  ix.blocks.Len(),
		Txs:     ix.txHash.Len(),
		Inputs:  ix.inPrev.Len(),
		Outputs: ix.outValue.Len(),
		Addrs:   ix.addrOff.Len(),
		Blob:    ix.addrBlob.Len(),
		Base:    ix.cp.Base,

		Outpoints: ix.inOutpoint.Len(),

		KindsVersion: uint64(ix.kindsVer),
		KindsGen:     ix.cp.KindsGen,
	}
	if ix.addrLink != nil {
		next.Links = ix.addrLink.Len()
	}
	if next.Blocks > 0 {
		next.Base = ix.base
	}
	// Map coverage never exceeds the data (an undo may have cut it).
	next.MapTxs = min(ix.cp.MapTxs, next.Txs)
	next.MapAddrs = min(ix.cp.MapAddrs, next.Addrs)
	syncMaps := (next.Txs-next.MapTxs)+(next.Addrs-next.MapAddrs) > mapSyncKeys
	if syncMaps {
		next.MapTxs, next.MapAddrs = next.Txs, next.Addrs
	}
	if err := b.Set([]byte{kCheckpoint}, next.encode(), nil); err != nil {
		return fmt.Errorf("commit: %w", err)
	}

	// Records to overwrite in the files, with their old values.
	changes := ix.inPlaceChanges()

	for _, c := range ix.cols {
		if err := c.WriteTail(); err != nil {
			return ix.failCommit(err)
		}
	}
	if ix.crashAt == 1 {
		return errCrash
	}
	if len(changes) > 0 {
		if err := ix.journalInPlace(changes); err != nil {
			return ix.failCommit(err)
		}
		if ix.crashAt == 2 {
			return errCrash
		}
		if err := ix.overwriteInPlace(changes); err != nil {
			return ix.failCommit(err)
		}
	}
	if ix.crashAt == 3 {
		return errCrash
	}
	if err := syncAll(ix.cols); err != nil {
		return ix.failCommit(err)
	}
	if syncMaps {
		if err := ix.syncMaps(); err != nil {
			return ix.failCommit(err)
		}
	}
	if ix.crashAt == 4 {
		return errCrash
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return ix.failCommit(fmt.Errorf("commit key-value batch: %w", err))
	}
	ix.cp = next
	for _, c := range ix.cols {
		if err := c.Settle(); err != nil {
			return ix.failCommit(err)
		}
	}
	ix.publishEpoch()
	ix.resetPending()
	return nil
}

// failCommit poisons the index after a commit failed half-way: the on-disk
// state is recoverable by reopening, the in-memory state is not trusted.
func (ix *Index) failCommit(err error) error {
	ix.applyErr = fmt.Errorf("index commit failed, reopen the index to recover: %w", err)
	return ix.applyErr
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type hashNum struct {
	h [32]byte
	n uint64
}

// buildBatch adds the key-value entries of everything applied since the
// last commit, in key order: Pebble's memtable inserts sorted keys several
// times faster than random ones. Each key family is sorted on its own with a
// cheap comparison (families are emitted in prefix order: b < k < m);
// id-keyed families are already in order.
func (ix *Index) buildBatch(b *pebble.Batch) error {
	var k [1 + 64]byte
	var v [16]byte
	set := func(key, val []byte) error {
		if err := b.Set(key, val, nil); err != nil {
			return fmt.Errorf("commit batch: %w", err)
		}
		return nil
	}
	// New addresses (their map is txmap.ht's sibling, maps.go): P2PK ones
	// get a 'k' entry. (After an undo the counts may be below the checkpoint's.)
	var aliases []hashNum // P2PK addresses by the hash160 of their key
	for a := ix.cp.Addrs; a < ix.addrOff.Len(); a++ {
		key := ix.addrKey(a)
		if len(key) > 0 && chain.ScriptType(key[0]) == chain.P2PK {
			var hn hashNum
			copy(hn.h[:20], btcutil.Hash160(key[1:]))
			hn.n = a
			aliases = append(aliases, hn)
		}
	}
	// 'b': block hashes.
	byHash := func(x, y hashNum) int { return bytes.Compare(x.h[:], y.h[:]) }
	var blocks []hashNum
	for i := ix.cp.Blocks; i < ix.blocks.Len(); i++ {
		blocks = append(blocks, hashNum{[32]byte(ix.blocks.Rec(i)[:32]), i})
	}
	slices.SortFunc(blocks, byHash)
	for _, bh := range blocks {
		k[0] = kBlock
		copy(k[1:], bh.h[:])
		binary.LittleEndian.PutUint64(v[:], uint64(ix.heightOfNum(bh.n)))
		if err := set(k[:33], v[:8]); err != nil {
			return err
		}
	}
	// 'k': P2PK addresses by the hash160 of their key.
	slices.SortFunc(aliases, byHash)
	for _, al := range aliases {
		k[0] = kP2PKH
		copy(k[1:], al.h[:20])
		putU40(v[:], al.n)
		if err := set(k[:21], v[:5]); err != nil {
			return err
		}
	}
	// 'm': multi-address outputs, by output id (appended in order).
	var mv []byte
	for _, m := range ix.multis {
		k[0] = kMulti
		putU40BE(k[1:], m.out)
		mv = mv[:0]
		for _, a := range ix.multiIDs[m.start:m.end] {
			var e [5]byte
			putU40(e[:], a)
			mv = append(mv, e[:]...)
		}
		if err := set(k[:6], mv); err != nil {
			return err
		}
	}
	return nil
}

// --- small accessors ------------------------------------------------------------

func (ix *Index) baseHeight() int64 {
	if ix.blocks.Len() == 0 {
		return 0
	}
	return ix.base
}

func (ix *Index) heightOfNum(i uint64) int64 { return ix.baseHeight() + int64(i) }

func (ix *Index) workOf(i uint64) *big.Int {
	r := ix.blocks.Rec(i)
	return new(big.Int).SetBytes(r[136:168])
}

// addrKey returns the stored key of address id a (aliasing the column).
func (ix *Index) addrKey(a uint64) []byte {
	end := ix.addrOff.u64(a)
	var start uint64
	if a > 0 {
		start = ix.addrOff.u64(a - 1)
	}
	return ix.addrBlob.span(start, end)
}

// syncAll fsyncs the written columns in parallel (each fsync waits on the
// device; together they share one flush of its queue).
func syncAll(cols []*column) error {
	errs := make([]error, len(cols))
	var wg sync.WaitGroup
	for i, c := range cols {
		if !c.Dirty() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Sync()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
