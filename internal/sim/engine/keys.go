package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
)

// KeyKind is the output type a Key pays to and spends from.
type KeyKind uint8

// The key kinds the engine can create, pay and spend.
const (
	// P2PKH is a legacy pay-to-pubkey-hash output (compressed key).
	P2PKH KeyKind = iota + 1
	// P2SHP2WPKH is a P2WPKH program nested in P2SH (BIP141/BIP16).
	P2SHP2WPKH
	// P2WPKH is a native segwit v0 pay-to-witness-pubkey-hash output.
	P2WPKH
	// P2TR is a segwit v1 taproot output spent by key path (BIP86 tweak, no script tree).
	P2TR
	// P2WSHMultisig is a 2-of-3 CHECKMULTISIG in native P2WSH, as exchange cold storage uses.
	P2WSHMultisig
)

// kindOther marks an output script the engine did not derive from a Key; it cannot be spent.
const kindOther KeyKind = 0

// AllKinds lists every KeyKind, in order.
var AllKinds = []KeyKind{P2PKH, P2SHP2WPKH, P2WPKH, P2TR, P2WSHMultisig}

// String returns the kind's conventional name.
func (k KeyKind) String() string {
	switch k {
	case P2PKH:
		return "p2pkh"
	case P2SHP2WPKH:
		return "p2sh-p2wpkh"
	case P2WPKH:
		return "p2wpkh"
	case P2TR:
		return "p2tr"
	case P2WSHMultisig:
		return "p2wsh-multisig-2of3"
	default:
		return fmt.Sprintf("KeyKind(%d)", uint8(k))
	}
}

// Valid reports whether k is one of the kinds the engine supports.
func (k KeyKind) Valid() bool { return k >= P2PKH && k <= P2WSHMultisig }

// Key is a deterministic key (or 2-of-3 key set) owned by the simulation, with its output script and address.
type Key struct {
	Kind     KeyKind
	PkScript []byte
	Address  string // encoded for the engine's network
	Index    uint64 // the counter the key was derived from (0, 1, 2, … per engine)

	eng    *Engine
	privs  []*btcec.PrivateKey // 1 key, or 3 for P2WSHMultisig; nil in fast mode
	pubs   [][]byte            // compressed public keys (placeholders in fast mode)
	script []byte              // P2WPKH script code, or the multisig witness script
	redeem []byte              // P2SH-P2WPKH redeem script (the witness program)
	tap    *tapSigner          // BIP86-tweaked key for P2TR key-path signing
}

// fakeBytes appends n bytes of fast mode's ChaCha8 stream, keyed by sha256(tag ‖ seed), to dst: placeholder
// keys and script hashes follow from the seed and the call order.
func (e *Engine) fakeBytes(dst []byte, n int) []byte {
	if e.fakeRand == nil {
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(e.cfg.Seed))
		e.fakeRand = rand.NewChaCha8(sha256.Sum256(append([]byte("chaintrace/sim/engine/fastpub/v2"), buf[:]...)))
	}
	l := len(dst)
	dst = append(dst, make([]byte, n)...)
	e.fakeRand.Read(dst[l:])
	return dst
}

// fakePub returns a 33-byte placeholder public key for fast mode (not a checked curve point).
func (e *Engine) fakePub() []byte {
	out := e.fakeBytes(make([]byte, 1, 33), 32)
	out[0] = 0x02 | out[32]&1
	return out
}

// newFastKey fills a fast-mode key: placeholder public keys for the inputs' sizes and, instead of their
// HASH160 or SHA-256, script hashes drawn from the same stream (160 or 256 random bits: unique in practice,
// and no hashing per key). The key does not hash to its script, so a node would reject its spends anyway.
func (e *Engine) newFastKey(k *Key) error {
	p := e.cfg.Params
	switch k.Kind {
	case P2TR:
		k.pubs = [][]byte{e.fakePub()}
		return e.keyAddress(k, k.pubs[0][1:])
	case P2PKH:
		k.pubs = [][]byte{e.fakePub()}
		k.PkScript = e.fakeBytes(append(make([]byte, 0, 25), 0x76, 0xa9, 20), 20) // OP_DUP OP_HASH160 <20>
		k.PkScript = append(k.PkScript, 0x88, 0xac)                               // OP_EQUALVERIFY OP_CHECKSIG
		k.Address = base58Check(p.PubKeyHashAddrID, k.PkScript[3:23])
	case P2WPKH, P2SHP2WPKH:
		k.pubs = [][]byte{e.fakePub()}
		k.redeem = e.fakeBytes(append(make([]byte, 0, 22), txscript.OP_0, 20), 20)
		if k.Kind == P2WPKH {
			k.PkScript = k.redeem
			k.Address = segwitAddress(p.Bech32HRPSegwit, e.hrpState, 0, k.redeem[2:])
			return nil
		}
		k.PkScript = e.fakeBytes(append(make([]byte, 0, 23), 0xa9, 20), 20) // OP_HASH160 <20>
		k.PkScript = append(k.PkScript, 0x87)                               // OP_EQUAL
		k.Address = base58Check(p.ScriptHashAddrID, k.PkScript[2:22])
	case P2WSHMultisig:
		k.pubs = [][]byte{e.fakePub(), e.fakePub(), e.fakePub()}
		k.script = multisigScript(k.pubs)
		k.PkScript = e.fakeBytes(append(make([]byte, 0, 34), 0x00, 32), 32)
		k.Address = segwitAddress(p.Bech32HRPSegwit, e.hrpState, 0, k.PkScript[2:])
	default:
		return fmt.Errorf("engine: no address for kind %s", k.Kind)
	}
	return nil
}

// NewKey derives the next key of the given kind from the engine's seed and key counter. It panics on an invalid
// kind (a programming error); use KeyKind.Valid to check untrusted input first.
func (e *Engine) NewKey(kind KeyKind) *Key {
	k, err := e.newKey(kind)
	if err != nil {
		panic(err)
	}
	return k
}

func (e *Engine) newKey(kind KeyKind) (*Key, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("engine: invalid key kind %d", uint8(kind))
	}
	n := e.keyCounter
	e.keyCounter++
	k := &Key{Kind: kind, Index: n, eng: e}
	if e.cfg.Fast {
		return k, e.newFastKey(k)
	}
	nkeys := uint32(1)
	if kind == P2WSHMultisig {
		nkeys = 3
	}
	if kind == P2TR {
		// Only the BIP86-tweaked output key is ever revealed (key-path spends carry just a signature).
		d, pub := e.keys.take()
		k.privs = []*btcec.PrivateKey{btcec.PrivKeyFromScalar(&d)}
		k.tap = taprootFromStream(d, pub)
		k.pubs = [][]byte{append([]byte{0x02}, k.tap.px[:]...)}
		return k, e.keyAddress(k, k.tap.px[:])
	}
	for j := uint32(0); j < nkeys; j++ {
		d, pub := e.keys.take()
		k.privs = append(k.privs, btcec.PrivKeyFromScalar(&d))
		k.pubs = append(k.pubs, pub[:])
	}
	switch kind {
	case P2WPKH, P2SHP2WPKH:
		r := make([]byte, 2, 22)
		r[0], r[1] = txscript.OP_0, 20
		k.redeem = e.appendHash160(r, k.pubs[0])
		k.script = p2pkhScript(k.redeem[2:]) // the BIP143 script code, only needed to sign
	case P2WSHMultisig:
		k.script = multisigScript(k.pubs)
	}
	return k, e.keyAddress(k, nil)
}

// p2pkhScript returns OP_DUP OP_HASH160 <h> OP_EQUALVERIFY OP_CHECKSIG, also the BIP143 script code of P2WPKH.
func p2pkhScript(h []byte) []byte {
	s := make([]byte, 0, 25)
	s = append(s, txscript.OP_DUP, txscript.OP_HASH160, 20)
	s = append(s, h...)
	return append(s, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG)
}

// multisigScript returns OP_2 <pub1> <pub2> <pub3> OP_3 OP_CHECKMULTISIG.
func multisigScript(pubs [][]byte) []byte {
	s := make([]byte, 0, 105)
	s = append(s, txscript.OP_2)
	for _, p := range pubs {
		s = append(s, byte(len(p)))
		s = append(s, p...)
	}
	return append(s, txscript.OP_3, txscript.OP_CHECKMULTISIG)
}

// classify returns the kind of an output script by its template (kindOther when it is none the engine spends).
func classify(pk []byte) KeyKind {
	switch {
	case len(pk) == 25 && pk[0] == txscript.OP_DUP && pk[1] == txscript.OP_HASH160 && pk[2] == 20 &&
		pk[23] == txscript.OP_EQUALVERIFY && pk[24] == txscript.OP_CHECKSIG:
		return P2PKH
	case len(pk) == 23 && pk[0] == txscript.OP_HASH160 && pk[1] == 20 && pk[22] == txscript.OP_EQUAL:
		return P2SHP2WPKH
	case len(pk) == 22 && pk[0] == txscript.OP_0 && pk[1] == 20:
		return P2WPKH
	case len(pk) == 34 && pk[0] == txscript.OP_0 && pk[1] == 32:
		return P2WSHMultisig
	case len(pk) == 34 && pk[0] == txscript.OP_1 && pk[1] == 32:
		return P2TR
	}
	return kindOther
}
