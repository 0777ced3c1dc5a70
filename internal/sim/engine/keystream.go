package engine

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// keyStream yields the engine's signing keys: secret i is s0 + i (mod n) with s0 = sha256(tag ‖ seed), so
// public key i+1 is public key i plus the generator — one point addition instead of a scalar
// multiplication — and the affine conversions of a whole batch share one field inversion (Montgomery's
// trick). Keys related this way are fine for a simulation (nothing but the engine ever sees a secret) and
// ~20 times cheaper to derive than independent ones.
type keyStream struct {
	next  btcec.ModNScalar    // secret of the next point to compute
	point btcec.JacobianPoint // next·G
	g     btcec.JacobianPoint

	secrets []btcec.ModNScalar
	pubs    [][33]byte
	pos     int
}

const keyBatch = 256

var streamTag = []byte("chaintrace/sim/engine/keystream/v1")

func newKeyStream(seed int64) *keyStream {
	s := &keyStream{}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(seed))
	for attempt := byte(0); ; attempt++ {
		sum := sha256.Sum256(append(append(append([]byte{}, streamTag...), buf[:]...), attempt))
		if overflow := s.next.SetBytes(&sum); overflow == 0 && !s.next.IsZero() {
			break
		}
	}
	btcec.ScalarBaseMultNonConst(&s.next, &s.point)
	btcec.GeneratorJacobian(&s.g)
	return s
}

// take returns the next secret and its compressed public key.
func (s *keyStream) take() (btcec.ModNScalar, [33]byte) {
	if s.pos == len(s.secrets) {
		s.refill()
	}
	s.pos++
	return s.secrets[s.pos-1], s.pubs[s.pos-1]
}

func (s *keyStream) refill() {
	var one btcec.ModNScalar
	one.SetInt(1)
	jac := make([]btcec.JacobianPoint, 0, keyBatch)
	s.secrets = s.secrets[:0]
	for len(jac) < keyBatch {
		if !s.point.Z.IsZero() && !s.next.IsZero() { // skip the point at infinity (secret ≡ 0), never seen in practice
			jac = append(jac, s.point)
			s.secrets = append(s.secrets, s.next)
		}
		s.next.Add(&one)
		var sum btcec.JacobianPoint
		btcec.AddNonConst(&s.point, &s.g, &sum)
		s.point = sum
	}
	// Batch inversion: prefix[i] = Z0·…·Zi; one inverse of the product; then walk back.
	prefix := make([]btcec.FieldVal, len(jac))
	prefix[0].Set(&jac[0].Z)
	for i := 1; i < len(jac); i++ {
		prefix[i].Mul2(&prefix[i-1], &jac[i].Z).Normalize()
	}
	var inv btcec.FieldVal
	inv.Set(&prefix[len(jac)-1]).Inverse()
	s.pubs = s.pubs[:0]
	s.pubs = append(s.pubs, make([][33]byte, len(jac))...)
	for i := len(jac) - 1; i >= 0; i-- {
		var zInv btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1])
			inv.Mul(&jac[i].Z)
		} else {
			zInv.Set(&inv)
		}
		var z2, z3, x, y btcec.FieldVal
		z2.SquareVal(&zInv)
		z3.Mul2(&z2, &zInv)
		x.Mul2(&jac[i].X, &z2).Normalize()
		y.Mul2(&jac[i].Y, &z3).Normalize()
		p := &s.pubs[i]
		p[0] = 0x02
		if y.IsOdd() {
			p[0] = 0x03
		}
		x.PutBytesUnchecked(p[1:])
	}
	s.pos = 0
}

// taprootFromStream derives a BIP86 key-path signer from a secret d with public key pub (compressed):
// the internal key is made even-Y, tweaked by t = tagged_hash("TapTweak", x(P)), and the output key is
// Q = P + t·G (one scalar multiplication).
func taprootFromStream(d btcec.ModNScalar, pub [33]byte) *tapSigner {
	if pub[0] == 0x03 { // BIP340: use the even-Y twin of the internal key
		d.Negate()
	}
	t := chainhash.TaggedHash(chainhash.TagTapTweak, pub[1:])
	var ts btcec.ModNScalar
	ts.SetBytes((*[32]byte)(t)) // overflow has probability ~2^-128; BIP341 would fail such a key
	d.Add(&ts)
	var q btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&d, &q)
	q.ToAffine()
	s := &tapSigner{d: d}
	if q.Y.IsOdd() {
		s.d.Negate()
	}
	q.X.PutBytesUnchecked(s.px[:])
	return s
}
