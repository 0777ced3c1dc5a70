package index

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/cockroachdb/pebble"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// Tip is the last block of the active chain.
type Tip struct {
	Height int64
	Hash   chainhash.Hash
	Work   *big.Int // cumulative work from the base block, inclusive
}

// Tip returns the tip; ok is false when the index is empty.
func (ix *Index) Tip() (Tip, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := ix.blocks.Len()
	if n == 0 {
		return Tip{}, false
	}
	var h chainhash.Hash
	copy(h[:], ix.blocks.Rec(n - 1)[:32])
	return Tip{Height: ix.heightOfNum(n - 1), Hash: h, Work: ix.workOf(n - 1)}, true
}

// Base returns the height of the first indexed block and its parent's hash
// (a block outside the index).
func (ix *Index) Base() (height int64, parent chainhash.Hash, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.blocks.Len() == 0 {
		return 0, chainhash.Hash{}, false
	}
	copy(parent[:], ix.blocks.Rec(0)[36:68])
	return ix.base, parent, true
}

func (ix *Index) blockNum(height int64) (uint64, bool) {
	n := ix.blocks.Len()
	if n == 0 || height < ix.base || uint64(height-ix.base) >= n {
		return 0, false
	}
	return uint64(height - ix.base), true
}

// HashAt returns the hash of the active-chain block at height.
func (ix *Index) HashAt(height int64) (chainhash.Hash, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var h chainhash.Hash
	b, ok := ix.blockNum(height)
	if ok {
		copy(h[:], ix.blocks.Rec(b)[:32])
	}
	return h, ok
}

// HeightOf returns the height of an active-chain block.
func (ix *Index) HeightOf(hash chainhash.Hash) (int64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.heightOf(hash)
}

func (ix *Index) heightOf(hash chainhash.Hash) (int64, bool) {
	if h, ok := ix.pendBlk[hash]; ok {
		return h, true
	}
	var k [33]byte
	k[0] = kBlock
	copy(k[1:], hash[:])
	v, closer, err := ix.db.Get(k[:])
	if err != nil {
		return 0, false
	}
	h := int64(binary.LittleEndian.Uint64(v))
	closer.Close()
	if b, ok := ix.blockNum(h); !ok || chainhash.Hash(ix.blocks.Rec(b)[:32]) != hash {
		return 0, false
	}
	return h, true
}

// WorkAt returns the cumulative work of the base block through height.
func (ix *Index) WorkAt(height int64) (*big.Int, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b, ok := ix.blockNum(height)
	if !ok {
		return nil, false
	}
	return ix.workOf(b), true
}

// Stats counts the index's content. Inputs include coinbase inputs.
type Stats struct {
	Blocks    uint64    `json:"blocks"`
	Txs       uint64    `json:"txs"`
	Inputs    uint64    `json:"inputs"`
	Outputs   uint64    `json:"outputs"`
	Addresses uint64    `json:"addresses"`
	Tip       *StatsTip `json:"tip"`
}

// StatsTip is the tip in Stats (null when the index is empty).
type StatsTip struct {
	Height int64  `json:"height"`
	Hash   string `json:"hash"`
}

// Stats returns the index's counts.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{Blocks: ix.blocks.Len(), Txs: ix.txHash.Len(), Inputs: ix.inPrev.Len(), Outputs: ix.outValue.Len(), Addresses: ix.addrOff.Len()}
	if n := s.Blocks; n > 0 {
		s.Tip = &StatsTip{Height: ix.heightOfNum(n - 1), Hash: chainhash.Hash(ix.blocks.Rec(n - 1)[:32]).String()}
	}
	return s
}

// BlockView is a block as the API shows it.
type BlockView struct {
	Hash       string   `json:"hash"`
	Height     int64    `json:"height"`
	PrevHash   string   `json:"prev_hash"`
	Time       int64    `json:"time"`
	Version    int32    `json:"version"`
	Bits       uint32   `json:"bits"`
	Nonce      uint32   `json:"nonce"`
	MerkleRoot string   `json:"merkle_root"`
	Size       int      `json:"size"`
	Weight     int      `json:"weight"`
	TxCount    int      `json:"tx_count"`
	Txids      []string `json:"txids"`
	// Fees is the sum of the fees of the block's txs, null when a spent
	// output of one of them is not indexed.
	Fees *int64 `json:"fees"`
}

// BlockByHeight returns the active-chain block at height.
func (ix *Index) BlockByHeight(height int64) (*BlockView, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b, ok := ix.blockNum(height)
	if !ok {
		return nil, fmt.Errorf("block at height %d: %w", height, ErrNotFound)
	}
	return ix.blockView(b), nil
}

// BlockByHash returns an active-chain block by hash.
func (ix *Index) BlockByHash(hash chainhash.Hash) (*BlockView, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	h, ok := ix.heightOf(hash)
	if !ok {
		return nil, fmt.Errorf("block %s: %w", hash, ErrNotFound)
	}
	b, _ := ix.blockNum(h)
	return ix.blockView(b), nil
}

func (ix *Index) blockHeader(b uint64) wire.BlockHeader {
	r := ix.blocks.Rec(b)
	var h wire.BlockHeader
	h.Version = int32(binary.LittleEndian.Uint32(r[32:]))
	copy(h.PrevBlock[:], r[36:68])
	copy(h.MerkleRoot[:], r[68:100])
	h.Timestamp = unixTime(binary.LittleEndian.Uint32(r[100:]))
	h.Bits = binary.LittleEndian.Uint32(r[104:])
	h.Nonce = binary.LittleEndian.Uint32(r[108:])
	return h
}

// blockTxs returns block b's tx numbers [t0, t1).
func (ix *Index) blockTxs(b uint64) (uint64, uint64) {
	t0 := binary.LittleEndian.Uint64(ix.blocks.Rec(b)[112:])
	t1 := ix.txHash.Len()
	if b+1 < ix.blocks.Len() {
		t1 = binary.LittleEndian.Uint64(ix.blocks.Rec(b + 1)[112:])
	}
	return t0, t1
}

func (ix *Index) blockView(b uint64) *BlockView {
	r := ix.blocks.Rec(b)
	h := ix.blockHeader(b)
	t0, t1 := ix.blockTxs(b)
	v := &BlockView{
		Hash:       chainhash.Hash(r[:32]).String(),
		Height:     ix.heightOfNum(b),
		PrevHash:   h.PrevBlock.String(),
		Time:       h.Timestamp.Unix(),
		Version:    h.Version,
		Bits:       h.Bits,
		Nonce:      h.Nonce,
		MerkleRoot: h.MerkleRoot.String(),
		Size:       int(binary.LittleEndian.Uint32(r[128:])),
		Weight:     int(binary.LittleEndian.Uint32(r[132:])),
		TxCount:    int(t1 - t0),
		Txids:      make([]string, 0, t1-t0),
	}
	var fees uint64
	known := true
	for t := t0; t < t1; t++ {
		v.Txids = append(v.Txids, chainhash.Hash(ix.txHash.Rec(t)).String())
		if f := ix.txFee.u64(t); f == noFee {
			known = false
		} else {
			fees += f
		}
	}
	if known {
		f := int64(fees)
		v.Fees = &f
	}
	return v
}

// TxView is a transaction as the API shows it. Unknown values are null.
type TxView struct {
	Txid        string       `json:"txid"`
	BlockHeight int64        `json:"block_height"`
	BlockHash   string       `json:"block_hash"`
	Fee         *int64       `json:"fee"`
	Size        int          `json:"size"`
	Vsize       int          `json:"vsize"`
	Weight      int          `json:"weight"`
	Version     int32        `json:"version"`
	LockTime    uint32       `json:"locktime"`
	Inputs      []InputView  `json:"inputs"`
	Outputs     []OutputView `json:"outputs"`
	// KindSet is the tx's stored kinds bitmask (a classify.Set; 0 on a v3
	// index). The API shows the kinds with their evidence instead.
	KindSet uint32 `json:"-"`
}

// InputView is one input. Value and Address are null when the spent output
// is not in the index; a coinbase input has a zero prev_txid, prev_vout
// 4294967295 and coinbase true.
type InputView struct {
	PrevTxid string  `json:"prev_txid"`
	PrevVout uint32  `json:"prev_vout"`
	Value    *int64  `json:"value"`
	Address  *string `json:"address"`
	Coinbase bool    `json:"coinbase,omitempty"`
}

// OutputView is one output. Address is null for OP_RETURN; a bare multisig
// output gives its first key in Address and all of them in Addresses.
type OutputView struct {
	N          uint32   `json:"n"`
	Value      int64    `json:"value"`
	Address    *string  `json:"address"`
	Addresses  []string `json:"addresses,omitempty"`
	ScriptType string   `json:"script_type"`
	// P2PKHAddress is, for a P2PK output, the P2PKH address of its key (how
	// explorers show it; the output is found under it too).
	P2PKHAddress string    `json:"p2pkh_address,omitempty"`
	SpentBy      *SpendRef `json:"spent_by"`
}

// SpendRef names the input spending an output.
type SpendRef struct {
	Txid string `json:"txid"`
	Vin  uint32 `json:"vin"`
}

// Tx returns the transaction with txid.
func (ix *Index) Tx(txid chainhash.Hash) (*TxView, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t, ok, err := ix.lookupTx(txid)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("tx %s: %w", txid, ErrNotFound)
	}
	return ix.txView(t)
}

func (ix *Index) txView(t uint64) (*TxView, error) {
	info := ix.txInfo.Rec(t)
	b := ix.txBlock(t)
	v := &TxView{
		Txid:        chainhash.Hash(ix.txHash.Rec(t)).String(),
		BlockHeight: ix.heightOfNum(b),
		BlockHash:   chainhash.Hash(ix.blocks.Rec(b)[:32]).String(),
		Size:        int(binary.LittleEndian.Uint32(info[0:])),
		Weight:      int(binary.LittleEndian.Uint32(info[4:])),
		Version:     int32(binary.LittleEndian.Uint32(info[8:])),
		LockTime:    binary.LittleEndian.Uint32(info[12:]),
	}
	if !ix.legacy {
		v.KindSet = binary.LittleEndian.Uint32(ix.txKind.Rec(t))
	}
	v.Vsize = (v.Weight + 3) / 4
	if f := ix.txFee.u64(t); f != noFee {
		fi := int64(f)
		v.Fee = &fi
	}
	i0, i1, o0, o1 := ix.txRange(t)
	v.Inputs = make([]InputView, 0, i1-i0)
	for in := i0; in < i1; in++ {
		out := ix.inPrev.u40(in)
		var iv InputView
		switch {
		case out == coinbaseID:
			iv = InputView{PrevTxid: chainhash.Hash{}.String(), PrevVout: wire.MaxPrevOutIndex, Coinbase: true}
		case out == noID:
			op, err := ix.unknownOutpoint(in)
			if err != nil {
				return nil, err
			}
			iv = InputView{PrevTxid: op.Hash.String(), PrevVout: op.Index}
		default:
			pt := ix.txOfOutput(out)
			_, _, po0, _ := ix.txRange(pt)
			val := int64(ix.outValue.u64(out))
			iv = InputView{PrevTxid: chainhash.Hash(ix.txHash.Rec(pt)).String(), PrevVout: uint32(out - po0), Value: &val}
			if a := ix.outAddr.u40(out); a != noID {
				s, err := ix.addrString(a)
				if err != nil {
					return nil, err
				}
				iv.Address = &s
			}
		}
		v.Inputs = append(v.Inputs, iv)
	}
	v.Outputs = make([]OutputView, 0, o1-o0)
	var ids []uint64
	for out := o0; out < o1; out++ {
		typ := chain.ScriptType(ix.outType.u8(out))
		ov := OutputView{N: uint32(out - o0), Value: int64(ix.outValue.u64(out)), ScriptType: typ.String()}
		ids = ix.outAddrs(out, ids[:0])
		for j, a := range ids {
			s, err := ix.addrString(a)
			if err != nil {
				return nil, err
			}
			if j == 0 {
				ov.Address = &s
			}
			if typ == chain.Multisig {
				ov.Addresses = append(ov.Addresses, s)
			}
		}
		if typ == chain.P2PK && len(ids) == 1 {
			if ad, err := chain.AddrFromKey(ix.addrKey(ids[0])); err == nil {
				if pkh, ok := ad.P2PKH(); ok {
					ov.P2PKHAddress = pkh.String(ix.params)
				}
			}
		}
		if sp := ix.spentBy(out); sp != noID {
			st := ix.txOfInput(sp)
			si0, _, _, _ := ix.txRange(st)
			ov.SpentBy = &SpendRef{Txid: chainhash.Hash(ix.txHash.Rec(st)).String(), Vin: uint32(sp - si0)}
		}
		v.Outputs = append(v.Outputs, ov)
	}
	return v, nil
}

func (ix *Index) addrString(a uint64) (string, error) {
	ad, err := chain.AddrFromKey(ix.addrKey(a))
	if err != nil {
		return "", fmt.Errorf("address #%d: %w", a, err)
	}
	return ad.String(ix.params), nil
}

// unknownOutpoint returns the outpoint of an input whose spent output is
// not indexed.
func (ix *Index) unknownOutpoint(in uint64) (wire.OutPoint, error) {
	i := ix.outpointsBefore(in)
	if i >= ix.inOutpoint.Len() {
		return wire.OutPoint{}, fmt.Errorf("outpoint of input #%d: %w", in, ErrNotFound)
	}
	r := ix.inOutpoint.Rec(i)
	if getU40(r) != in {
		return wire.OutPoint{}, fmt.Errorf("outpoint of input #%d: %w", in, ErrNotFound)
	}
	var op wire.OutPoint
	copy(op.Hash[:], r[idWidth:idWidth+32])
	op.Index = binary.LittleEndian.Uint32(r[idWidth+32:])
	return op, nil
}

// txBlock returns the block number holding tx t.
func (ix *Index) txBlock(t uint64) uint64 {
	n := ix.blocks.Len()
	i := sort.Search(int(n), func(i int) bool { return binary.LittleEndian.Uint64(ix.blocks.Rec(uint64(i))[112:]) > t })
	return uint64(i - 1)
}

// txOfInput returns the tx number holding input in.
func (ix *Index) txOfInput(in uint64) uint64 {
	n := ix.txHash.Len()
	if n == 0 {
		return noID
	}
	return txOfID(ix.txIn, in, 0, n) // interpolating: ids grow almost linearly with tx numbers
}

// txOfOutput returns the tx number holding output out.
func (ix *Index) txOfOutput(out uint64) uint64 {
	n := ix.txHash.Len()
	if n == 0 {
		return noID
	}
	return txOfID(ix.txOut, out, 0, n) // interpolating: ids grow almost linearly with tx numbers
}

// AddressView is an address's activity as the index sees it: Sent and
// Balance count only spends whose spent outputs are indexed. A P2PKH
// address also counts the P2PK outputs paying its key (as explorers show
// them): P2PKPubKey is then that key, and the txs that moved them say p2pk.
// A P2PK address (a public key in hex) gives its P2PKH address.
type AddressView struct {
	Address         string      `json:"address"`
	Type            string      `json:"type"`
	P2PKPubKey      string      `json:"p2pk_pubkey,omitempty"`
	P2PKHAddress    string      `json:"p2pkh_address,omitempty"`
	TxCount         int         `json:"tx_count"`
	Received        int64       `json:"received"`
	Sent            int64       `json:"sent"`
	Balance         int64       `json:"balance"`
	FirstSeenHeight int64       `json:"first_seen_height"`
	LastSeenHeight  int64       `json:"last_seen_height"`
	Txs             []AddressTx `json:"txs"`
	Offset          int         `json:"offset"`
	Limit           int         `json:"limit"`
}

// AddressTx is one tx of an address: what it received from and sent to it.
// P2PK is set when (some of) it was paid to or spent from the address's key
// in P2PK outputs.
type AddressTx struct {
	Txid        string `json:"txid"`
	BlockHeight int64  `json:"block_height"`
	Received    int64  `json:"received"`
	Sent        int64  `json:"sent"`
	P2PK        bool   `json:"p2pk,omitempty"`
}

// ErrBadAddress wraps errors for malformed address strings.
var ErrBadAddress = errors.New("bad address")

// Address returns the activity of addr, its txs in chain order paged by
// offset and limit (limit ≤ 0 means 50, at most 10,000). An address that
// never appears is ErrNotFound; a malformed one wraps ErrBadAddress.
func (ix *Index) Address(addr string, offset, limit int) (*AddressView, error) {
	a, err := chain.ParseAddr(addr, ix.params)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAddress, err)
	}
	if offset < 0 {
		offset = 0
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 10000)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok, err := ix.addressID(a.Key())
	if err != nil {
		return nil, err
	}
	v := &AddressView{Address: a.String(ix.params), Type: a.Type.String(), Offset: offset, Limit: limit, Txs: []AddressTx{}}
	if pkh, isPK := a.P2PKH(); isPK {
		v.P2PKHAddress = pkh.String(ix.params)
	}
	pk, okPK := uint64(0), false
	if a.Type == chain.P2PKH {
		if pk, okPK, err = ix.p2pkOf(a.Payload); err != nil {
			return nil, err
		}
		if okPK {
			v.P2PKPubKey = hex.EncodeToString(ix.addrKey(pk)[1:])
		}
	}
	switch {
	case ok && okPK:
		return v, ix.mergedAddressView(v, id, pk)
	case okPK:
		id, ok = pk, true
	case !ok:
		return nil, fmt.Errorf("address %s: %w", addr, ErrNotFound)
	}
	// Totals, first and last seen and the page: one walk of its outputs.
	sc := scratchPool.Get().(*postingScratch)
	defer scratchPool.Put(sc)
	txs, err := ix.addrTxs(id, sc)
	if err != nil {
		return nil, err
	}
	for _, p := range txs {
		v.Received += int64(p.recv)
		v.Sent += int64(p.sent)
	}
	v.TxCount, v.Balance = len(txs), v.Received-v.Sent
	if len(txs) > 0 {
		v.FirstSeenHeight = ix.heightOfNum(ix.txBlock(txs[0].tx))
		v.LastSeenHeight = ix.heightOfNum(ix.txBlock(txs[len(txs)-1].tx))
	}
	for _, p := range txs[min(offset, len(txs)):min(offset+limit, len(txs))] {
		v.Txs = append(v.Txs, AddressTx{Txid: chainhash.Hash(ix.txHash.Rec(p.tx)).String(), BlockHeight: ix.heightOfNum(ix.txBlock(p.tx)),
			Received: int64(p.recv), Sent: int64(p.sent), P2PK: okPK})
	}
	return v, nil
}

// mergedAddressView fills v from the postings of a P2PKH address id and of
// the P2PK address pk of the same key, merged by tx (a walk over both).
func (ix *Index) mergedAddressView(v *AddressView, id, pk uint64) error {
	type amt struct {
		recv, sent uint64
		p2pk       bool
	}
	byTx := map[uint64]amt{}
	for _, a := range []uint64{id, pk} {
		err := ix.eachPosting(a, func(tx, r, s uint64) bool {
			m := byTx[tx]
			m.recv += r
			m.sent += s
			m.p2pk = m.p2pk || a == pk
			byTx[tx] = m
			return true
		})
		if err != nil {
			return err
		}
	}
	txs := make([]uint64, 0, len(byTx))
	for tx, m := range byTx {
		txs = append(txs, tx)
		v.Received += int64(m.recv)
		v.Sent += int64(m.sent)
	}
	slices.Sort(txs)
	v.TxCount, v.Balance = len(txs), v.Received-v.Sent
	if len(txs) > 0 {
		v.FirstSeenHeight = ix.heightOfNum(ix.txBlock(txs[0]))
		v.LastSeenHeight = ix.heightOfNum(ix.txBlock(txs[len(txs)-1]))
	}
	for _, tx := range txs[min(v.Offset, len(txs)):min(v.Offset+v.Limit, len(txs))] {
		m := byTx[tx]
		v.Txs = append(v.Txs, AddressTx{Txid: chainhash.Hash(ix.txHash.Rec(tx)).String(), BlockHeight: ix.heightOfNum(ix.txBlock(tx)),
			Received: int64(m.recv), Sent: int64(m.sent), P2PK: m.p2pk})
	}
	return nil
}

// p2pkOf returns the committed P2PK address whose key hashes to h160.
func (ix *Index) p2pkOf(h160 []byte) (uint64, bool, error) {
	v, closer, err := ix.db.Get(append([]byte{kP2PKH}, h160...))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up P2PK address: %w", err)
	}
	defer closer.Close()
	id := getU40(v)
	if id >= ix.addrOff.Len() {
		return 0, false, nil
	}
	return id, true, nil
}

// addressID maps an address key to its id.
func (ix *Index) addressID(key []byte) (uint64, bool, error) {
	id, ok := ix.findAddr(key, addrHash(key))
	return id, ok, nil
}

// addP2PKAliases adds to b the k entry of every committed P2PK address (for
// an index made before format v5).
func (ix *Index) addP2PKAliases(b *pebble.Batch) error {
	for a := uint64(0); a < ix.cp.Addrs; a++ {
		key := ix.addrKey(a)
		if len(key) < 2 || chain.ScriptType(key[0]) != chain.P2PK {
			continue
		}
		var v [5]byte
		putU40(v[:], a)
		if err := b.Set(append([]byte{kP2PKH}, btcutil.Hash160(key[1:])...), v[:], nil); err != nil {
			return fmt.Errorf("P2PK aliases: %w", err)
		}
	}
	return nil
}
