package chain

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// allNetworks returns every supported network's parameters.
func allNetworks(t testing.TB) []*chaincfg.Params {
	var ps []*chaincfg.Params
	for _, n := range NetworkNames() {
		p, err := NetworkByName(n)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestAddrKnownVectors checks encodings published elsewhere: the genesis
// coinbase key's P2PKH address, and BIP173/BIP350 test vectors.
func TestAddrKnownVectors(t *testing.T) {
	main, test := &chaincfg.MainNetParams, &chaincfg.TestNet3Params
	genesisKey := mustHex("04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f")
	tests := []struct {
		s    string
		p    *chaincfg.Params
		want Addr
	}{
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", main, Addr{P2PKH, mustHex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")}},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", main, Addr{P2WPKH, mustHex("751e76e8199196d454941c45d1b3a323f1433bd6")}},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", test, Addr{P2WSH, mustHex("1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")}},
		{"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", test, Addr{P2WSH, mustHex("000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433")}},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", main, Addr{P2TR, mustHex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")}},
		{"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", test, Addr{P2TR, mustHex("000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433")}},
		{"bc1sw50qgdz25j", main, Addr{WitnessUnknown, mustHex("10751e")}},
		{"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", main, Addr{WitnessUnknown, mustHex("02751e76e8199196d454941c45d1b3a323")}},
		{"bc1pfeessrawgf", main, Addr{WitnessUnknown, mustHex("014e73")}}, // pay-to-anchor
		{hex.EncodeToString(genesisKey), main, Addr{P2PK, genesisKey}},
	}
	for _, tt := range tests {
		a, err := ParseAddr(tt.s, tt.p)
		if err != nil {
			t.Errorf("ParseAddr(%q): %v", tt.s, err)
			continue
		}
		if !a.Equal(tt.want) {
			t.Errorf("ParseAddr(%q) = %s %x, want %s %x", tt.s, a.Type, a.Payload, tt.want.Type, tt.want.Payload)
		}
		if got := tt.want.String(tt.p); got != tt.s {
			t.Errorf("String of %s %x = %q, want %q", tt.want.Type, tt.want.Payload, got, tt.s)
		}
	}
	// Upper-case bech32 is accepted; String gives the canonical lower case.
	a, err := ParseAddr("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", main)
	if err != nil || a.String(main) != "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" {
		t.Errorf("upper-case bech32: %v %v", a, err)
	}
	// The genesis key maps to the famous address.
	pkh, ok := Addr{P2PK, genesisKey}.P2PKH()
	if !ok || pkh.String(main) != "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" {
		t.Errorf("genesis P2PK→P2PKH = %s, %v", pkh.String(main), ok)
	}
	if _, ok := (Addr{P2WPKH, pkh.Payload}).P2PKH(); ok {
		t.Error("P2PKH mapping of a non-P2PK address")
	}
}

func TestParseAddrErrors(t *testing.T) {
	main := &chaincfg.MainNetParams
	tests := []struct {
		s, p, want string
	}{
		{"", "mainnet", "empty"},
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "mainnet", "checksum"},
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "testnet3", "for mainnet"},
		{"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "mainnet", "for testnet/signet/regtest"},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "testnet4", "for mainnet"},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "mainnet", "testnet"},
		{"bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry", "mainnet", "regtest"},
		// BIP350 invalid vectors.
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "mainnet", "bech32m"}, // v1 with bech32
		{"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "mainnet", "bech32m"}, // v16 with bech32
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "mainnet", "bech32"},                      // v0 with bech32m
		{"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "mainnet", "bech32"},  // invalid character
		{"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "mainnet", "version"}, // version 17
		{"bc1pw5dgrnzv", "mainnet", "program"},                                                   // 1-byte program
		{"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "mainnet", "v0 program of 16"},                  // v0 16 bytes
		{"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", "mainnet", "bad"},                              // padding
		{"bc1gmk9yu", "mainnet", ""},                                        // empty data
		{"Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "mainnet", "bech32"}, // mixed case
		{"0OIl", "mainnet", "base58"},
		{"hello world", "mainnet", ""},
		{"nonstandard:abcd", "mainnet", "64 hex"},
		{"05" + strings.Repeat("11", 32), "mainnet", "public key"},
	}
	for _, tt := range tests {
		p, _ := NetworkByName(tt.p)
		_, err := ParseAddr(tt.s, p)
		if err == nil {
			t.Errorf("ParseAddr(%q, %s) succeeded", tt.s, tt.p)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.s) {
			t.Errorf("ParseAddr(%q, %s) error %q, want it to name the input and mention %q", tt.s, tt.p, err, tt.want)
		}
	}
	_ = main
}

// sampleAddrs returns one address of every type, built from fixed bytes.
func sampleAddrs() []Addr {
	return []Addr{
		{P2PKH, h20}, {P2SH, h20}, {P2WPKH, h20}, {P2WSH, h32}, {P2TR, h32},
		{P2PK, cKey}, {P2PK, uKey},
		{WitnessUnknown, cat([]byte{2}, h32)}, {WitnessUnknown, cat([]byte{16}, h20[:2])}, {WitnessUnknown, cat([]byte{1}, h20)},
		{NonStandard, h32},
	}
}

// TestAddrRoundTrip checks String↔ParseAddr and Key↔AddrFromKey on every
// network, and String against btcutil's encoders where btcutil has one.
func TestAddrRoundTrip(t *testing.T) {
	for _, p := range allNetworks(t) {
		for _, a := range sampleAddrs() {
			s := a.String(p)
			b, err := ParseAddr(s, p)
			if err != nil || !b.Equal(a) {
				t.Errorf("%s: %s %x → %q → %v, %v", NetworkName(p), a.Type, a.Payload, s, b, err)
			}
			k, err := AddrFromKey(a.Key())
			if err != nil || !k.Equal(a) {
				t.Errorf("key round trip of %s: %v", s, err)
			}
			if !bytes.Equal(a.AppendKey([]byte{9}), append([]byte{9}, a.Key()...)) {
				t.Errorf("AppendKey differs from Key")
			}
			var ref btcutil.Address
			switch a.Type {
			case P2PKH:
				ref, err = btcutil.NewAddressPubKeyHash(a.Payload, p)
			case P2SH:
				ref, err = btcutil.NewAddressScriptHashFromHash(a.Payload, p)
			case P2WPKH:
				ref, err = btcutil.NewAddressWitnessPubKeyHash(a.Payload, p)
			case P2WSH:
				ref, err = btcutil.NewAddressWitnessScriptHash(a.Payload, p)
			case P2TR:
				ref, err = btcutil.NewAddressTaproot(a.Payload, p)
			default:
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if ref.EncodeAddress() != s {
				t.Errorf("%s %s: String %q, btcutil %q", NetworkName(p), a.Type, s, ref.EncodeAddress())
			}
		}
	}
	// Prefixes per network.
	prefixes := map[string][]string{
		"mainnet": {"1", "3", "bc1q", "bc1q", "bc1p"}, "testnet3": {"m", "2", "tb1q", "tb1q", "tb1p"},
		"testnet4": {"m", "2", "tb1q", "tb1q", "tb1p"}, "signet": {"m", "2", "tb1q", "tb1q", "tb1p"},
		"regtest": {"m", "2", "bcrt1q", "bcrt1q", "bcrt1p"},
	}
	for name, want := range prefixes {
		p, _ := NetworkByName(name)
		for i, a := range sampleAddrs()[:5] {
			if s := a.String(p); !strings.HasPrefix(s, want[i]) && !(want[i] == "m" && strings.HasPrefix(s, "n")) {
				t.Errorf("%s %s = %q, want prefix %q", name, a.Type, s, want[i])
			}
		}
	}
	if s := (Addr{NonStandard, h32}).String(nil); s != "nonstandard:"+hex.EncodeToString(h32) {
		t.Errorf("nonstandard prints %q", s)
	}
}

func TestAddrFromKeyErrors(t *testing.T) {
	bad := [][]byte{
		nil,
		{byte(P2PKH)},
		cat([]byte{byte(P2PKH)}, h32),
		cat([]byte{byte(P2WSH)}, h20),
		cat([]byte{byte(P2PK)}, h32, []byte{1}),
		cat([]byte{byte(Multisig)}, cKey),
		{byte(OpReturn)},
		cat([]byte{byte(WitnessUnknown), 0}, h20),
		cat([]byte{byte(WitnessUnknown), 17}, h20),
		cat([]byte{byte(WitnessUnknown), 1}, h32), // that is P2TR
		cat([]byte{byte(WitnessUnknown), 2, 1}),
		cat([]byte{byte(NonStandard)}, h20),
		cat([]byte{42}, h20),
	}
	for _, k := range bad {
		if a, err := AddrFromKey(k); err == nil || !errors.Is(err, ErrBadAddrKey) {
			t.Errorf("AddrFromKey(%x) = %v, %v; want ErrBadAddrKey", k, a, err)
		}
	}
	// The result does not alias the key.
	k := (Addr{P2PKH, h20}).Key()
	a, _ := AddrFromKey(k)
	k[1] ^= 0xff
	if !bytes.Equal(a.Payload, h20) {
		t.Error("AddrFromKey aliases its input")
	}
	if s := (Addr{P2PKH, h32}).String(nil); !strings.HasPrefix(s, "invalid:") {
		t.Errorf("invalid Addr prints %q", s)
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc1sw50qgdz25j",
		"nonstandard:" + strings.Repeat("ab", 32), "02" + strings.Repeat("11", 32), "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
	} {
		f.Add(s)
	}
	nets := allNetworks(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range nets {
			a, err := ParseAddr(s, p)
			if err != nil {
				continue
			}
			if err := a.Valid(); err != nil {
				t.Fatalf("ParseAddr(%q) gave an invalid Addr: %v", s, err)
			}
			b, err := ParseAddr(a.String(p), p)
			if err != nil || !b.Equal(a) {
				t.Fatalf("%q → %s → %v, %v", s, a.String(p), b, err)
			}
		}
	})
}
