package engine

import (
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/ripemd160" //lint:ignore SA1019 Bitcoin's HASH160 is RIPEMD-160 by protocol
)

// Address encoders for the engine's own keys. btcutil's segwit encoder decodes every address it encodes to
// check it, and its base58 uses math/big; these are several times faster, and TestAddressEncoding checks
// them against btcutil.

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Check encodes version || payload || first 4 bytes of sha256d(version || payload). The number is
// divided by 58^5 per step over 32-bit limbs, five digits at a time, instead of by 58 per byte.
func base58Check(version byte, payload []byte) string {
	var inb [1 + 32 + 4]byte
	in := append(inb[:0], version)
	in = append(in, payload...)
	first := sha256.Sum256(in)
	second := sha256.Sum256(first[:])
	in = append(in, second[:4]...)

	zeros := 0
	for zeros < len(in) && in[zeros] == 0 {
		zeros++
	}
	// Big-endian 32-bit limbs of the number, most significant first.
	var limbs [10]uint32
	n := (len(in) + 3) / 4
	for i, b := range in {
		pos := len(in) - 1 - i // byte position from the least significant end
		limbs[n-1-pos/4] |= uint32(b) << (8 * (pos % 4))
	}
	const big = 58 * 58 * 58 * 58 * 58 // 656,356,768 < 2^32
	var digits [64]byte
	nd := 0
	top := 0
	for top < n {
		var rem uint64
		for i := top; i < n; i++ {
			cur := rem<<32 | uint64(limbs[i])
			limbs[i] = uint32(cur / big)
			rem = cur % big
		}
		for j := 0; j < 5; j++ {
			digits[nd] = byte(rem % 58)
			rem /= 58
			nd++
		}
		for top < n && limbs[top] == 0 {
			top++
		}
	}
	for nd > 0 && digits[nd-1] == 0 { // drop the leading zero digits of the last group
		nd--
	}
	var outb [64]byte // stays on the stack: the string conversion is the only allocation
	out := outb[:zeros+nd]
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i := 0; i < nd; i++ {
		out[zeros+i] = base58Alphabet[digits[nd-1-i]]
	}
	return string(out)
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32GenTable[b] is the XOR of the BIP173 generator constants selected by the 5 bits of b.
var bech32GenTable = func() (t [32]uint32) {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for b := range t {
		for i := 0; i < 5; i++ {
			if (b>>i)&1 == 1 {
				t[b] ^= gen[i]
			}
		}
	}
	return t
}()

func polymodStep(chk uint32, v byte) uint32 {
	return (chk&0x1ffffff)<<5 ^ uint32(v) ^ bech32GenTable[chk>>25]
}

// hrpState is the BIP173 checksum state after the expanded human-readable part.
func hrpState(hrp string) uint32 {
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = polymodStep(chk, hrp[i]>>5)
	}
	chk = polymodStep(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = polymodStep(chk, hrp[i]&31)
	}
	return chk
}

// segwitAddress encodes a witness program: bech32 (BIP173) for version 0, bech32m (BIP350) above.
func segwitAddress(hrp string, state uint32, version byte, program []byte) string {
	var outb [96]byte // stays on the stack for the engine's programs: the string is the only allocation
	out := outb[:0]
	out = append(out, hrp...)
	out = append(out, '1')
	chk := polymodStep(state, version)
	out = append(out, bech32Charset[version])
	acc, bits := uint32(0), uint(0)
	for _, b := range program {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			v := byte(acc>>bits) & 31
			chk = polymodStep(chk, v)
			out = append(out, bech32Charset[v])
		}
	}
	if bits > 0 {
		v := byte(acc<<(5-bits)) & 31
		chk = polymodStep(chk, v)
		out = append(out, bech32Charset[v])
	}
	for i := 0; i < 6; i++ {
		chk = polymodStep(chk, 0)
	}
	if version == 0 {
		chk ^= 1
	} else {
		chk ^= 0x2bc830a3
	}
	for i := 0; i < 6; i++ {
		out = append(out, bech32Charset[(chk>>(5*(5-i)))&31])
	}
	return string(out)
}

// keyAddress derives the output script and address of k from its public keys and scripts.
func (e *Engine) keyAddress(k *Key, xonly []byte) error {
	p := e.cfg.Params
	hrp, st := p.Bech32HRPSegwit, e.hrpState
	switch k.Kind {
	case P2PKH:
		k.PkScript = e.appendHash160(append(make([]byte, 0, 25), 0x76, 0xa9, 20), k.pubs[0]) // OP_DUP OP_HASH160 <20>
		k.PkScript = append(k.PkScript, 0x88, 0xac)                                          // OP_EQUALVERIFY OP_CHECKSIG
		k.Address = base58Check(p.PubKeyHashAddrID, k.PkScript[3:23])
	case P2SHP2WPKH:
		k.PkScript = e.appendHash160(append(make([]byte, 0, 23), 0xa9, 20), k.redeem) // OP_HASH160 <20>
		k.PkScript = append(k.PkScript, 0x87)                                         // OP_EQUAL
		k.Address = base58Check(p.ScriptHashAddrID, k.PkScript[2:22])
	case P2WPKH:
		h := k.redeem[2:]
		k.PkScript = k.redeem
		k.Address = segwitAddress(hrp, st, 0, h)
	case P2WSHMultisig:
		h := sha256.Sum256(k.script)
		k.PkScript = append([]byte{0x00, 32}, h[:]...)
		k.Address = segwitAddress(hrp, st, 0, h[:])
	case P2TR:
		k.PkScript = append([]byte{0x51, 32}, xonly...)
		k.Address = segwitAddress(hrp, st, 1, xonly)
	default:
		return fmt.Errorf("engine: no address for kind %s", k.Kind)
	}
	return nil
}

// appendHash160 appends RIPEMD160(SHA256(b)) (Bitcoin's HASH160) to dst, reusing the engine's RIPEMD-160.
func (e *Engine) appendHash160(dst, b []byte) []byte {
	if e.rmd == nil {
		e.rmd = ripemd160.New()
	}
	s := sha256.Sum256(b)
	e.rmd.Reset()
	e.rmd.Write(s[:])
	return e.rmd.Sum(dst)
}
