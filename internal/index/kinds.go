package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// The tx kinds column (tx_kind.col, then tx_kind.<generation>.col after a
// rebuild) holds one uint32 per tx: the classify.Set the KindHook returned,
// computed from the tx as the index keeps it (TxFacts), so a rebuild from
// the index gives what ingest stored. It is appended, truncated and undone
// with the other tx columns; the checkpoint records the rules version that
// made it and its generation.

// KindHook classifies a tx for the kinds column. Ingest passes the
// classifier in (the index does not import analysis packages).
type KindHook struct {
	// Version is the rules version, recorded with the column.
	Version uint32
	// Classify returns the kinds bitmask of a tx. f and its slices are
	// valid only during the call.
	Classify func(f *TxFacts) uint32
}

// TxFacts is one tx as the index keeps it: what the classifier may use.
type TxFacts struct {
	Version  int32
	LockTime uint32
	Coinbase bool
	Ins      []InFact
	Outs     []OutFact
}

// InFact is an input: the output it spends when that is indexed.
type InFact struct {
	Known bool // false: the spent output is not indexed (or a coinbase input)
	Value int64
	Type  chain.ScriptType
	Key   []byte // address key (chain.Addr.Key) of the spent output, nil for none
}

// OutFact is an output.
type OutFact struct {
	Value int64
	Type  chain.ScriptType
	Key   []byte // first address key, nil for none (OP_RETURN)
}

const (
	kindRecLen = 4
	kRebuild   = 'R' // rebuild in progress: u32 rules version, u64 generation, u64 txs done
)

// ErrKindsVersion is wrapped by Apply's error when the index's kinds were
// made by other rules than the hook's.
var ErrKindsVersion = errors.New("transaction kinds made by other classification rules")

// kindsChunk is how many txs a rebuild classifies between durable progress
// records, and kindScanChunk how many TxsOfKind scans under one read lock.
var kindsChunk, kindScanChunk uint64 = 1 << 20, 1 << 20

func kindsName(gen uint64) string {
	if gen == 0 {
		return "tx_kind"
	}
	return "tx_kind." + strconv.FormatUint(gen, 10)
}

func (ix *Index) initKinds(opt Options) error {
	ix.kinds = opt.Kinds
	ix.kindsVer = uint32(ix.cp.KindsVersion)
	if !ix.legacy && ix.cp.Txs == 0 {
		ix.kindsVer = hookVersion(opt.Kinds)
	}
	// Remove kinds files of older generations (a crash after a rebuild's
	// switch may leave the previous one) except a rebuild's in progress.
	keep := map[string]bool{kindsName(ix.cp.KindsGen) + ".col": !ix.legacy}
	if st, ok, err := ix.rebuildState(); err != nil {
		return err
	} else if ok {
		keep[kindsName(st.gen)+".col"] = true
	}
	ents, err := os.ReadDir(ix.dir)
	if err != nil {
		return fmt.Errorf("list index folder: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "tx_kind") && strings.HasSuffix(n, ".col") && !keep[n] {
			if err := os.Remove(filepath.Join(ix.dir, n)); err != nil {
				return fmt.Errorf("remove stale kinds file: %w", err)
			}
		}
	}
	return nil
}

func hookVersion(h *KindHook) uint32 {
	if h == nil {
		return 0
	}
	return h.Version
}

// kindsWritable reports whether Apply may append kinds: the index has the
// column, and its rules version is the hook's (an empty index takes the
// hook's).
func (ix *Index) kindsWritable() error {
	if ix.legacy {
		return ErrUpgradeKinds
	}
	hv := hookVersion(ix.kinds)
	if hv == ix.kindsVer {
		return nil
	}
	if ix.txHash.Len() == 0 {
		ix.kindsVer = hv
		return nil
	}
	return fmt.Errorf("%w: this index's are by rules v%d, this build's v%d: run `chaintrace classify --rebuild` on this --data folder first", ErrKindsVersion, ix.kindsVer, hv)
}

func (ix *Index) addKinds(t uint64) {
	var v uint32
	if ix.kinds != nil {
		ix.factsOf(t, &ix.facts)
		v = ix.kinds.Classify(&ix.facts)
	}
	binary.LittleEndian.PutUint32(ix.txKind.Add(), v)
}

func (ix *Index) keyOf(a uint64) []byte {
	if a == noID {
		return nil
	}
	return ix.addrKey(a)
}

// factsOf fills f with tx t (slices reused; keys alias the index).
func (ix *Index) factsOf(t uint64, f *TxFacts) {
	i0, i1, o0, o1 := ix.txRange(t)
	info := ix.txInfo.Rec(t)
	f.Version = int32(binary.LittleEndian.Uint32(info[8:]))
	f.LockTime = binary.LittleEndian.Uint32(info[12:])
	f.Coinbase = false
	f.Ins, f.Outs = f.Ins[:0], f.Outs[:0]
	for in := i0; in < i1; in++ {
		switch out := ix.inPrev.u40(in); out {
		case coinbaseID:
			f.Coinbase = true
			f.Ins = append(f.Ins, InFact{})
		case noID:
			f.Ins = append(f.Ins, InFact{})
		default:
			f.Ins = append(f.Ins, InFact{Known: true, Value: int64(ix.outValue.u64(out)), Type: chain.ScriptType(ix.outType.u8(out)), Key: ix.keyOf(ix.outAddr.u40(out))})
		}
	}
	for out := o0; out < o1; out++ {
		f.Outs = append(f.Outs, OutFact{Value: int64(ix.outValue.u64(out)), Type: chain.ScriptType(ix.outType.u8(out)), Key: ix.keyOf(ix.outAddr.u40(out))})
	}
}

// KindsVersion returns the rules version of the stored tx kinds; ok is
// false for a v3 index that has none yet.
func (ix *Index) KindsVersion() (version uint32, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.kindsVer, !ix.legacy
}

// TxKinds returns the stored kinds bitmask (a classify.Set) of tx number t.
func (ix *Index) TxKinds(t uint64) (uint32, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.legacy || t >= ix.txHash.Len() {
		return 0, false
	}
	return binary.LittleEndian.Uint32(ix.txKind.Rec(t)), true
}

// TxFacts fills f with tx number t as the index keeps it (what the kinds
// were computed from). Its keys are copies.
func (ix *Index) TxFacts(t uint64, f *TxFacts) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t >= ix.txHash.Len() {
		return false
	}
	ix.factsOf(t, f)
	for i := range f.Ins {
		f.Ins[i].Key = append([]byte(nil), f.Ins[i].Key...)
	}
	for i := range f.Outs {
		f.Outs[i].Key = append([]byte(nil), f.Outs[i].Key...)
	}
	return true
}

// TxKinds returns tx t's stored kinds bitmask (0 on a v3 index).
func (g Graph) TxKinds(t uint64) uint32 {
	if g.ix.legacy {
		return 0
	}
	return binary.LittleEndian.Uint32(g.ix.txKind.Rec(t))
}

// TxFacts fills f with tx t (keys valid inside the View callback only).
func (g Graph) TxFacts(t uint64, f *TxFacts) { g.ix.factsOf(t, f) }

// KindPage is a page of TxsOfKind.
type KindPage struct {
	Txs  []uint64 // tx numbers, in chain order
	Next uint64   // where the next page starts (a tx number)
	More bool     // whether there is a next page
}

// TxsOfKind returns up to limit (0: all) tx numbers whose stored kinds
// intersect mask, in blocks at heights [from, to] (clamped to the index),
// starting at tx number cursor. It scans the kinds column, taking the read
// lock for one chunk of 2^20 txs at a time so a long scan does not hold up
// ingest.
func (ix *Index) TxsOfKind(ctx context.Context, mask uint32, from, to int64, cursor uint64, limit int) (KindPage, error) {
	var p KindPage
	t, t1, err := ix.kindScanRange(from, to, cursor)
	if err != nil || t >= t1 {
		return p, err
	}
	for t < t1 {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		planned := min(t+kindScanChunk, t1)
		end, done := planned, false
		ix.mu.RLock()
		if ix.closed {
			ix.mu.RUnlock()
			return p, errors.New("index is closed")
		}
		end = min(end, ix.txKind.Len()) // an undo may have cut the chain meanwhile
		for ; t < end; t++ {
			if binary.LittleEndian.Uint32(ix.txKind.Rec(t))&mask == 0 {
				continue
			}
			if limit > 0 && len(p.Txs) == limit {
				p.Next, p.More, done = t, true, true
				break
			}
			p.Txs = append(p.Txs, t)
		}
		ix.mu.RUnlock()
		if done || end < planned {
			break
		}
	}
	return p, nil
}

// kindScanRange maps heights [from, to] and cursor to the tx numbers
// [t0, t1) TxsOfKind scans.
func (ix *Index) kindScanRange(from, to int64, cursor uint64) (uint64, uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.legacy {
		return 0, 0, ErrUpgradeKinds
	}
	n := ix.blocks.Len()
	if n == 0 {
		return 0, 0, nil
	}
	lo, hi := ix.baseHeight(), ix.heightOfNum(n-1)
	from, to = max(from, lo), min(to, hi)
	if from > to {
		return 0, 0, nil
	}
	t0, _ := ix.blockTxs(uint64(from - lo))
	_, t1 := ix.blockTxs(uint64(to - lo))
	return max(t0, cursor), t1, nil
}

type rebuildState struct {
	version  uint32
	gen, txs uint64
}

func (ix *Index) rebuildState() (rebuildState, bool, error) {
	v, closer, err := ix.db.Get([]byte{kRebuild})
	if errors.Is(err, pebble.ErrNotFound) {
		return rebuildState{}, false, nil
	}
	if err != nil {
		return rebuildState{}, false, fmt.Errorf("read rebuild state: %w", err)
	}
	defer closer.Close()
	if len(v) != 20 {
		return rebuildState{}, false, nil // unreadable: start over
	}
	return rebuildState{binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint64(v[4:]), binary.LittleEndian.Uint64(v[12:])}, true, nil
}

func (st rebuildState) encode() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b, st.version)
	binary.LittleEndian.PutUint64(b[4:], st.gen)
	binary.LittleEndian.PutUint64(b[12:], st.txs)
	return b
}

// RebuildKinds recomputes every tx's kinds with hook into a new column file
// and then switches to it in one commit; until that commit the previous
// kinds stay in force. Progress is made durable every kindsChunk txs, so an
// interrupted rebuild (ctx, a crash) resumes where it stopped when run again
// with the same rules version. On a v3 index (Options.Upgrade) it adds the
// column, making the index v4. progress, if not nil, is called after each
// durable chunk; resumed reports how many txs an earlier run had done.
func (ix *Index) RebuildKinds(ctx context.Context, hook KindHook, progress func(done, total uint64)) (resumed uint64, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.usable(); err != nil {
		return 0, err
	}
	if hook.Classify == nil {
		return 0, errors.New("rebuild kinds: no classifier")
	}
	if ix.dirty() {
		return 0, errors.New("rebuild kinds: the index has uncommitted blocks (Flush first)")
	}
	total := ix.txHash.Len()
	gen := ix.cp.KindsGen + 1
	if ix.legacy {
		gen = ix.cp.KindsGen // a v3 index has no kinds file yet
	}
	st, ok, err := ix.rebuildState()
	if err != nil {
		return 0, err
	}
	var done uint64
	if ok && st.version == hook.Version && st.gen == gen && st.txs <= total {
		done = st.txs
	}
	name := kindsName(gen)
	path := filepath.Join(ix.dir, name+".col")
	if fi, err := os.Stat(path); err == nil && fi.Size() < int64(done)*kindRecLen {
		done = 0 // the file lost records its progress claimed: start over
	}
	col, err := openColumn(ix.dir, name, kindRecLen)
	if err != nil {
		return 0, err
	}
	keep := false
	defer func() {
		if !keep {
			col.Close()
		}
	}()
	if err := col.Recover(done); err != nil {
		return 0, err
	}
	resumed = done
	var f TxFacts
	record := func(n uint64) error {
		if err := col.WriteTail(); err != nil {
			return err
		}
		if err := col.Sync(); err != nil {
			return err
		}
		if err := ix.db.Set([]byte{kRebuild}, rebuildState{hook.Version, gen, n}.encode(), pebble.Sync); err != nil {
			return fmt.Errorf("record rebuild progress: %w", err)
		}
		if progress != nil {
			progress(n, total)
		}
		return nil
	}
	for t := done; t < total; t++ {
		ix.factsOf(t, &f)
		binary.LittleEndian.PutUint32(col.Add(), hook.Classify(&f))
		if (t+1)%kindsChunk == 0 && t+1 < total {
			if err := record(t + 1); err != nil {
				return resumed, err
			}
			if err := ctx.Err(); err != nil {
				return resumed, err
			}
		}
	}
	if err := record(total); err != nil {
		return resumed, err
	}
	if err := col.Settle(); err != nil {
		return resumed, err
	}
	// The switch: one synced batch names the new generation and version.
	next := ix.cp
	next.Epoch++
	next.KindsVersion, next.KindsGen = uint64(hook.Version), gen
	b := ix.db.NewBatch()
	defer b.Close()
	if err := b.Set([]byte{kCheckpoint}, next.encode(), nil); err != nil {
		return resumed, err
	}
	if err := b.Delete([]byte{kRebuild}, nil); err != nil {
		return resumed, err
	}
	if ix.legacy {
		// v3 → v5: the P2PK aliases too.
		if err := ix.addP2PKAliases(b); err != nil {
			return resumed, err
		}
		// v3 → v6: the posting columns, from the chain columns.
		if err := ix.upgradePostings(b, &next); err != nil {
			return resumed, err
		}
		if err := b.Set([]byte{kCheckpoint}, next.encode(), nil); err != nil {
			return resumed, err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return resumed, fmt.Errorf("commit rebuilt kinds: %w", err)
	}
	old := ix.txKind
	ix.cp, ix.kindsVer, ix.kinds = next, hook.Version, &hook
	ix.txKind = col
	keep = true
	if ix.legacy {
		ix.cols = append(ix.cols, col)
		ix.legacy = false
	} else {
		for i, c := range ix.cols {
			if c == old {
				ix.cols[i] = col
			}
		}
		oldPath := filepath.Join(ix.dir, old.name+".col")
		old.Close()
		if err := os.Remove(oldPath); err != nil {
			return resumed, fmt.Errorf("remove the previous kinds file: %w", err)
		}
	}
	return resumed, syncDir(ix.dir)
}
