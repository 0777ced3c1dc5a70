package engine

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// TestSchnorrBIP340Vectors checks tapSigner against the BIP340 test vectors whose aux randomness is zero.
func TestSchnorrBIP340Vectors(t *testing.T) {
	vectors := []struct{ sec, pub, msg, sig string }{
		{ // index 0
			"0000000000000000000000000000000000000000000000000000000000000003",
			"F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
			"0000000000000000000000000000000000000000000000000000000000000000",
			"E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0",
		},
	}
	for i, v := range vectors {
		sec, _ := hex.DecodeString(v.sec)
		msg, _ := hex.DecodeString(v.msg)
		want, _ := hex.DecodeString(v.sig)
		wantPub, _ := hex.DecodeString(v.pub)
		priv, _ := btcec.PrivKeyFromBytes(sec)
		s := newTapSigner(priv)
		if !bytes.Equal(s.px[:], wantPub) {
			t.Errorf("vector %d: public key %X, want %s", i, s.px, v.pub)
		}
		if got := s.sign(msg); !bytes.Equal(got, want) {
			t.Errorf("vector %d: signature %X, want %s", i, got, v.sig)
		}
	}
	// Keys with odd and even Y: every signature verifies with btcec.
	e, _ := New(Config{Seed: 4})
	for i := 0; i < 32; i++ {
		k := e.NewKey(P2TR)
		msg := bytes.Repeat([]byte{byte(i)}, 32)
		sig, err := schnorr.ParseSignature(k.tap.sign(msg))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := schnorr.ParsePubKey(k.PkScript[2:])
		if err != nil {
			t.Fatal(err)
		}
		if !sig.Verify(msg, pub) {
			t.Fatalf("key %d: signature does not verify", i)
		}
	}
}

// TestLegacySigHash compares legacyHasher with txscript.CalcSignatureHash on transactions whose input count
// crosses the one-byte CompactSize boundary.
func TestLegacySigHash(t *testing.T) {
	for _, n := range []int{1, 3, 260} {
		tx := wire.NewMsgTx(2)
		tx.LockTime = 77
		for i := 0; i < n; i++ {
			var h chainhash.Hash
			h[0], h[1] = byte(i), byte(i>>8)
			tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: h, Index: uint32(i)}, Sequence: uint32(0xfffffff0 + i%16)})
		}
		tx.AddTxOut(&wire.TxOut{Value: 5, PkScript: bytes.Repeat([]byte{0x51}, 300)})
		tx.AddTxOut(&wire.TxOut{Value: 1 << 40, PkScript: []byte{0x6a}})
		script := p2pkhScript(bytes.Repeat([]byte{7}, 20))
		l := newLegacyHasher(tx)
		for _, i := range []int{0, n / 2, n - 1} {
			want, err := txscript.CalcSignatureHash(script, txscript.SigHashAll, tx, i)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.sigHash(i, script); !bytes.Equal(got, want) {
				t.Fatalf("n=%d input %d: %x, want %x", n, i, got, want)
			}
		}
	}
}

// TestKeyStream checks the batched key derivation against btcec's scalar multiplication across several
// batches, and the taproot tweak against txscript's BIP86 computation.
func TestKeyStream(t *testing.T) {
	s := newKeyStream(77)
	for i := 0; i < 2*keyBatch+5; i++ {
		d, pub := s.take()
		want := btcec.PrivKeyFromScalar(&d).PubKey().SerializeCompressed()
		if !bytes.Equal(pub[:], want) {
			t.Fatalf("key %d: public key %x, want %x", i, pub, want)
		}
		if i%16 == 0 {
			tap := taprootFromStream(d, pub)
			internal, _ := btcec.ParsePubKey(pub[:])
			outKey := schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(internal))
			if !bytes.Equal(tap.px[:], outKey) {
				t.Fatalf("key %d: taproot output key %x, want %x", i, tap.px, outKey)
			}
			var pk btcec.PrivateKey
			pk.Key = tap.d
			if got := pk.PubKey().SerializeCompressed(); got[0] != 0x02 || !bytes.Equal(got[1:], outKey) {
				t.Fatalf("key %d: taproot signing secret does not match the even-Y output key", i)
			}
		}
	}
}
