package engine

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
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

// TestBase58Random compares base58Check with btcutil's base58.CheckEncode on random payloads of several
// lengths, some with leading zero bytes.
func TestBase58Random(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		p := make([]byte, []int{0, 1, 19, 20, 21, 32}[i%6])
		rng.Read(p)
		for j := 0; j < len(p) && j < i%4; j++ {
			p[j] = 0
		}
		version := byte(rng.Intn(3) * 0x6f % 256)
		if got, want := base58Check(version, p), base58.CheckEncode(p, version); got != want {
			t.Fatalf("version %#x payload %x: %s, want %s", version, p, got, want)
		}
	}
}

// TestFastKeys checks fast mode's stream-drawn keys: the same seed gives the same keys in the same order,
// another seed different ones, and no script repeats across thousands of keys of every kind.
func TestFastKeys(t *testing.T) {
	newEng := func(seed int64) *Engine {
		e, err := New(Config{Seed: seed, Fast: true})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b, c := newEng(5), newEng(5), newEng(6)
	seen := make(map[string]KeyKind)
	for i := 0; i < 2000; i++ {
		for _, kind := range AllKinds {
			ka, kb, kc := a.NewKey(kind), b.NewKey(kind), c.NewKey(kind)
			if ka.Address != kb.Address || !bytes.Equal(ka.PkScript, kb.PkScript) || !bytes.Equal(ka.pubs[0], kb.pubs[0]) {
				t.Fatalf("key %d (%s): seed 5 gives %s and %s", i, kind, ka.Address, kb.Address)
			}
			if ka.Address == kc.Address {
				t.Fatalf("key %d (%s): seeds 5 and 6 both give %s", i, kind, ka.Address)
			}
			for _, p := range ka.pubs {
				if len(p) != 33 || (p[0] != 0x02 && p[0] != 0x03) {
					t.Fatalf("key %d (%s): placeholder public key %x is not 33 bytes with a compressed prefix", i, kind, p)
				}
			}
			if prev, dup := seen[string(ka.PkScript)]; dup {
				t.Fatalf("key %d (%s): script %x repeats an earlier %s key", i, kind, ka.PkScript, prev)
			}
			seen[string(ka.PkScript)] = kind
		}
	}
}
