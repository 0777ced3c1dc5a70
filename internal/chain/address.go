package chain

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/chaincfg"
)

// Addr is the compact binary identity of an address: its script type and
// payload.
//
//   - P2PKH, P2SH, P2WPKH: the 20-byte hash.
//   - P2WSH, P2TR: the 32-byte program.
//   - P2PK (also each key of a bare multisig): the public key, 33 or 65 bytes.
//   - WitnessUnknown: the witness version (1..16, as a number) then the
//     2..40-byte program.
//   - NonStandard: sha256 of the whole output script.
//
// Multisig and OpReturn are script types, never Addr types.
type Addr struct {
	Type    ScriptType
	Payload []byte
}

// ErrBadAddrKey is wrapped by AddrFromKey's errors.
var ErrBadAddrKey = errors.New("bad address key")

// Key returns the stable on-disk identity of a: one type byte then the payload.
func (a Addr) Key() []byte {
	k := make([]byte, 1+len(a.Payload))
	k[0] = byte(a.Type)
	copy(k[1:], a.Payload)
	return k
}

// AppendKey appends a.Key() to dst.
func (a Addr) AppendKey(dst []byte) []byte {
	dst = append(dst, byte(a.Type))
	return append(dst, a.Payload...)
}

// Equal reports whether a and b are the same address.
func (a Addr) Equal(b Addr) bool {
	return a.Type == b.Type && bytes.Equal(a.Payload, b.Payload)
}

// Valid reports whether a's payload has a valid length for its type.
func (a Addr) Valid() error {
	p := a.Payload
	switch a.Type {
	case P2PKH, P2SH, P2WPKH:
		if len(p) != 20 {
			return fmt.Errorf("%s payload of %d bytes, want 20", a.Type, len(p))
		}
	case P2WSH, P2TR:
		if len(p) != 32 {
			return fmt.Errorf("%s payload of %d bytes, want 32", a.Type, len(p))
		}
	case NonStandard:
		if len(p) != 32 {
			return fmt.Errorf("nonstandard payload of %d bytes, want 32 (sha256 of the script)", len(p))
		}
	case P2PK:
		if !validPubKeySize(p) {
			return fmt.Errorf("p2pk payload of %d bytes is not a public key", len(p))
		}
	case WitnessUnknown:
		if len(p) < 3 || len(p) > 41 || p[0] < 1 || p[0] > 16 {
			return fmt.Errorf("witness_unknown payload of %d bytes is not a version 1..16 program of 2..40 bytes", len(p))
		}
		if p[0] == 1 && len(p) == 33 {
			return errors.New("witness_unknown payload is a taproot (v1, 32-byte) program")
		}
	default:
		return fmt.Errorf("%s is not an address type", a.Type)
	}
	return nil
}

// AddrFromKey is the inverse of Addr.Key. It validates the type and payload
// length; the returned payload is a copy of k's bytes.
func AddrFromKey(k []byte) (Addr, error) {
	if len(k) == 0 {
		return Addr{}, fmt.Errorf("%w: empty", ErrBadAddrKey)
	}
	a := Addr{Type: ScriptType(k[0]), Payload: bytes.Clone(k[1:])}
	if err := a.Valid(); err != nil {
		return Addr{}, fmt.Errorf("%w: %v", ErrBadAddrKey, err)
	}
	return a, nil
}

// String encodes a for network p (mainnet when p is nil):
//
//   - P2PKH, P2SH: base58check with p's version byte ("1…"/"3…" on mainnet).
//   - P2WPKH, P2WSH: bech32, witness version 0 ("bc1q…").
//   - P2TR and WitnessUnknown: bech32m, witness version 1..16 ("bc1p…").
//   - P2PK: the public key in hex (P2PK outputs have no address format).
//   - NonStandard: "nonstandard:" followed by the hex of sha256(script).
//
// An Addr whose payload does not fit its type gives "invalid:" + hex of its key.
func (a Addr) String(p *chaincfg.Params) string {
	if p == nil {
		p = &chaincfg.MainNetParams
	}
	if a.Valid() != nil {
		return "invalid:" + hex.EncodeToString(a.Key())
	}
	switch a.Type {
	case P2PKH:
		return base58.CheckEncode(a.Payload, p.PubKeyHashAddrID)
	case P2SH:
		return base58.CheckEncode(a.Payload, p.ScriptHashAddrID)
	case P2WPKH, P2WSH:
		return segwitEncode(p.Bech32HRPSegwit, 0, a.Payload)
	case P2TR:
		return segwitEncode(p.Bech32HRPSegwit, 1, a.Payload)
	case WitnessUnknown:
		return segwitEncode(p.Bech32HRPSegwit, a.Payload[0], a.Payload[1:])
	case P2PK:
		return hex.EncodeToString(a.Payload)
	case NonStandard:
		return nonStandardPrefix + hex.EncodeToString(a.Payload)
	}
	return "invalid:" + hex.EncodeToString(a.Key())
}

const nonStandardPrefix = "nonstandard:"

// segwitEncode encodes a witness program (BIP173 bech32 for v0, BIP350
// bech32m for v1+). Inputs are valid by construction, so errors cannot occur.
func segwitEncode(hrp string, version byte, program []byte) string {
	conv, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		panic(err) // cannot happen: 8→5 with padding accepts any input
	}
	data := make([]byte, 0, 1+len(conv))
	data = append(data, version)
	data = append(data, conv...)
	var s string
	if version == 0 {
		s, err = bech32.Encode(hrp, data)
	} else {
		s, err = bech32.EncodeM(hrp, data)
	}
	if err != nil {
		panic(err) // cannot happen: hrp and data are valid
	}
	return s
}

// ParseAddr decodes an address string for network p (mainnet when p is nil):
// base58check P2PKH/P2SH, bech32/bech32m segwit addresses of any version,
// a hex public key (P2PK: 66 or 130 hex digits), or "nonstandard:<64 hex>".
// Checksums, lengths, witness versions and the network are validated; an
// address of another known network is reported as such.
func ParseAddr(s string, p *chaincfg.Params) (Addr, error) {
	if p == nil {
		p = &chaincfg.MainNetParams
	}
	a, err := parseAddr(strings.TrimSpace(s), p)
	if err != nil {
		return Addr{}, fmt.Errorf("parse address %q: %w", s, err)
	}
	return a, nil
}

func parseAddr(s string, p *chaincfg.Params) (Addr, error) {
	if s == "" {
		return Addr{}, errors.New("empty address")
	}
	if rest, ok := strings.CutPrefix(s, nonStandardPrefix); ok {
		h, err := hex.DecodeString(rest)
		if err != nil || len(h) != 32 {
			return Addr{}, errors.New("nonstandard address must be \"nonstandard:\" and 64 hex digits")
		}
		return Addr{NonStandard, h}, nil
	}
	if (len(s) == 66 || len(s) == 130) && isHex(s) {
		k, _ := hex.DecodeString(s)
		if !validPubKeySize(k) {
			return Addr{}, errors.New("hex string is not a public key (want 02/03 + 32 bytes or 04 + 64 bytes)")
		}
		return Addr{P2PK, k}, nil
	}
	if i := strings.LastIndexByte(s, '1'); i > 0 {
		hrp := strings.ToLower(s[:i])
		if hrp == p.Bech32HRPSegwit {
			return parseSegwit(s, p)
		}
		if other := networkByHRP(hrp); other != "" {
			return Addr{}, fmt.Errorf("address is for %s, not %s", other, NetworkName(p))
		}
	}
	return parseBase58(s, p)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// networkByHRP names the known network using hrp for segwit addresses
// (testnet3, testnet4 and signet share "tb").
func networkByHRP(hrp string) string {
	for _, nw := range networks {
		if nw.params.Bech32HRPSegwit == hrp {
			if hrp == "tb" {
				return "testnet/signet"
			}
			return nw.name
		}
	}
	return ""
}

func parseSegwit(s string, p *chaincfg.Params) (Addr, error) {
	if len(s) > 90 {
		return Addr{}, fmt.Errorf("segwit address of %d characters exceeds 90", len(s))
	}
	_, data, variant, err := bech32.DecodeGeneric(s)
	if err != nil {
		return Addr{}, fmt.Errorf("bad bech32: %w", err)
	}
	if len(data) < 1 {
		return Addr{}, errors.New("segwit address without witness version")
	}
	version := data[0]
	if version > 16 {
		return Addr{}, fmt.Errorf("witness version %d > 16", version)
	}
	prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return Addr{}, fmt.Errorf("bad witness program: %w", err)
	}
	if len(prog) < 2 || len(prog) > 40 {
		return Addr{}, fmt.Errorf("witness program of %d bytes (want 2..40)", len(prog))
	}
	switch {
	case version == 0 && variant != bech32.Version0:
		return Addr{}, errors.New("witness version 0 address must use bech32, not bech32m")
	case version != 0 && variant != bech32.VersionM:
		return Addr{}, fmt.Errorf("witness version %d address must use bech32m, not bech32", version)
	}
	switch {
	case version == 0 && len(prog) == 20:
		return Addr{P2WPKH, prog}, nil
	case version == 0 && len(prog) == 32:
		return Addr{P2WSH, prog}, nil
	case version == 0:
		return Addr{}, fmt.Errorf("witness v0 program of %d bytes (want 20 or 32)", len(prog))
	case version == 1 && len(prog) == 32:
		return Addr{P2TR, prog}, nil
	}
	return Addr{WitnessUnknown, append([]byte{version}, prog...)}, nil
}

func parseBase58(s string, p *chaincfg.Params) (Addr, error) {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base58Alphabet, rune(s[i])) {
			return Addr{}, fmt.Errorf("not a known address format (character %q at %d is not base58)", s[i], i)
		}
	}
	payload, ver, err := base58.CheckDecode(s)
	if err != nil {
		return Addr{}, fmt.Errorf("bad base58check: %w", err)
	}
	if len(payload) != 20 {
		return Addr{}, fmt.Errorf("base58 payload of %d bytes (want 20)", len(payload))
	}
	switch ver {
	case p.PubKeyHashAddrID:
		return Addr{P2PKH, payload}, nil
	case p.ScriptHashAddrID:
		return Addr{P2SH, payload}, nil
	}
	for _, nw := range networks {
		if ver == nw.params.PubKeyHashAddrID || ver == nw.params.ScriptHashAddrID {
			name := nw.name
			if nw.params.PubKeyHashAddrID == chaincfg.TestNet3Params.PubKeyHashAddrID {
				name = "testnet/signet/regtest"
			}
			return Addr{}, fmt.Errorf("address is for %s, not %s", name, NetworkName(p))
		}
	}
	return Addr{}, fmt.Errorf("unknown base58 version byte 0x%02x", ver)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// P2PKH maps a P2PK address to the P2PKH address of the same key (hash160 of
// the key as it appears in the script, so a compressed and an uncompressed
// form of one key give two different addresses). ok is false, and the
// result is the zero Addr, when a is not P2PK.
func (a Addr) P2PKH() (Addr, bool) {
	if a.Type != P2PK {
		return Addr{}, false
	}
	return Addr{P2PKH, btcutil.Hash160(a.Payload)}, true
}
