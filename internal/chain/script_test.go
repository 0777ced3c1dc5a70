package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	h20  = mustHex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
	h32  = mustHex("1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")
	cKey = mustHex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	uKey = mustHex("04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f")
)

// TestParseScript covers every script type and its near misses. Expected
// types follow Bitcoin Core's Solver (script/solver.cpp) and BIP141/341.
func TestParseScript(t *testing.T) {
	hybrid := cat([]byte{0x06}, uKey[1:])
	badPrefix := cat([]byte{0x05}, cKey[1:])
	tests := []struct {
		name   string
		script []byte
		typ    ScriptType
		addrs  []Addr // nil: one NonStandard addr (checked separately) unless OpReturn
	}{
		{"p2pkh", cat([]byte{0x76, 0xa9, 0x14}, h20, []byte{0x88, 0xac}), P2PKH, []Addr{{P2PKH, h20}}},
		{"p2pkh trailing byte", cat([]byte{0x76, 0xa9, 0x14}, h20, []byte{0x88, 0xac, 0x00}), NonStandard, nil},
		{"p2pkh short hash", cat([]byte{0x76, 0xa9, 0x13}, h20[:19], []byte{0x88, 0xac}), NonStandard, nil},
		{"p2pkh OP_EQUAL", cat([]byte{0x76, 0xa9, 0x14}, h20, []byte{0x87, 0xac}), NonStandard, nil},
		{"p2sh", cat([]byte{0xa9, 0x14}, h20, []byte{0x87}), P2SH, []Addr{{P2SH, h20}}},
		{"p2sh OP_EQUALVERIFY", cat([]byte{0xa9, 0x14}, h20, []byte{0x88}), NonStandard, nil},
		{"p2sh pushdata1", cat([]byte{0xa9, 0x4c, 0x14}, h20, []byte{0x87}), NonStandard, nil},
		{"p2wpkh", cat([]byte{0x00, 0x14}, h20), P2WPKH, []Addr{{P2WPKH, h20}}},
		{"p2wsh", cat([]byte{0x00, 0x20}, h32), P2WSH, []Addr{{P2WSH, h32}}},
		{"v0 21 bytes (invalid program)", cat([]byte{0x00, 0x15}, h20, []byte{1}), NonStandard, nil},
		{"v0 2 bytes", []byte{0x00, 0x02, 0xab, 0xcd}, NonStandard, nil},
		{"p2tr", cat([]byte{0x51, 0x20}, h32), P2TR, []Addr{{P2TR, h32}}},
		{"v1 20 bytes", cat([]byte{0x51, 0x14}, h20), WitnessUnknown, []Addr{{WitnessUnknown, cat([]byte{1}, h20)}}},
		{"p2a anchor (v1 2 bytes)", []byte{0x51, 0x02, 0x4e, 0x73}, WitnessUnknown, []Addr{{WitnessUnknown, []byte{1, 0x4e, 0x73}}}},
		{"v2 32 bytes", cat([]byte{0x52, 0x20}, h32), WitnessUnknown, []Addr{{WitnessUnknown, cat([]byte{2}, h32)}}},
		{"v16 40 bytes", cat([]byte{0x60, 0x28}, h20, h20), WitnessUnknown, []Addr{{WitnessUnknown, cat([]byte{16}, h20, h20)}}},
		{"v16 41 bytes", cat([]byte{0x60, 0x29}, h20, h20, []byte{1}), NonStandard, nil},
		{"v1 1 byte", []byte{0x51, 0x01, 0x00}, NonStandard, nil},
		{"v1 pushdata1", cat([]byte{0x51, 0x4c, 0x20}, h32), NonStandard, nil},
		{"p2tr trailing", cat([]byte{0x51, 0x20}, h32, []byte{0}), NonStandard, nil},
		{"p2pk compressed", cat([]byte{0x21}, cKey, []byte{0xac}), P2PK, []Addr{{P2PK, cKey}}},
		{"p2pk uncompressed", cat([]byte{0x41}, uKey, []byte{0xac}), P2PK, []Addr{{P2PK, uKey}}},
		{"p2pk hybrid", cat([]byte{0x41}, hybrid, []byte{0xac}), P2PK, []Addr{{P2PK, hybrid}}},
		{"p2pk bad prefix", cat([]byte{0x21}, badPrefix, []byte{0xac}), NonStandard, nil},
		{"p2pk 33 bytes with 04", cat([]byte{0x21, 0x04}, cKey[1:], []byte{0xac}), NonStandard, nil},
		{"p2pk CHECKSIGVERIFY", cat([]byte{0x21}, cKey, []byte{0xad}), NonStandard, nil},
		{"multisig 1-of-1", cat([]byte{0x51, 0x21}, cKey, []byte{0x51, 0xae}), Multisig, []Addr{{P2PK, cKey}}},
		{"multisig 2-of-3", cat([]byte{0x52, 0x21}, cKey, []byte{0x41}, uKey, []byte{0x21}, cKey, []byte{0x53, 0xae}), Multisig,
			[]Addr{{P2PK, cKey}, {P2PK, uKey}, {P2PK, cKey}}},
		{"multisig pushdata1 key", cat([]byte{0x51, 0x4c, 0x21}, cKey, []byte{0x51, 0xae}), Multisig, []Addr{{P2PK, cKey}}},
		{"multisig m>n", cat([]byte{0x52, 0x21}, cKey, []byte{0x51, 0xae}), NonStandard, nil},
		{"multisig n mismatch", cat([]byte{0x51, 0x21}, cKey, []byte{0x52, 0xae}), NonStandard, nil},
		{"multisig bad key", cat([]byte{0x51, 0x21}, badPrefix, []byte{0x51, 0xae}), NonStandard, nil},
		{"multisig OP_0 m", cat([]byte{0x00, 0x21}, cKey, []byte{0x51, 0xae}), NonStandard, nil},
		{"multisig no keys", []byte{0x51, 0x51, 0xae}, NonStandard, nil},
		{"multisig truncated push", cat([]byte{0x51, 0x41}, cKey, []byte{0x51, 0xae}), NonStandard, nil},
		{"multisig trailing op", cat([]byte{0x51, 0x21}, cKey, []byte{0x51, 0x51, 0xae}), NonStandard, nil},
		{"multisig pushdata4 huge", cat([]byte{0x51, 0x4e, 0xff, 0xff, 0xff, 0xff}, cKey, []byte{0x51, 0xae}), NonStandard, nil},
		{"op_return alone", []byte{0x6a}, OpReturn, []Addr{}},
		{"op_return data", cat([]byte{0x6a, 0x14}, h20), OpReturn, []Addr{}},
		{"op_return non-push (unspendable anyway)", []byte{0x6a, 0xac, 0x76}, OpReturn, []Addr{}},
		{"empty", nil, NonStandard, nil},
		{"single byte", []byte{0xac}, NonStandard, nil},
		{"OP_TRUE", []byte{0x51}, NonStandard, nil},
		{"pushdata truncated", []byte{0x4c}, NonStandard, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, addrs := ParseScript(tt.script, nil)
			if typ != tt.typ {
				t.Fatalf("type %s, want %s", typ, tt.typ)
			}
			want := tt.addrs
			if want == nil {
				sum := sha256.Sum256(tt.script)
				want = []Addr{{NonStandard, sum[:]}}
			}
			if len(addrs) != len(want) {
				t.Fatalf("%d addresses, want %d", len(addrs), len(want))
			}
			for i := range want {
				if !addrs[i].Equal(want[i]) {
					t.Errorf("address %d = %s %x, want %s %x", i, addrs[i].Type, addrs[i].Payload, want[i].Type, want[i].Payload)
				}
				if err := addrs[i].Valid(); err != nil {
					t.Errorf("address %d invalid: %v", i, err)
				}
			}
			// dst is appended to, not overwritten.
			prev := []Addr{{P2PKH, h20}}
			_, more := ParseScript(tt.script, prev)
			if len(more) != 1+len(want) || !more[0].Equal(prev[0]) {
				t.Errorf("ParseScript did not append to dst")
			}
		})
	}
}

// TestParseScriptNoAlloc checks the hot-path promise: no allocation for the
// common types when dst has room.
func TestParseScriptNoAlloc(t *testing.T) {
	scripts := [][]byte{
		cat([]byte{0x76, 0xa9, 0x14}, h20, []byte{0x88, 0xac}),
		cat([]byte{0xa9, 0x14}, h20, []byte{0x87}),
		cat([]byte{0x00, 0x14}, h20),
		cat([]byte{0x00, 0x20}, h32),
		cat([]byte{0x51, 0x20}, h32),
		cat([]byte{0x21}, cKey, []byte{0xac}),
		cat([]byte{0x52, 0x21}, cKey, []byte{0x41}, uKey, []byte{0x21}, cKey, []byte{0x53, 0xae}),
		cat([]byte{0x6a, 0x14}, h20),
	}
	dst := make([]Addr, 0, 8)
	for _, s := range scripts {
		n := testing.AllocsPerRun(100, func() { ParseScript(s, dst[:0]) })
		if n != 0 {
			typ, _ := ParseScript(s, nil)
			t.Errorf("%s: %.0f allocations per call", typ, n)
		}
	}
}

func TestScriptTypeString(t *testing.T) {
	want := []string{"nonstandard", "p2pk", "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "multisig", "op_return", "witness_unknown"}
	for i, w := range want {
		if got := ScriptType(i).String(); got != w {
			t.Errorf("ScriptType(%d) = %q, want %q", i, got, w)
		}
		if typ, err := ParseScriptType(w); err != nil || typ != ScriptType(i) {
			t.Errorf("ParseScriptType(%q) = %v, %v", w, typ, err)
		}
	}
	if s := ScriptType(200).String(); s != "scripttype(200)" {
		t.Errorf("unknown type prints %q", s)
	}
	if _, err := ParseScriptType("p2wpkh2"); err == nil {
		t.Error("ParseScriptType accepted a bad name")
	}
}

// TestParseScriptNeverPanics feeds every prefix and single-byte corruption of
// real scripts.
func TestParseScriptNeverPanics(t *testing.T) {
	seeds := [][]byte{
		cat([]byte{0x52, 0x21}, cKey, []byte{0x41}, uKey, []byte{0x21}, cKey, []byte{0x53, 0xae}),
		cat([]byte{0x51, 0x4d, 0x21, 0x00}, cKey, []byte{0x51, 0xae}),
		cat([]byte{0x51, 0x20}, h32),
	}
	for _, s := range seeds {
		for i := 0; i <= len(s); i++ {
			ParseScript(s[:i], nil)
			for _, b := range []byte{0x00, 0x4c, 0x4d, 0x4e, 0x51, 0x60, 0xae, 0xff} {
				c := bytes.Clone(s)
				if i < len(c) {
					c[i] = b
				}
				_, addrs := ParseScript(c, nil)
				for _, a := range addrs {
					if err := a.Valid(); err != nil {
						t.Fatalf("script %x: invalid address: %v", c, err)
					}
				}
			}
		}
	}
}

func FuzzParseScript(f *testing.F) {
	f.Add(cat([]byte{0x52, 0x21}, cKey, []byte{0x41}, uKey, []byte{0x21}, cKey, []byte{0x53, 0xae}))
	f.Add(cat([]byte{0x51, 0x20}, h32))
	f.Add([]byte{0x6a})
	f.Fuzz(func(t *testing.T, s []byte) {
		typ, addrs := ParseScript(s, nil)
		for _, a := range addrs {
			if err := a.Valid(); err != nil {
				t.Fatalf("%s script %x: invalid address: %v", typ, s, err)
			}
			b, err := AddrFromKey(a.Key())
			if err != nil || !b.Equal(a) {
				t.Fatalf("key round trip of %x: %v", a.Key(), err)
			}
			if c, err := ParseAddr(a.String(nil), nil); err != nil || !c.Equal(a) {
				t.Fatalf("string round trip of %s: %v", a.String(nil), err)
			}
		}
	})
}
