package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Coin is a spendable output owned by a Key.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64
	Key      *Key
	Height   int64 // confirming block (the next block's height while the creating tx is queued)
	Coinbase bool
}

// Output is a transaction output to build.
type Output struct {
	PkScript []byte
	Value    int64
}

// OutputTo pays v satoshis to k.
func OutputTo(k *Key, v int64) Output { return Output{PkScript: k.PkScript, Value: v} }

// OpReturn returns a zero-value OP_RETURN output carrying data (any length; standardness is not enforced).
func OpReturn(data []byte) Output {
	s, err := txscript.NewScriptBuilder(txscript.WithScriptAllocSize(len(data) + 6)).
		AddOp(txscript.OP_RETURN).AddFullData(data).Script()
	if err != nil { // AddFullData never fails; keep the script builder's contract visible
		panic(err)
	}
	return Output{PkScript: s}
}

// TxSpec describes a transaction for BuildTx.
type TxSpec struct {
	Inputs   []Coin
	Outputs  []Output
	Version  int32  // default 2
	LockTime uint32 // nLockTime; only enforced when some sequence is below 0xffffffff
	Sequence uint32 // every input's nSequence; 0 means the default: 0xffffffff, or 0xfffffffd when RBF
	RBF      bool   // signal BIP125 replaceability (sets the default sequence to 0xfffffffd)
}

// CoinsOf returns the coins tx creates for the given keys: keys[i] owns output i (nil skips that output,
// e.g. a payment to someone else or an OP_RETURN). height is the block expected to confirm tx.
func CoinsOf(tx *wire.MsgTx, height int64, keys ...*Key) []Coin {
	txid := tx.TxHash()
	var out []Coin
	for i, k := range keys {
		if k == nil || i >= len(tx.TxOut) {
			continue
		}
		out = append(out, Coin{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)}, Value: tx.TxOut[i].Value,
			Key: k, Height: height})
	}
	return out
}

// Sizes of input parts, in bytes. ECDSA signatures are DER with low S, so at most 71 bytes plus the sighash
// byte; fast mode uses exactly that maximum, so EstimateVSize is exact for fast-mode transactions and an
// upper bound for signed ones (a signature is 71 or 72 bytes with that byte about half the time each).
const (
	maxECDSASigLen  = 72 // DER (≤ 71 with low S) + sighash type
	schnorrSigLen   = 64 // SIGHASH_DEFAULT: no sighash byte
	compressedPub   = 33
	multisigScriptN = 105
)

// scriptSigLen and witnessLen give the serialized sizes (with length prefixes) of an input's signature script
// and witness stack, at the maximum signature size.
func scriptSigLen(k KeyKind) int {
	switch k {
	case P2PKH:
		return 1 + (1 + maxECDSASigLen) + (1 + compressedPub)
	case P2SHP2WPKH:
		return 1 + 23
	}
	return 1
}

func witnessLen(k KeyKind) int {
	switch k {
	case P2SHP2WPKH, P2WPKH:
		return 1 + (1 + maxECDSASigLen) + (1 + compressedPub)
	case P2TR:
		return 1 + 1 + schnorrSigLen
	case P2WSHMultisig:
		return 1 + 1 + 2*(1+maxECDSASigLen) + 1 + multisigScriptN
	}
	return 1 // empty stack of a non-witness input in a witness transaction
}

// EstimateVSize returns an upper bound of the virtual size (weight/4, rounded up) of a transaction spending
// inputs of the given kinds to outputs, exact for the maximum signature sizes (and so for fast mode).
func EstimateVSize(inputs []KeyKind, outputs []Output) int64 {
	base := 4 + wire.VarIntSerializeSize(uint64(len(inputs))) + wire.VarIntSerializeSize(uint64(len(outputs))) + 4
	wit := 0
	segwit := false
	for _, k := range inputs {
		base += 32 + 4 + scriptSigLen(k) + 4
		wit += witnessLen(k)
		if k != P2PKH {
			segwit = true
		}
	}
	for _, o := range outputs {
		base += 8 + wire.VarIntSerializeSize(uint64(len(o.PkScript))) + len(o.PkScript)
	}
	weight := base * 4
	if segwit {
		weight += 2 + wit
	}
	return int64((weight + 3) / 4)
}

// VSize returns the virtual size of tx (BIP141 weight / 4, rounded up).
func VSize(tx *wire.MsgTx) int64 { return (txWeight(tx) + 3) / 4 }

// BuildTx builds and signs the transaction spec describes: ECDSA (RFC 6979, low S, DER, SIGHASH_ALL) for
// P2PKH, P2SH-P2WPKH, P2WPKH (BIP143) and the 2-of-3 P2WSH multisig (first two keys), BIP340 Schnorr over the
// BIP341 sighash (SIGHASH_DEFAULT) with the BIP86-tweaked key for P2TR. Every input must be a live output the
// engine knows, with the Coin's value and key matching it. In fast mode the signatures are placeholders of
// the maximum size. BuildTx does not queue the transaction: pass it to AddTx.
func (e *Engine) BuildTx(spec TxSpec) (*wire.MsgTx, error) {
	if err := e.checkSpec(&spec); err != nil {
		return nil, fmt.Errorf("engine: BuildTx: %w", err)
	}
	version := spec.Version
	if version == 0 {
		version = 2
	}
	seq := spec.Sequence
	if seq == 0 {
		seq = wire.MaxTxInSequenceNum
		if spec.RBF {
			seq = wire.MaxTxInSequenceNum - 2
		}
	}
	tx := &wire.MsgTx{Version: version, LockTime: spec.LockTime,
		TxIn: make([]*wire.TxIn, len(spec.Inputs)), TxOut: make([]*wire.TxOut, len(spec.Outputs))}
	ins := make([]wire.TxIn, len(spec.Inputs))
	for i := range spec.Inputs {
		ins[i] = wire.TxIn{PreviousOutPoint: spec.Inputs[i].OutPoint, Sequence: seq}
		tx.TxIn[i] = &ins[i]
	}
	outs := make([]wire.TxOut, len(spec.Outputs))
	for i, o := range spec.Outputs {
		outs[i] = wire.TxOut{Value: o.Value, PkScript: o.PkScript}
		tx.TxOut[i] = &outs[i]
	}
	if e.cfg.Fast {
		for i := range spec.Inputs {
			fillPlaceholder(tx.TxIn[i], spec.Inputs[i].Key)
		}
		return tx, nil
	}
	if err := e.sign(tx, spec.Inputs); err != nil {
		return nil, fmt.Errorf("engine: BuildTx: %w", err)
	}
	return tx, nil
}

// checkSpec validates a TxSpec against the UTXO set.
func (e *Engine) checkSpec(spec *TxSpec) error {
	if len(spec.Inputs) == 0 || len(spec.Outputs) == 0 {
		return fmt.Errorf("%w: %d inputs and %d outputs (need at least one of each)", ErrInvalidTx,
			len(spec.Inputs), len(spec.Outputs))
	}
	var in, out int64
	var seen map[wire.OutPoint]int // duplicate check: a map for big transactions, a scan for small ones
	if len(spec.Inputs) > 16 {
		seen = make(map[wire.OutPoint]int, len(spec.Inputs))
	}
	for i, c := range spec.Inputs {
		if c.Key == nil {
			return fmt.Errorf("%w: input %d (%v) has no key", ErrInvalidTx, i, c.OutPoint)
		}
		if c.Key.eng != e {
			return fmt.Errorf("%w: input %d (%v) key %q was not made by this engine", ErrInvalidTx, i, c.OutPoint, c.Key.Address)
		}
		if seen != nil {
			if j, dup := seen[c.OutPoint]; dup {
				return fmt.Errorf("%w: inputs %d and %d both spend %v", ErrInvalidTx, j, i, c.OutPoint)
			}
			seen[c.OutPoint] = i
		} else {
			for j := 0; j < i; j++ {
				if spec.Inputs[j].OutPoint == c.OutPoint {
					return fmt.Errorf("%w: inputs %d and %d both spend %v", ErrInvalidTx, j, i, c.OutPoint)
				}
			}
		}
		u, ok := e.utxos[c.OutPoint]
		if !ok {
			return fmt.Errorf("input %d spends %v: %w", i, c.OutPoint, ErrUnknownCoin)
		}
		if u.value != c.Value {
			return fmt.Errorf("%w: input %d (%v): coin value %d sat, but the output holds %d sat", ErrInvalidTx, i,
				c.OutPoint, c.Value, u.value)
		}
		if u.tag() != scriptTag(c.Key.PkScript)&0xffffff {
			return fmt.Errorf("%w: input %d (%v): key %s (%s) does not own the output", ErrInvalidTx, i, c.OutPoint,
				c.Key.Address, c.Key.Kind)
		}
		in += c.Value
	}
	for i, o := range spec.Outputs {
		if o.Value < 0 || o.Value > btcutil.MaxSatoshi {
			return fmt.Errorf("%w: output %d value %d out of range [0, %d]", ErrInvalidTx, i, o.Value, int64(btcutil.MaxSatoshi))
		}
		out += o.Value
	}
	if out > in {
		return fmt.Errorf("%w: outputs %d sat exceed inputs %d sat", ErrInvalidTx, out, in)
	}
	return nil
}

// sign fills every input's signature script and witness. Sighashes are computed first, in order (BIP143 and
// BIP341 midstates shared through TxSigHashes, legacy ones without re-serializing the transaction); the
// signatures, the expensive part, are then made in parallel for multi-input transactions. ECDSA (RFC 6979)
// and BIP340 (zero aux) signing are deterministic, so the result does not depend on scheduling.
func (e *Engine) sign(tx *wire.MsgTx, coins []Coin) error {
	var sigHashes *txscript.TxSigHashes
	var fetcher txscript.PrevOutputFetcher
	var legacy *legacyHasher
	for _, c := range coins {
		if c.Key.Kind == P2PKH {
			if legacy == nil {
				legacy = newLegacyHasher(tx)
			}
		} else if sigHashes == nil {
			f := newSliceFetcher(tx, coins)
			fetcher = f
			sigHashes = txscript.NewTxSigHashes(tx, f)
		}
	}
	hashes := make([][]byte, len(coins))
	for i, c := range coins {
		k := c.Key
		var h []byte
		var err error
		switch k.Kind {
		case P2PKH:
			h = legacy.sigHash(i, k.PkScript)
		case P2WPKH, P2SHP2WPKH, P2WSHMultisig:
			h, err = txscript.CalcWitnessSigHash(k.script, sigHashes, txscript.SigHashAll, tx, i, c.Value)
		case P2TR:
			h, err = txscript.CalcTaprootSignatureHash(sigHashes, txscript.SigHashDefault, tx, i, fetcher)
		default:
			err = fmt.Errorf("%w: key kind %s cannot be spent", ErrInvalidTx, k.Kind)
		}
		if err != nil {
			return fmt.Errorf("input %d sighash: %w", i, err)
		}
		hashes[i] = h
	}
	signOne := func(i int) {
		k, ti, h := coins[i].Key, tx.TxIn[i], hashes[i]
		switch k.Kind {
		case P2PKH:
			ti.SignatureScript = pushes(ecdsaSig(k, 0, h), k.pubs[0])
		case P2WPKH:
			ti.Witness = wire.TxWitness{ecdsaSig(k, 0, h), k.pubs[0]}
		case P2SHP2WPKH:
			ti.Witness = wire.TxWitness{ecdsaSig(k, 0, h), k.pubs[0]}
			ti.SignatureScript = pushes(k.redeem)
		case P2WSHMultisig:
			ti.Witness = wire.TxWitness{{}, ecdsaSig(k, 0, h), ecdsaSig(k, 1, h), k.script}
		case P2TR:
			ti.Witness = wire.TxWitness{k.tap.sign(h)}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(coins))
	if workers < 2 {
		for i := range coins {
			signOne(i)
		}
		return nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(coins); i = int(next.Add(1) - 1) {
				signOne(i)
			}
		}()
	}
	wg.Wait()
	return nil
}

// legacyHasher computes pre-segwit SIGHASH_ALL digests: the transaction with every signature script empty
// except the signed input's, which holds the previous output script, followed by the 4-byte hash type. The
// parts that do not depend on the input are serialized once; each digest still hashes the whole transaction
// (legacy sighash is quadratic in the input count by design).
type legacyHasher struct {
	tx   *wire.MsgTx
	head []byte // version, input count
	ins  []byte // every input with an empty script: outpoint, 0x00, sequence (41 bytes each)
	tail []byte // outputs, lock time, hash type
	sha  hash.Hash
}

func newLegacyHasher(tx *wire.MsgTx) *legacyHasher {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, tx.Version)
	wire.WriteVarInt(&b, 0, uint64(len(tx.TxIn)))
	head := append([]byte(nil), b.Bytes()...)
	ins := make([]byte, 0, 41*len(tx.TxIn))
	for _, ti := range tx.TxIn {
		ins = append(ins, ti.PreviousOutPoint.Hash[:]...)
		ins = binary.LittleEndian.AppendUint32(ins, ti.PreviousOutPoint.Index)
		ins = append(ins, 0)
		ins = binary.LittleEndian.AppendUint32(ins, ti.Sequence)
	}
	b.Reset()
	wire.WriteVarInt(&b, 0, uint64(len(tx.TxOut)))
	for _, to := range tx.TxOut {
		binary.Write(&b, binary.LittleEndian, to.Value)
		wire.WriteVarBytes(&b, 0, to.PkScript)
	}
	binary.Write(&b, binary.LittleEndian, tx.LockTime)
	binary.Write(&b, binary.LittleEndian, uint32(txscript.SigHashAll))
	return &legacyHasher{tx: tx, head: head, ins: ins, tail: b.Bytes(), sha: sha256.New()}
}

// sigHash returns the SIGHASH_ALL digest of input i spending an output locked by script.
func (l *legacyHasher) sigHash(i int, script []byte) []byte {
	h := l.sha
	h.Reset()
	h.Write(l.head)
	h.Write(l.ins[:41*i])
	h.Write(l.ins[41*i : 41*i+36]) // outpoint
	var vi [9]byte
	h.Write(vi[:putVarInt(vi[:], uint64(len(script)))])
	h.Write(script)
	h.Write(l.ins[41*i+37 : 41*i+41]) // sequence
	h.Write(l.ins[41*(i+1):])
	h.Write(l.tail)
	first := h.Sum(nil)
	second := sha256.Sum256(first)
	return second[:]
}

// putVarInt writes Bitcoin's CompactSize encoding of v into b and returns its length.
func putVarInt(b []byte, v uint64) int {
	switch {
	case v < 0xfd:
		b[0] = byte(v)
		return 1
	case v <= 0xffff:
		b[0] = 0xfd
		binary.LittleEndian.PutUint16(b[1:], uint16(v))
		return 3
	case v <= 0xffffffff:
		b[0] = 0xfe
		binary.LittleEndian.PutUint32(b[1:], uint32(v))
		return 5
	}
	b[0] = 0xff
	binary.LittleEndian.PutUint64(b[1:], v)
	return 9
}

// ecdsaSig signs hash with key j of k (RFC 6979 nonce, low S) and appends SIGHASH_ALL.
func ecdsaSig(k *Key, j int, hash []byte) []byte {
	der := ecdsa.Sign(k.privs[j], hash).Serialize()
	return append(der, byte(txscript.SigHashAll))
}

// pushes returns a script of minimal data pushes (each item shorter than 76 bytes).
func pushes(items ...[]byte) []byte {
	n := 0
	for _, it := range items {
		n += 1 + len(it)
	}
	s := make([]byte, 0, n)
	for _, it := range items {
		s = append(s, byte(len(it)))
		s = append(s, it...)
	}
	return s
}

// placeholderSig is a DER-shaped maximum-size ECDSA signature with SIGHASH_ALL, used in fast mode.
var placeholderSig = func() []byte {
	s := make([]byte, 0, maxECDSASigLen)
	s = append(s, 0x30, 0x45, 0x02, 0x21, 0x00)
	for i := 0; i < 32; i++ {
		s = append(s, 0x80|byte(i))
	}
	s = append(s, 0x02, 0x20)
	for i := 0; i < 32; i++ {
		s = append(s, 0x40|byte(i))
	}
	return append(s, byte(txscript.SigHashAll))
}()

var placeholderSchnorr = func() []byte {
	s := make([]byte, schnorrSigLen)
	for i := range s {
		s[i] = byte(0xa0 + i)
	}
	return s
}()

// fillPlaceholder gives a fast-mode input the script and witness shape of a signed one.
func fillPlaceholder(ti *wire.TxIn, k *Key) {
	switch k.Kind {
	case P2PKH:
		ti.SignatureScript = pushes(placeholderSig, k.pubs[0])
	case P2WPKH:
		ti.Witness = wire.TxWitness{placeholderSig, k.pubs[0]}
	case P2SHP2WPKH:
		ti.SignatureScript = pushes(k.redeem)
		ti.Witness = wire.TxWitness{placeholderSig, k.pubs[0]}
	case P2WSHMultisig:
		ti.Witness = wire.TxWitness{{}, placeholderSig, placeholderSig, k.script}
	case P2TR:
		ti.Witness = wire.TxWitness{placeholderSchnorr}
	}
}

// sliceFetcher serves previous outputs by input position: the input at the hinted position is checked first,
// then a map (built for large transactions) or a scan, so big transactions stay O(n).
type sliceFetcher struct {
	tx   *wire.MsgTx
	outs []wire.TxOut
	hint int
	byOp map[wire.OutPoint]int
}

func newSliceFetcher(tx *wire.MsgTx, coins []Coin) *sliceFetcher {
	f := &sliceFetcher{tx: tx, outs: make([]wire.TxOut, len(coins))}
	for i, c := range coins {
		f.outs[i] = wire.TxOut{Value: c.Value, PkScript: c.Key.PkScript}
	}
	if len(coins) > 16 {
		f.byOp = make(map[wire.OutPoint]int, len(coins))
		for i, ti := range tx.TxIn {
			f.byOp[ti.PreviousOutPoint] = i
		}
	}
	return f
}

// FetchPrevOutput implements txscript.PrevOutputFetcher.
func (f *sliceFetcher) FetchPrevOutput(op wire.OutPoint) *wire.TxOut {
	if f.hint < len(f.tx.TxIn) && f.tx.TxIn[f.hint].PreviousOutPoint == op {
		f.hint++
		return &f.outs[f.hint-1]
	}
	if f.byOp != nil {
		if i, ok := f.byOp[op]; ok {
			return &f.outs[i]
		}
		return nil
	}
	for i, ti := range f.tx.TxIn {
		if ti.PreviousOutPoint == op {
			return &f.outs[i]
		}
	}
	return nil
}

// TxID returns tx's txid, without re-serializing it when tx is the transaction AddTx accepted last.
func (e *Engine) TxID(tx *wire.MsgTx) chainhash.Hash {
	if tx == e.lastTx && tx != nil {
		return e.lastTxID
	}
	return tx.TxHash()
}

// TxVSize returns tx's virtual size like VSize, without walking it again when tx is the transaction AddTx
// accepted last.
func (e *Engine) TxVSize(tx *wire.MsgTx) int64 {
	if tx == e.lastTx && tx != nil {
		return (e.lastWeight + 3) / 4
	}
	return VSize(tx)
}

// Coins returns the coins tx creates for owners, like CoinsOf with the next block's height; it reuses the txid
// AddTx computed when tx is the transaction added last.
func (e *Engine) Coins(tx *wire.MsgTx, keys ...*Key) []Coin {
	txid := e.TxID(tx)
	out := make([]Coin, 0, len(keys))
	for i, k := range keys {
		if k == nil || i >= len(tx.TxOut) {
			continue
		}
		out = append(out, Coin{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)}, Value: tx.TxOut[i].Value,
			Key: k, Height: e.height + 1})
	}
	return out
}

// Send builds, signs and queues the transaction spec describes, and returns it with the coins it creates for
// owners (owners[i] owns output i; nil skips an output). It is BuildTx, AddTx and Coins in one call.
func (e *Engine) Send(spec TxSpec, owners ...*Key) (*wire.MsgTx, []Coin, error) {
	tx, err := e.BuildTx(spec)
	if err != nil {
		return nil, nil, err
	}
	if err := e.AddTx(tx); err != nil {
		return nil, nil, err
	}
	return tx, e.Coins(tx, owners...), nil
}
