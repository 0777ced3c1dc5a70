package engine

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

// TestAddressEncoding checks the engine's own encoders against btcutil for every kind, on regtest and
// mainnet, in signed and fast mode: the address decodes, is of the expected type, and maps to the PkScript.
func TestAddressEncoding(t *testing.T) {
	for _, params := range []*chaincfg.Params{&chaincfg.RegressionNetParams, &chaincfg.MainNetParams} {
		for _, fast := range []bool{false, true} {
			e, err := New(Config{Seed: 9, Params: params, Fast: fast})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 20; i++ {
				for _, kind := range AllKinds {
					k := e.NewKey(kind)
					addr, err := btcutil.DecodeAddress(k.Address, params)
					if err != nil {
						t.Fatalf("%s %s fast=%v: %q does not decode: %v", params.Name, kind, fast, k.Address, err)
					}
					if addr.EncodeAddress() != k.Address {
						t.Fatalf("%s: btcutil re-encodes %q as %q", kind, k.Address, addr.EncodeAddress())
					}
					want, err := txscript.PayToAddrScript(addr)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(want, k.PkScript) {
						t.Fatalf("%s %q: script %x, want %x", kind, k.Address, k.PkScript, want)
					}
					if classify(k.PkScript) != kind {
						t.Fatalf("%s: classify says %s", kind, classify(k.PkScript))
					}
					if kind == P2TR && !fast {
						outKey := txscript.ComputeTaprootKeyNoScript(k.privs[0].PubKey())
						if !bytes.Equal(schnorr.SerializePubKey(outKey), k.PkScript[2:]) {
							t.Fatal("P2TR output key is not the BIP86 tweak of the internal key")
						}
					}
				}
			}
		}
	}
}

// TestBase58Zeros covers leading zero bytes (version 0, mainnet P2PKH) against btcutil.
func TestBase58Zeros(t *testing.T) {
	for _, h := range [][]byte{make([]byte, 20), append(make([]byte, 19), 1), bytes.Repeat([]byte{0xff}, 20)} {
		a, err := btcutil.NewAddressPubKeyHash(h, &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		if got := base58Check(0, h); got != a.EncodeAddress() {
			t.Errorf("%x: %s, want %s", h, got, a.EncodeAddress())
		}
	}
}
