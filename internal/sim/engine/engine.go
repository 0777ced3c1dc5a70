package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Config configures an Engine.
type Config struct {
	Seed   int64            // every key, signature and block follows from it
	Params *chaincfg.Params // network; default &chaincfg.RegressionNetParams
	// Fast skips signing and real key derivation: inputs carry placeholder signatures and public keys of the
	// exact signed sizes. Such chains are for benchmarks only; a node rejects them.
	Fast bool
	// OutDir receives the block files OutDir/blocks/blk00000.dat, blk00001.dat, … (network magic, little-endian
	// size, block: Bitcoin Core's layout). Empty means no files are written.
	OutDir      string
	MaxFileSize int64     // roll to the next blk file past this size (default 128 MiB, as Core)
	StartTime   time.Time // earliest timestamp of block 1 and later (default 2025-01-01T00:00:00Z)
}

// DefaultMaxFileSize is Bitcoin Core's maximum blk file size.
const DefaultMaxFileSize = 128 << 20

// DefaultStartTime is the default timestamp of block 1.
var DefaultStartTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// BlockVersion is the header version of every mined block: BIP9 top bits with the CSV (bit 0), segwit (bit 1)
// and taproot (bit 2) deployments signalled, so that btcd's regtest activates them at height 432.
const BlockVersion = 0x20000007

// CoinbaseTag follows the BIP34 height in every coinbase script; fast-mode chains carry CoinbaseTagFast
// instead, so a chain with placeholder signatures says so itself.
const (
	CoinbaseTag     = "/chaintrace-sim/"
	CoinbaseTagFast = "/chaintrace-sim-fast-unsigned/"
)

// BtcdRegtestSegwitHeight is the first block height at which btcd v0.24.2's regtest enforces segwit (and
// taproot and CSV) for a chain whose every block signals them, as the engine's do: BIP9 DEFINED for blocks
// 0–143, STARTED 144–287, LOCKED_IN 288–431, ACTIVE from 432. Below it btcd accepts witness spends without
// checking their witnesses; Bitcoin Core's regtest enforces segwit and taproot from genesis.
const BtcdRegtestSegwitHeight = 432

// CoinbaseMaturity is the number of blocks before a coinbase output may be spent.
const CoinbaseMaturity = 100

// coinbaseReserve is the weight and sigop cost kept free for the coinbase transaction.
const (
	coinbaseReserveWeight = 4000
	coinbaseReserveSigOps = 400
)

// Errors callers may test with errors.Is.
var (
	// ErrBlockFull means the transaction does not fit in the block being assembled (weight or sigop cost):
	// mine the queued transactions with MineBlock and add it again.
	ErrBlockFull = errors.New("block full")
	// ErrUnknownCoin means an input spends an output the engine does not know as unspent.
	ErrUnknownCoin = errors.New("unknown or already spent output")
	// ErrImmature means an input spends a coinbase output younger than CoinbaseMaturity blocks.
	ErrImmature = errors.New("immature coinbase spend")
	// ErrInvalidTx means a transaction or TxSpec is malformed (values, counts, keys, lock times).
	ErrInvalidTx = errors.New("invalid transaction")
)

// utxo is the engine's record of an unspent output. The set holds exactly the live outputs (confirmed and
// queued), so memory follows the UTXO count, not the chain length.
type utxo struct {
	value  int64
	height int32  // confirming block, or the next block's height while queued
	meta   uint32 // script fingerprint (low 24 bits), kind (bits 24–27), coinbase (bit 28)
}

func newUTXO(value int64, height int32, pk []byte, coinbase bool) utxo {
	m := scriptTag(pk)&0xffffff | uint32(classify(pk))<<24
	if coinbase {
		m |= 1 << 28
	}
	return utxo{value: value, height: height, meta: m}
}

func (u utxo) tag() uint32    { return u.meta & 0xffffff }
func (u utxo) kind() KeyKind  { return KeyKind(u.meta >> 24 & 0xf) }
func (u utxo) coinbase() bool { return u.meta>>28&1 == 1 }

type queued struct {
	tx    *wire.MsgTx
	txid  chainhash.Hash
	wtxid chainhash.Hash
	fee   int64
}

// Engine builds a chain: keys, signed transactions, mined blocks, block files. It is not safe for concurrent use.
type Engine struct {
	cfg        Config
	keyCounter uint64
	keys       *keyStream    // signing keys (nil in fast mode)
	fakeRand   *rand.ChaCha8 // placeholder public keys (fast mode)
	out        *blkWriter

	height    int64
	tip       chainhash.Hash
	times     []int64 // timestamps of the last up to 11 blocks, oldest first
	utxos     map[wire.OutPoint]utxo
	queue     []queued
	qWeight   int64
	qSigOps   int64
	qFees     int64
	qWitness  bool
	target    *big.Int
	extraData []byte

	arena      []byte // serialized queued transactions, in queue order: the block's body after the coinbase
	lastTx     *wire.MsgTx
	lastTxID   chainhash.Hash
	lastWeight int64
	sha        hash.Hash
	hashBuf    []chainhash.Hash
	hrpState   uint32    // bech32 checksum state after the network's HRP
	rmd        hash.Hash // reused RIPEMD-160
	closed     bool
	failed     error // a block write failed; no further blocks are written
}

// New starts a chain at the network's genesis block. With an OutDir it creates OutDir/blocks (refusing a
// non-empty one) and writes the genesis block first in blk00000.dat, as Bitcoin Core does.
func New(cfg Config) (*Engine, error) {
	if cfg.Params == nil {
		cfg.Params = &chaincfg.RegressionNetParams
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if cfg.MaxFileSize < 0 {
		return nil, fmt.Errorf("engine: MaxFileSize %d is negative", cfg.MaxFileSize)
	}
	if cfg.StartTime.IsZero() {
		cfg.StartTime = DefaultStartTime
	}
	g := cfg.Params.GenesisBlock
	if g == nil {
		return nil, fmt.Errorf("engine: network %q has no genesis block", cfg.Params.Name)
	}
	e := &Engine{
		cfg:       cfg,
		tip:       g.BlockHash(),
		times:     []int64{g.Header.Timestamp.Unix()},
		utxos:     make(map[wire.OutPoint]utxo),
		target:    newTarget(cfg.Params.PowLimitBits),
		extraData: []byte(CoinbaseTag),
		hrpState:  hrpState(cfg.Params.Bech32HRPSegwit),
	}
	if cfg.Fast {
		e.extraData = []byte(CoinbaseTagFast)
	} else {
		e.keys = newKeyStream(cfg.Seed)
	}
	if cfg.OutDir != "" {
		w, err := openBlkWriter(filepath.Join(cfg.OutDir, "blocks"), cfg.Params.Net, cfg.MaxFileSize)
		if err != nil {
			return nil, err
		}
		var gb bytes.Buffer
		if err := g.Serialize(&gb); err != nil {
			w.close()
			return nil, fmt.Errorf("engine: serialize genesis: %w", err)
		}
		if err := w.writeBlock(gb.Bytes()); err != nil {
			w.close()
			return nil, err
		}
		e.out = w
	}
	return e, nil
}

// Params returns the network parameters.
func (e *Engine) Params() *chaincfg.Params { return e.cfg.Params }

// Fast reports whether the engine runs in fast mode (placeholder signatures; not node-valid).
func (e *Engine) Fast() bool { return e.cfg.Fast }

// Height returns the height of the tip (0 = genesis).
func (e *Engine) Height() int64 { return e.height }

// TipHash returns the hash of the tip block.
func (e *Engine) TipHash() chainhash.Hash { return e.tip }

// Time returns the timestamp of the tip block (the genesis block's, 2011-02-02 on regtest, before block 1).
func (e *Engine) Time() time.Time { return time.Unix(e.times[len(e.times)-1], 0).UTC() }

// MedianTimePast returns the median timestamp of the last 11 blocks (BIP113).
func (e *Engine) MedianTimePast() time.Time { return time.Unix(e.mtp(), 0).UTC() }

func (e *Engine) mtp() int64 {
	ts := append([]int64(nil), e.times...)
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2]
}

// UTXOCount returns the number of unspent outputs the engine tracks (confirmed and queued).
func (e *Engine) UTXOCount() int { return len(e.utxos) }

// Queued returns the number of transactions waiting for the next block.
func (e *Engine) Queued() int { return len(e.queue) }

// BytesWritten returns the number of bytes written to block files so far.
func (e *Engine) BytesWritten() int64 {
	if e.out == nil {
		return 0
	}
	return e.out.written
}

// Close flushes and fsyncs the block files. Queued, unmined transactions are dropped.
func (e *Engine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.out != nil {
		return e.out.close()
	}
	return nil
}

// Unspent reports whether op is a live output the engine knows (confirmed or queued), with its value.
func (e *Engine) Unspent(op wire.OutPoint) (int64, bool) {
	u, ok := e.utxos[op]
	return u.value, ok
}

// AddTx queues tx for the next block after checking it against the engine's UTXO set: every input must spend
// a known unspent output (confirmed, or created by a transaction queued before it), coinbase outputs must be
// mature, outputs must not exceed inputs, lock times must be satisfied in the next block. A transaction that
// would overflow the block's weight or sigop budget is refused with ErrBlockFull. Signatures are not
// re-verified here (BuildTx produced them); tests run the script engine on them. tx is serialized here: it
// must not be changed afterwards.
func (e *Engine) AddTx(tx *wire.MsgTx) error {
	if e.closed {
		return errors.New("engine: AddTx after Close")
	}
	if tx == nil {
		return fmt.Errorf("engine: AddTx: %w: nil transaction", ErrInvalidTx)
	}
	mark := len(e.arena)
	txid, wtxid, weight, err := e.encodeTx(tx)
	if err != nil {
		return fmt.Errorf("engine: AddTx: encode: %w", err)
	}
	sigops, in, err := e.checkTx(tx, weight)
	if err != nil {
		e.arena = e.arena[:mark]
		return fmt.Errorf("engine: AddTx %s: %w", txid, err)
	}
	next := int32(e.height + 1)
	for _, ti := range tx.TxIn {
		delete(e.utxos, ti.PreviousOutPoint)
	}
	var out int64
	for i, to := range tx.TxOut {
		out += to.Value
		if isUnspendable(to.PkScript) {
			continue
		}
		e.utxos[wire.OutPoint{Hash: txid, Index: uint32(i)}] = newUTXO(to.Value, next, to.PkScript, false)
	}
	q := queued{tx: tx, txid: txid, wtxid: wtxid, fee: in - out}
	if txid != wtxid {
		e.qWitness = true
	}
	e.queue = append(e.queue, q)
	e.lastTx, e.lastTxID, e.lastWeight = tx, txid, weight
	e.qWeight += weight
	e.qSigOps += sigops
	e.qFees += q.fee
	return nil
}

// encodeTx appends tx's serialization (with witness) to the block arena and derives its txid, wtxid and
// weight from that one serialization.
func (e *Engine) encodeTx(tx *wire.MsgTx) (txid, wtxid chainhash.Hash, weight int64, err error) {
	mark := len(e.arena)
	var witStart int
	e.arena, witStart = appendTx(e.arena, tx)
	raw := e.arena[mark:]
	witStart -= mark
	if e.sha == nil {
		e.sha = sha256.New()
	}
	var first [32]byte
	e.sha.Reset()
	if witStart == len(raw)-4 { // no witness: the serialization is the stripped one
		e.sha.Write(raw)
		e.sha.Sum(first[:0])
		txid = sha256.Sum256(first[:])
		return txid, txid, int64(len(raw)) * 4, nil
	}
	// Witness serialization: version | 0x00 0x01 | inputs and outputs | witnesses | lock time.
	e.sha.Write(raw[:4])
	e.sha.Write(raw[6:witStart])
	e.sha.Write(raw[len(raw)-4:])
	e.sha.Sum(first[:0])
	txid = sha256.Sum256(first[:])
	e.sha.Reset()
	e.sha.Write(raw)
	e.sha.Sum(first[:0])
	wtxid = sha256.Sum256(first[:])
	stripped := 4 + (witStart - 6) + 4
	return txid, wtxid, int64(stripped)*3 + int64(len(raw)), nil
}

// appendTx appends tx in Bitcoin's serialization (BIP144 witness form when any input has a witness, as
// wire.MsgTx.Serialize) and returns the offset where the witnesses (or, without any, the lock time) start.
func appendTx(b []byte, tx *wire.MsgTx) ([]byte, int) {
	b = binary.LittleEndian.AppendUint32(b, uint32(tx.Version))
	witness := tx.HasWitness()
	if witness {
		b = append(b, 0x00, 0x01)
	}
	b = appendVarInt(b, uint64(len(tx.TxIn)))
	for _, ti := range tx.TxIn {
		b = append(b, ti.PreviousOutPoint.Hash[:]...)
		b = binary.LittleEndian.AppendUint32(b, ti.PreviousOutPoint.Index)
		b = appendVarInt(b, uint64(len(ti.SignatureScript)))
		b = append(b, ti.SignatureScript...)
		b = binary.LittleEndian.AppendUint32(b, ti.Sequence)
	}
	b = appendVarInt(b, uint64(len(tx.TxOut)))
	for _, to := range tx.TxOut {
		b = binary.LittleEndian.AppendUint64(b, uint64(to.Value))
		b = appendVarInt(b, uint64(len(to.PkScript)))
		b = append(b, to.PkScript...)
	}
	wit := len(b)
	if witness {
		for _, ti := range tx.TxIn {
			b = appendVarInt(b, uint64(len(ti.Witness)))
			for _, item := range ti.Witness {
				b = appendVarInt(b, uint64(len(item)))
				b = append(b, item...)
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, tx.LockTime), wit
}

func appendVarInt(b []byte, v uint64) []byte {
	var buf [9]byte
	return append(b, buf[:putVarInt(buf[:], v)]...)
}

// checkTx validates tx against the UTXO set and block budget without changing anything.
func (e *Engine) checkTx(tx *wire.MsgTx, w int64) (sigops, in int64, err error) {
	if len(tx.TxIn) == 0 || len(tx.TxOut) == 0 {
		return 0, 0, fmt.Errorf("%w: %d inputs and %d outputs (need at least one of each)", ErrInvalidTx, len(tx.TxIn), len(tx.TxOut))
	}
	if err := checkDuplicates(tx); err != nil {
		return 0, 0, err
	}
	next := e.height + 1
	var out int64
	for i, ti := range tx.TxIn {
		op := ti.PreviousOutPoint
		if op.Index == wire.MaxPrevOutIndex && op.Hash == (chainhash.Hash{}) {
			return 0, 0, fmt.Errorf("%w: input %d has a coinbase (null) previous output", ErrInvalidTx, i)
		}
		u, ok := e.utxos[op]
		if !ok {
			return 0, 0, fmt.Errorf("input %d spends %v: %w", i, op, ErrUnknownCoin)
		}
		if u.coinbase() && next-int64(u.height) < CoinbaseMaturity {
			return 0, 0, fmt.Errorf("input %d spends coinbase %v of height %d in block %d (needs %d confirmations): %w",
				i, op, u.height, next, CoinbaseMaturity, ErrImmature)
		}
		if err := checkSequence(tx.Version, ti.Sequence, int64(u.height), next); err != nil {
			return 0, 0, fmt.Errorf("input %d: %w", i, err)
		}
		in += u.value
		sigops += inputSigOps(u.kind())
	}
	for i, to := range tx.TxOut {
		if to.Value < 0 || to.Value > btcutil.MaxSatoshi {
			return 0, 0, fmt.Errorf("%w: output %d value %d out of range [0, %d]", ErrInvalidTx, i, to.Value, int64(btcutil.MaxSatoshi))
		}
		out += to.Value
		if out > btcutil.MaxSatoshi {
			return 0, 0, fmt.Errorf("%w: output total exceeds %d", ErrInvalidTx, int64(btcutil.MaxSatoshi))
		}
		sigops += 4 * outputSigOps(to.PkScript)
	}
	if out > in {
		return 0, 0, fmt.Errorf("%w: outputs %d sat exceed inputs %d sat", ErrInvalidTx, out, in)
	}
	if err := e.checkLockTime(tx); err != nil {
		return 0, 0, err
	}
	if e.qWeight+w > blockchain.MaxBlockWeight-coinbaseReserveWeight ||
		e.qSigOps+sigops > blockchain.MaxBlockSigOpsCost-coinbaseReserveSigOps {
		return 0, 0, fmt.Errorf("weight %d, sigop cost %d with %d queued (weight %d, sigop cost %d): %w",
			w, sigops, len(e.queue), e.qWeight, e.qSigOps, ErrBlockFull)
	}
	return sigops, in, nil
}

// checkDuplicates refuses a transaction spending the same output twice (a scan for small ones, a map above).
func checkDuplicates(tx *wire.MsgTx) error {
	if len(tx.TxIn) <= 16 {
		for i, ti := range tx.TxIn {
			for j := 0; j < i; j++ {
				if tx.TxIn[j].PreviousOutPoint == ti.PreviousOutPoint {
					return fmt.Errorf("%w: inputs %d and %d both spend %v", ErrInvalidTx, j, i, ti.PreviousOutPoint)
				}
			}
		}
		return nil
	}
	seen := make(map[wire.OutPoint]int, len(tx.TxIn))
	for i, ti := range tx.TxIn {
		if j, dup := seen[ti.PreviousOutPoint]; dup {
			return fmt.Errorf("%w: inputs %d and %d both spend %v", ErrInvalidTx, j, i, ti.PreviousOutPoint)
		}
		seen[ti.PreviousOutPoint] = i
	}
	return nil
}

// checkLockTime applies the nLockTime finality rule for the next block (using the median time past).
func (e *Engine) checkLockTime(tx *wire.MsgTx) error {
	if tx.LockTime == 0 {
		return nil
	}
	final := true
	for _, ti := range tx.TxIn {
		if ti.Sequence != wire.MaxTxInSequenceNum {
			final = false
		}
	}
	if final {
		return nil
	}
	lt := int64(tx.LockTime)
	if lt < txscriptLockTimeThreshold {
		if lt >= e.height+1 {
			return fmt.Errorf("%w: lock time height %d not reached in block %d", ErrInvalidTx, lt, e.height+1)
		}
	} else if lt >= e.mtp() {
		return fmt.Errorf("%w: lock time %d not reached (median time past %d)", ErrInvalidTx, lt, e.mtp())
	}
	return nil
}

const txscriptLockTimeThreshold = 500000000

// checkSequence applies BIP68 relative lock times for version ≥ 2 transactions (block-height locks only).
func checkSequence(version int32, seq uint32, coinHeight, next int64) error {
	if version < 2 || seq&wire.SequenceLockTimeDisabled != 0 {
		return nil
	}
	if seq&wire.SequenceLockTimeIsSeconds != 0 {
		return fmt.Errorf("%w: time-based relative lock time (sequence %#x) is not supported", ErrInvalidTx, seq)
	}
	if need := coinHeight + int64(seq&wire.SequenceLockTimeMask); next < need {
		return fmt.Errorf("%w: relative lock of %d blocks on a coin of height %d not met in block %d",
			ErrInvalidTx, seq&wire.SequenceLockTimeMask, coinHeight, next)
	}
	return nil
}

// txWeight is BIP141 weight: stripped size × 3 + total size.
func txWeight(tx *wire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
}

// inputSigOps is the sigop cost of spending an output of the given kind.
func inputSigOps(k KeyKind) int64 {
	switch k {
	case P2WPKH, P2SHP2WPKH:
		return 1
	case P2WSHMultisig:
		return 3
	case P2PKH, P2TR:
		return 0 // P2PKH's signature script is push-only; its CHECKSIG was counted in the output
	}
	return 80 // unknown: assume the worst a standard spend costs
}

// outputSigOps counts legacy sigops in an output script (1 for P2PKH; templates without opcodes count 0).
func outputSigOps(pk []byte) int64 {
	switch classify(pk) {
	case P2PKH:
		return 1
	case P2SHP2WPKH, P2WPKH, P2WSHMultisig, P2TR:
		return 0
	}
	return int64(countSigOps(pk))
}

func isUnspendable(pk []byte) bool { return len(pk) > 0 && pk[0] == 0x6a } // OP_RETURN

// scriptTag is a 32-bit FNV-1a fingerprint of a script, to catch a Coin whose Key does not own the output.
func scriptTag(pk []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range pk {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
