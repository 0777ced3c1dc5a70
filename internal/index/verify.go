package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/cockroachdb/pebble"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Blocks    uint64 `json:"blocks"`
	Txs       uint64 `json:"txs"`
	Inputs    uint64 `json:"inputs"`
	Outputs   uint64 `json:"outputs"`
	Addresses uint64 `json:"addresses"`
	Postings  uint64 `json:"postings"`
	// Digest is the hex sha256 of the logical content in chain order: block
	// headers, sizes and weights; txids, sizes, fees; each input's spent
	// output (or outpoint when not indexed); each output's value, script
	// type, address keys and spender; and a multiset hash of the address
	// postings. Equal indexes have equal digests whatever their history of
	// flushes, crashes and reorgs.
	Digest   string   `json:"digest"`
	Problems []string `json:"problems,omitempty"`
}

const maxProblems = 100

// Verify checks the index's internal consistency (chain links and work,
// column lengths, mutual spend links, txid and address maps, address
// postings against outputs and inputs) and computes its digest. It returns
// the report and, when problems were found, an error listing them.
func (ix *Index) Verify(ctx context.Context) (*VerifyReport, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, errors.New("index is closed")
	}
	if ix.legacy {
		return nil, ErrUpgradeKinds
	}
	rep := &VerifyReport{Blocks: ix.blocks.Len(), Txs: ix.txHash.Len(), Inputs: ix.inPrev.Len(), Outputs: ix.outValue.Len(), Addresses: ix.addrOff.Len()}
	bad := func(format string, args ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	for _, c := range []*column{ix.txIn, ix.txOut, ix.txInfo, ix.txFee, ix.txKind} {
		if c.Len() != rep.Txs {
			bad("column %s has %d records, tx_hash %d", c.name, c.Len(), rep.Txs)
		}
	}
	for _, c := range []*column{ix.outAddr, ix.outType, ix.outSpent} {
		if c.Len() != rep.Outputs {
			bad("column %s has %d records, out_value %d", c.name, c.Len(), rep.Outputs)
		}
	}
	if rep.Addresses > 0 && ix.addrOff.u64(rep.Addresses-1) != ix.addrBlob.Len() {
		bad("address keys end at %d, the key file holds %d bytes", ix.addrOff.u64(rep.Addresses-1), ix.addrBlob.Len())
	}
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("index verify: %s", strings.Join(rep.Problems, "; "))
	}

	h := sha256.New()
	var buf [128]byte
	var postSum [4]uint64
	var keySum [4]uint64 // multiset of (address, output) over output keys
	var nKeys uint64
	var ids []uint64
	type agg struct{ addr, recv, sent uint64 }
	var txAgg []agg
	addAgg := func(a, r, s uint64) {
		for i := range txAgg {
			if txAgg[i].addr == a {
				txAgg[i].recv += r
				txAgg[i].sent += s
				return
			}
		}
		txAgg = append(txAgg, agg{a, r, s})
	}
	var nUnknown, nMulti uint64
	work := new(big.Int)
	var prevHash chainhash.Hash
	for b := uint64(0); b < rep.Blocks; b++ {
		if b%1024 == 0 && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		r := ix.blocks.Rec(b)
		hdr := ix.blockHeader(b)
		bh := hdr.BlockHash()
		if !equalHash(bh, r[:32]) {
			bad("block #%d: stored hash %x is not its header's hash %s", b, r[:32], bh)
		}
		if b > 0 && hdr.PrevBlock != prevHash {
			bad("block #%d: parent %s is not block #%d %s", b, hdr.PrevBlock, b-1, prevHash)
		}
		prevHash = bh
		work.Add(work, blockchain.CalcWork(hdr.Bits))
		if work.Cmp(ix.workOf(b)) != 0 {
			bad("block #%d: stored cumulative work differs from the sum of its headers' work", b)
		}
		if hh, ok := ix.heightOf(bh); !ok || hh != ix.heightOfNum(b) {
			bad("block #%d %s: hash does not map back to height %d", b, bh, ix.heightOfNum(b))
		}
		t0, t1 := ix.blockTxs(b)
		if t1 <= t0 {
			bad("block #%d has no txs", b)
		}
		if b == 0 && t0 != 0 {
			bad("block #0 starts at tx %d", t0)
		}
		binary.LittleEndian.PutUint64(buf[0:], uint64(ix.heightOfNum(b)))
		h.Write(buf[:8])
		h.Write(r[:136])
		for t := t0; t < t1; t++ {
			txid := chainhash.Hash(ix.txHash.Rec(t))
			if got, ok, err := ix.lookupTx(txid); err != nil || !ok || (got != t && !ix.isDupOf(got, t)) {
				bad("tx #%d %s: txid maps to #%d (found %v, err %v)", t, txid, got, ok, err)
			}
			i0, i1, o0, o1 := ix.txRange(t)
			if i1 < i0 || o1 < o0 || i1 > rep.Inputs || o1 > rep.Outputs {
				bad("tx #%d: bad ranges in [%d,%d) out [%d,%d)", t, i0, i1, o0, o1)
				continue
			}
			h.Write(txid[:])
			h.Write(ix.txInfo.Rec(t))
			h.Write(ix.txFee.Rec(t))
			h.Write(ix.txKind.Rec(t))
			binary.LittleEndian.PutUint64(buf[0:], i1-i0)
			binary.LittleEndian.PutUint64(buf[8:], o1-o0)
			h.Write(buf[:16])
			txAgg = txAgg[:0]
			var inSum, outSum uint64
			known := true
			for in := i0; in < i1; in++ {
				out := ix.inPrev.u40(in)
				switch {
				case out == coinbaseID:
					if t != t0 || i1-i0 != 1 {
						bad("input #%d of tx #%d is marked coinbase", in, t)
					}
					known = false
					h.Write([]byte{0xc0})
				case out == noID:
					known = false
					nUnknown++
					op, err := ix.unknownOutpoint(in)
					if err != nil {
						bad("input #%d: %v", in, err)
					}
					h.Write([]byte{0xff})
					h.Write(op.Hash[:])
					binary.LittleEndian.PutUint32(buf[:], op.Index)
					h.Write(buf[:4])
				case out >= rep.Outputs:
					bad("input #%d spends output #%d beyond %d", in, out, rep.Outputs)
				default:
					if sp := ix.spentBy(out); sp != in {
						bad("input #%d spends output #%d, whose spender is #%d", in, out, sp)
					}
					if ix.txOfOutput(out) >= t {
						bad("input #%d (tx #%d) spends output #%d of a later tx", in, t, out)
					}
					val := ix.outValue.u64(out)
					inSum += val
					for _, a := range ix.outAddrs(out, ids[:0]) {
						addAgg(a, 0, val)
					}
					h.Write([]byte{0x01})
					binary.LittleEndian.PutUint64(buf[:], out)
					h.Write(buf[:8])
				}
			}
			for out := o0; out < o1; out++ {
				val := ix.outValue.u64(out)
				outSum += val
				binary.LittleEndian.PutUint64(buf[0:], val)
				buf[8] = ix.outType.u8(out)
				sp := ix.spentBy(out)
				binary.LittleEndian.PutUint64(buf[9:], sp)
				h.Write(buf[:17])
				if sp != noID && (sp >= rep.Inputs || ix.inPrev.u40(sp) != out) {
					bad("output #%d is spent by input #%d, which does not spend it", out, sp)
				}
				ids = ix.outAddrs(out, ids[:0])
				for _, a := range ids {
					postingHash(&keySum, a, out, 0, 0)
					nKeys++
				}
				if len(ids) > 1 || (len(ids) == 1 && ix.outType.u8(out) == 7) {
					nMulti++
				}
				for _, a := range ids {
					if a >= rep.Addresses {
						bad("output #%d pays address #%d beyond %d", out, a, rep.Addresses)
						continue
					}
					k := ix.addrKey(a)
					binary.LittleEndian.PutUint32(buf[:], uint32(len(k)))
					h.Write(buf[:4])
					h.Write(k)
					addAgg(a, val, 0)
				}
			}
			fee := ix.txFee.u64(t)
			switch {
			case t == t0 && ix.inPrev.u40(i0) == coinbaseID:
				if fee != 0 {
					bad("coinbase tx #%d has fee %d", t, fee)
				}
			case known && fee != inSum-outSum:
				bad("tx #%d: fee %d, inputs-outputs %d", t, fee, int64(inSum-outSum))
			case !known && fee != noFee:
				bad("tx #%d: fee %d though a spent output is unknown", t, fee)
			}
			for _, g := range txAgg {
				postingHash(&postSum, g.addr, t, g.recv, g.sent)
			}
			rep.Postings += uint64(len(txAgg))
		}
	}
	if rep.Blocks > 0 {
		if _, t1 := ix.blockTxs(rep.Blocks - 1); t1 != rep.Txs {
			bad("the last block ends at tx %d, the index holds %d", t1, rep.Txs)
		}
	}

	// Key-value side: counts and the postings multiset.
	var kvPost [4]uint64
	var nPost, nU, nM, nPK, nAlias uint64
	scan := func(prefix byte, fn func(k, v []byte)) error {
		it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix}, UpperBound: []byte{prefix + 1}})
		if err != nil {
			return err
		}
		i := 0
		for it.First(); it.Valid(); it.Next() {
			if i++; i%65536 == 0 && ctx.Err() != nil {
				it.Close()
				return ctx.Err()
			}
			fn(it.Key(), it.Value())
		}
		return it.Close()
	}
	errs := []error{
		scan(kP2PKH, func(k, v []byte) {
			nAlias++
			a := getU40(v)
			if a >= rep.Addresses {
				bad("P2PKH alias %x maps to #%d, beyond the addresses", k[1:], a)
				return
			}
			ak := ix.addrKey(a)
			if len(ak) < 2 || chain.ScriptType(ak[0]) != chain.P2PK || !bytes.Equal(btcutil.Hash160(ak[1:]), k[1:]) {
				bad("P2PKH alias %x maps to #%d, which is not the P2PK address of that key", k[1:], a)
			}
		}),
		scan(kMulti, func(k, v []byte) { nM++ }),
	}
	// Every address is found by its key in the address map (and P2PK ones
	// counted for their aliases).
	for a := uint64(0); a < rep.Addresses; a++ {
		if a%65536 == 0 && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		k := ix.addrKey(a)
		if len(k) > 0 && chain.ScriptType(k[0]) == chain.P2PK && a < ix.cp.Addrs {
			nPK++
		}
		if got, ok := ix.findAddr(k, addrHash(k)); !ok || got != a {
			bad("address #%d key %x maps to #%d (found %v)", a, k, got, ok)
		}
	}
	if nAlias != nPK {
		bad("%d P2PKH aliases for %d committed P2PK addresses", nAlias, nPK)
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("index verify: %w", err)
	}
	// Address lists (columns): each address's links walked from its head
	// must visit exactly the outputs paying it, and the txs found must be
	// the postings recomputed above.
	var walkKeys [4]uint64
	var nLinks uint64
	var sc postingScratch
	for a := uint64(0); a < rep.Addresses; a++ {
		if a%4096 == 0 && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		txs, err := ix.walkTxs(a, &sc) // not the cache: the columns are checked
		if err != nil {
			bad("%v", err)
			continue
		}
		for _, iv := range sc.recv {
			postingHash(&walkKeys, a, iv.id, 0, 0)
		}
		nLinks += uint64(len(sc.recv))
		for _, p := range txs {
			postingHash(&kvPost, a, p.tx, p.recv, p.sent)
		}
		nPost += uint64(len(txs))
	}
	if nLinks != nKeys || walkKeys != keySum || nLinks != ix.addrLink.Len() {
		bad("address lists: %d links walked, %d stored, for %d output keys (or other outputs)", nLinks, ix.addrLink.Len(), nKeys)
	}
	nU = ix.inOutpoint.Len()
	for i, prev := uint64(0), uint64(0); i < nU; i++ {
		in := getU40(ix.inOutpoint.Rec(i))
		if in >= rep.Inputs || (i > 0 && in <= prev) || ix.inPrev.u40(in) != noID {
			bad("outpoint record %d names input #%d: out of order or not an input with an unknown spent output", i, in)
			break
		}
		prev = in
	}
	nM += uint64(len(ix.multis))
	if nPost != rep.Postings || kvPost != postSum {
		bad("address postings (%d) do not match the outputs and inputs (%d postings)", nPost, rep.Postings)
	}
	if nU != nUnknown {
		bad("%d unknown-outpoint entries for %d inputs with unknown spent outputs", nU, nUnknown)
	}
	if nM != nMulti {
		bad("%d multi-address entries for %d multi-address outputs", nM, nMulti)
	}
	for i := range postSum {
		binary.LittleEndian.PutUint64(buf[8*i:], postSum[i])
	}
	h.Write(buf[:32])
	rep.Digest = hex.EncodeToString(h.Sum(nil))
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("index verify: %d problems: %s", len(rep.Problems), strings.Join(rep.Problems, "; "))
	}
	return rep, nil
}

func equalHash(h chainhash.Hash, b []byte) bool { return string(h[:]) == string(b) }

// isDupOf reports whether tx got is a later tx with the same txid as t.
func (ix *Index) isDupOf(got, t uint64) bool {
	return got > t && got < ix.txHash.Len() && string(ix.txHash.Rec(got)) == string(ix.txHash.Rec(t))
}

func postingHash(sum *[4]uint64, addr, tx, recv, sent uint64) {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], addr)
	binary.LittleEndian.PutUint64(b[8:], tx)
	binary.LittleEndian.PutUint64(b[16:], recv)
	binary.LittleEndian.PutUint64(b[24:], sent)
	d := sha256.Sum256(b[:])
	for i := range sum {
		sum[i] += binary.LittleEndian.Uint64(d[8*i:])
	}
}

// DiskUsage is the index's size on disk in bytes, per file group.
type DiskUsage struct {
	Blocks    int64            `json:"blocks"`    // block records
	Txs       int64            `json:"txs"`       // tx columns (txid, ranges, sizes, fees)
	Inputs    int64            `json:"inputs"`    // input columns
	Outputs   int64            `json:"outputs"`   // output columns
	Addresses int64            `json:"addresses"` // address columns: keys, postings (addr_link, addr_head)
	Filter    int64            `json:"filter"`    // Bloom filter of txids and addresses: none since format v6 (0)
	Maps      int64            `json:"maps"`      // txid and address hash tables (txmap.ht, addrmap.ht)
	KV        int64            `json:"kv"`        // Pebble: block hash, P2PK alias and multisig keys
	Total     int64            `json:"total"`
	Files     map[string]int64 `json:"files"`
}

// DiskUsage measures the index's files.
func (ix *Index) DiskUsage() (DiskUsage, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	u := DiskUsage{Files: map[string]int64{}}
	for _, c := range ix.cols {
		n := c.Size()
		u.Files[c.name] = n
		switch {
		case c == ix.blocks:
			u.Blocks += n
		case strings.HasPrefix(c.name, "tx_"):
			u.Txs += n
		case strings.HasPrefix(c.name, "in_"):
			u.Inputs += n
		case strings.HasPrefix(c.name, "out_"):
			u.Outputs += n
		default:
			u.Addresses += n
		}
	}
	err := filepath.WalkDir(filepath.Join(ix.dir, "kv"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed by a compaction meanwhile
		}
		u.KV += info.Size()
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("disk usage: %w", err)
	}
	u.Files["kv"] = u.KV
	for name, t := range map[string]*htable{"txmap": ix.txMap, "addrmap": ix.addrMap} {
		u.Files[name] = t.size()
		u.Maps += t.size()
	}
	u.Total = u.Blocks + u.Txs + u.Inputs + u.Outputs + u.Addresses + u.KV + u.Maps
	return u, nil
}
