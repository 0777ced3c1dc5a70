package chain

import (
	"crypto/sha256"
	"fmt"
)

// ScriptType classifies an output script. The numeric values are part of
// chaintrace's on-disk format (Addr.Key and the index's column files): never
// renumber them, only append.
type ScriptType uint8

// Script types.
const (
	NonStandard    ScriptType = 0 // anything else, including empty scripts
	P2PK           ScriptType = 1 // <pubkey> OP_CHECKSIG
	P2PKH          ScriptType = 2 // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
	P2SH           ScriptType = 3 // OP_HASH160 <20> OP_EQUAL
	P2WPKH         ScriptType = 4 // OP_0 <20>
	P2WSH          ScriptType = 5 // OP_0 <32>
	P2TR           ScriptType = 6 // OP_1 <32>
	Multisig       ScriptType = 7 // OP_m <pubkey>... OP_n OP_CHECKMULTISIG (bare)
	OpReturn       ScriptType = 8 // OP_RETURN ... (provably unspendable)
	WitnessUnknown ScriptType = 9 // OP_1..OP_16 <2..40 bytes>, other than P2TR

	numScriptTypes = 10
)

var scriptTypeNames = [numScriptTypes]string{
	"nonstandard", "p2pk", "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "multisig", "op_return", "witness_unknown",
}

// String returns the lower-case name of t ("p2pkh", "op_return", …).
func (t ScriptType) String() string {
	if int(t) < len(scriptTypeNames) {
		return scriptTypeNames[t]
	}
	return fmt.Sprintf("scripttype(%d)", uint8(t))
}

// ParseScriptType is the inverse of ScriptType.String.
func ParseScriptType(s string) (ScriptType, error) {
	for i, n := range scriptTypeNames {
		if n == s {
			return ScriptType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown script type %q", s)
}

// Opcodes used by the classifier.
const (
	op0             = 0x00
	opPushData1     = 0x4c
	opPushData2     = 0x4d
	opPushData4     = 0x4e
	op1             = 0x51
	op16            = 0x60
	opReturn        = 0x6a
	opDup           = 0x76
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opHash160       = 0xa9
	opCheckSig      = 0xac
	opCheckMultisig = 0xae
)

// validPubKeySize reports whether k has the length its first byte announces,
// as Bitcoin Core's CPubKey::ValidSize: 33 bytes for 0x02/0x03, 65 bytes for
// 0x04 (uncompressed) and 0x06/0x07 (hybrid). The point is not checked to lie
// on the curve (Core's Solver does not either).
func validPubKeySize(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	switch k[0] {
	case 0x02, 0x03:
		return len(k) == 33
	case 0x04, 0x06, 0x07:
		return len(k) == 65
	}
	return false
}

// ParseScript classifies pkScript and appends the addresses it pays to dst:
// one Addr for P2PKH, P2SH, P2WPKH, P2WSH, P2TR, WitnessUnknown and P2PK;
// one P2PK Addr per key for bare multisig; none for OP_RETURN; and for
// anything else (NonStandard, including empty scripts) one NonStandard Addr
// whose payload is sha256(pkScript).
//
// Payloads of the returned Addrs alias pkScript (except NonStandard ones):
// copy them before pkScript's buffer is reused. Apart from growing dst and
// the NonStandard hash, ParseScript does not allocate.
//
// The rules follow Bitcoin Core's Solver, with one deliberate difference: any
// script starting with OP_RETURN is OpReturn (provably unspendable, no
// address), even when what follows is not push-only.
func ParseScript(pkScript []byte, dst []Addr) (ScriptType, []Addr) {
	s := pkScript
	n := len(s)
	switch {
	case n == 25 && s[0] == opDup && s[1] == opHash160 && s[2] == 20 && s[23] == opEqualVerify && s[24] == opCheckSig:
		return P2PKH, append(dst, Addr{P2PKH, s[3:23:23]})
	case n == 23 && s[0] == opHash160 && s[1] == 20 && s[22] == opEqual:
		return P2SH, append(dst, Addr{P2SH, s[2:22:22]})
	case n == 22 && s[0] == op0 && s[1] == 20:
		return P2WPKH, append(dst, Addr{P2WPKH, s[2:22:22]})
	case n == 34 && s[0] == op0 && s[1] == 32:
		return P2WSH, append(dst, Addr{P2WSH, s[2:34:34]})
	case n == 34 && s[0] == op1 && s[1] == 32:
		return P2TR, append(dst, Addr{P2TR, s[2:34:34]})
	case n >= 4 && n <= 42 && s[0] >= op1 && s[0] <= op16 && int(s[1]) == n-2:
		// Witness program of version 1..16 (v1 with 32 bytes is P2TR,
		// handled above). The payload is version byte + program; the
		// version is stored as a plain number, not an opcode, so the
		// payload is not a sub-slice of the script.
		return WitnessUnknown, append(dst, witnessUnknownAddr(s))
	case n == 35 && s[0] == 33 && s[34] == opCheckSig && validPubKeySize(s[1:34]):
		return P2PK, append(dst, Addr{P2PK, s[1:34:34]})
	case n == 67 && s[0] == 65 && s[66] == opCheckSig && validPubKeySize(s[1:66]):
		return P2PK, append(dst, Addr{P2PK, s[1:66:66]})
	case n >= 1 && s[0] == opReturn:
		return OpReturn, dst
	case n >= 37 && s[n-1] == opCheckMultisig:
		if out, ok := parseMultisig(s, dst); ok {
			return Multisig, out
		}
	}
	sum := sha256.Sum256(pkScript)
	return NonStandard, append(dst, Addr{NonStandard, sum[:]})
}

// witnessUnknownAddr builds the Addr of a witness program of version 1..16.
// The payload holds the version as a number followed by the program.
func witnessUnknownAddr(s []byte) Addr {
	p := make([]byte, len(s)-1)
	p[0] = s[0] - op1 + 1
	copy(p[1:], s[2:])
	return Addr{WitnessUnknown, p}
}

// parseMultisig matches OP_m <pubkey>{n} OP_n OP_CHECKMULTISIG with
// 1 <= m <= n <= 16 and every key of a valid size, as Core's MatchMultisig.
// Keys may be pushed with a direct push or OP_PUSHDATA1/2/4. Nothing is
// appended unless the whole script matches.
func parseMultisig(s []byte, dst []Addr) ([]Addr, bool) {
	if s[0] < op1 || s[0] > op16 {
		return dst, false
	}
	m := int(s[0] - op1 + 1)
	start := len(dst)
	i := 1
	end := len(s) - 1 // index of OP_CHECKMULTISIG
	keys := 0
	for i < end {
		op := s[i]
		if op >= op1 && op <= op16 {
			break
		}
		var l, hdr int
		switch {
		case op >= 1 && op < opPushData1:
			l, hdr = int(op), 1
		case op == opPushData1 && i+1 < end:
			l, hdr = int(s[i+1]), 2
		case op == opPushData2 && i+2 < end:
			l, hdr = int(s[i+1])|int(s[i+2])<<8, 3
		case op == opPushData4 && i+4 < end:
			l = int(s[i+1]) | int(s[i+2])<<8 | int(s[i+3])<<16 | int(s[i+4])<<24
			hdr = 5
		default:
			return dst[:start], false
		}
		if l < 0 || i+hdr+l > end {
			return dst[:start], false
		}
		k := s[i+hdr : i+hdr+l : i+hdr+l]
		if !validPubKeySize(k) {
			return dst[:start], false
		}
		dst = append(dst, Addr{P2PK, k})
		keys++
		i += hdr + l
	}
	if i != end-1 || s[i] < op1 || s[i] > op16 {
		return dst[:start], false
	}
	n := int(s[i] - op1 + 1)
	if n != keys || m > n {
		return dst[:start], false
	}
	return dst, true
}
