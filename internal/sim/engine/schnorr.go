package engine

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// tapSigner signs BIP340 Schnorr signatures for one taproot output key. It follows the BIP340 reference
// signing algorithm with 32 zero bytes of auxiliary randomness (the spec allows any aux value; zero keeps the
// chain reproducible), and caches the even-Y secret and the output key's x coordinate, so a signature costs
// one scalar multiplication instead of the two btcec's schnorr.Sign spends re-deriving the public key.
type tapSigner struct {
	d  btcec.ModNScalar // secret with even-Y public key
	px [32]byte         // x-only public (output) key
}

// auxHash is tagged_hash("BIP0340/aux", 0^32), constant for zero aux randomness.
var auxHash = *chainhash.TaggedHash(chainhash.TagBIP0340Aux, make([]byte, 32))

func newTapSigner(priv *btcec.PrivateKey) *tapSigner {
	s := &tapSigner{d: priv.Key}
	pub := priv.PubKey().SerializeCompressed()
	if pub[0] == 0x03 { // odd Y: BIP340 signs with the negated secret
		s.d.Negate()
	}
	copy(s.px[:], pub[1:])
	return s
}

// sign returns the 64-byte BIP340 signature of the 32-byte message hash.
func (s *tapSigner) sign(hash []byte) []byte {
	var d [32]byte
	s.d.PutBytes(&d)
	var t [32]byte
	for i := range t {
		t[i] = d[i] ^ auxHash[i]
	}
	rand := chainhash.TaggedHash(chainhash.TagBIP0340Nonce, t[:], s.px[:], hash)
	var k btcec.ModNScalar
	k.SetBytes((*[32]byte)(rand))
	if k.IsZero() { // probability ~2^-256; BIP340 says fail, we panic rather than emit an invalid signature
		panic("engine: BIP340 nonce is zero")
	}
	var r btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &r)
	r.ToAffine()
	if r.Y.IsOdd() {
		k.Negate()
	}
	var rx [32]byte
	r.X.PutBytes(&rx)
	eh := chainhash.TaggedHash(chainhash.TagBIP0340Challenge, rx[:], s.px[:], hash)
	var e btcec.ModNScalar
	e.SetBytes((*[32]byte)(eh))
	e.Mul(&s.d).Add(&k)
	sig := make([]byte, 64)
	copy(sig, rx[:])
	e.PutBytesUnchecked(sig[32:])
	return sig
}
