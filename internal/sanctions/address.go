package sanctions

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"golang.org/x/crypto/sha3"
)

// Address syntaxes recognised by ParseAddress.
const (
	KindEVM      = "evm"         // 0x + 40 hex (ETH, ARB, BSC, ETC, USDT/USDC on EVM chains); case-insensitive
	KindBech32   = "bech32"      // segwit (bc1…, ltc1…, tb1…); lower-case canonical
	KindCashAddr = "cashaddr"    // Bitcoin Cash (bitcoincash:q…); lower-case canonical
	KindBase58   = "base58check" // BTC/LTC/DASH/ZEC/BCH/BSV/BTG/XVG/DOGE legacy, TRX; case-sensitive
	KindRipple   = "ripple"      // XRP r… (base58check, Ripple alphabet); case-sensitive
	KindMonero   = "monero"      // XMR standard/integrated (Monero base58, Keccak checksum); case-sensitive
	KindSolana   = "base58-32"   // SOL: base58 of a 32-byte public key, no checksum exists; case-sensitive
)

// ErrMalformedAddress is wrapped by every ParseAddress error.
var ErrMalformedAddress = errors.New("malformed address")

// ParsedAddress is a syntactically valid address and its matching key.
type ParsedAddress struct {
	Kind       string
	Normalized string // the key screens compare: lower-case for EVM, bech32 and cashaddr; as given otherwise
}

// ParseAddress validates a crypto address's syntax and checksum and returns
// its matching key. Base58 addresses are never case-folded (case carries
// information); EVM hex is case-insensitive, but a mixed-case spelling must
// carry a valid EIP-55 checksum; bech32 and cashaddr are compared in their
// canonical lower case and must not mix cases.
func ParseAddress(s string) (ParsedAddress, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ParsedAddress{}, fmt.Errorf("%w: empty", ErrMalformedAddress)
	}
	if len(s) > 128 {
		return ParsedAddress{}, fmt.Errorf("%w: %d characters is too long", ErrMalformedAddress, len(s))
	}
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		return parseEVM(s)
	case strings.Contains(s, ":"):
		return parseCashAddr(s)
	}
	if hrp, ok := bech32HRP(s); ok {
		return parseBech32(s, hrp)
	}
	if looksCashAddr(s) {
		return parseCashAddr("bitcoincash:" + s)
	}
	if p, ok := parseOtherBech32(s); ok {
		return p, nil
	}
	if (s[0] == '4' || s[0] == '8') && (len(s) == 95 || len(s) == 106) {
		if err := checkMonero(s); err != nil {
			return ParsedAddress{}, err
		}
		return ParsedAddress{Kind: KindMonero, Normalized: s}, nil
	}
	if s[0] == 'r' {
		if err := checkBase58(s, rippleAlphabet); err == nil {
			return ParsedAddress{Kind: KindRipple, Normalized: s}, nil
		}
	}
	if err := checkBase58(s, bitcoinAlphabet); err != nil {
		// Solana addresses are bare 32-byte keys in base58: no checksum to
		// verify, only the length.
		if len(s) >= 32 && len(s) <= 44 && len(base58.Decode(s)) == 32 {
			return ParsedAddress{Kind: KindSolana, Normalized: s}, nil
		}
		return ParsedAddress{}, err
	}
	return ParsedAddress{Kind: KindBase58, Normalized: s}, nil
}

// parseOtherBech32 accepts a non-segwit bech32 string with a valid checksum
// (Binance Chain bnb1…, Zcash Sapling zs1…, Cosmos-style chains), compared
// in lower case.
func parseOtherBech32(s string) (ParsedAddress, bool) {
	if s != strings.ToLower(s) && s != strings.ToUpper(s) || !strings.Contains(s, "1") {
		return ParsedAddress{}, false
	}
	l := strings.ToLower(s)
	hrp, data, _, err := bech32.DecodeGeneric(l)
	if err != nil || hrp == "" || len(data) < 8 {
		return ParsedAddress{}, false
	}
	return ParsedAddress{Kind: KindBech32, Normalized: l}, true
}

// NormalizeAddress returns the matching key of a listed address, or the
// address itself (trimmed, case kept) when it does not parse: a list can
// hold a string that is not a valid address, and a screen must still find
// it verbatim.
func NormalizeAddress(s string) string {
	if p, err := ParseAddress(s); err == nil {
		return p.Normalized
	}
	return strings.TrimSpace(s)
}

func parseEVM(s string) (ParsedAddress, error) {
	h := s[2:]
	if len(h) != 40 {
		return ParsedAddress{}, fmt.Errorf("%w: EVM address needs 40 hex digits after 0x, got %d", ErrMalformedAddress, len(h))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return ParsedAddress{}, fmt.Errorf("%w: EVM address is not hex", ErrMalformedAddress)
	}
	lower := strings.ToLower(h)
	if h != lower && h != strings.ToUpper(h) {
		if eip55(lower) != h {
			return ParsedAddress{}, fmt.Errorf("%w: EIP-55 checksum mismatch: the mixed-case spelling is wrong (a typo?)", ErrMalformedAddress)
		}
	}
	return ParsedAddress{Kind: KindEVM, Normalized: "0x" + lower}, nil
}

// eip55 returns the EIP-55 mixed-case spelling of 40 lower-case hex digits.
func eip55(lower string) string {
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(lower))
	sum := k.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		if c < 'a' || c > 'f' {
			continue
		}
		nib := sum[i/2]
		if i%2 == 0 {
			nib >>= 4
		}
		if nib&0xf >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

var segwitHRPs = []string{"bc", "tb", "bcrt", "ltc", "tltc"}

func bech32HRP(s string) (string, bool) {
	l := strings.ToLower(s)
	for _, h := range segwitHRPs {
		if strings.HasPrefix(l, h+"1") {
			return h, true
		}
	}
	return "", false
}

func parseBech32(s, hrp string) (ParsedAddress, error) {
	if s != strings.ToLower(s) && s != strings.ToUpper(s) {
		return ParsedAddress{}, fmt.Errorf("%w: bech32 address mixes upper and lower case", ErrMalformedAddress)
	}
	l := strings.ToLower(s)
	gotHRP, data, ver, err := bech32.DecodeGeneric(l)
	if err != nil {
		return ParsedAddress{}, fmt.Errorf("%w: bech32: %v", ErrMalformedAddress, err)
	}
	if gotHRP != hrp || len(data) < 1 {
		return ParsedAddress{}, fmt.Errorf("%w: bech32: bad prefix or empty data", ErrMalformedAddress)
	}
	witVer := data[0]
	prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return ParsedAddress{}, fmt.Errorf("%w: bech32 program: %v", ErrMalformedAddress, err)
	}
	switch {
	case witVer > 16:
		return ParsedAddress{}, fmt.Errorf("%w: witness version %d", ErrMalformedAddress, witVer)
	case witVer == 0 && ver != bech32.Version0:
		return ParsedAddress{}, fmt.Errorf("%w: witness v0 must use bech32, not bech32m", ErrMalformedAddress)
	case witVer > 0 && ver != bech32.VersionM:
		return ParsedAddress{}, fmt.Errorf("%w: witness v%d must use bech32m", ErrMalformedAddress, witVer)
	case len(prog) < 2 || len(prog) > 40:
		return ParsedAddress{}, fmt.Errorf("%w: witness program of %d bytes", ErrMalformedAddress, len(prog))
	case witVer == 0 && len(prog) != 20 && len(prog) != 32:
		return ParsedAddress{}, fmt.Errorf("%w: v0 witness program of %d bytes", ErrMalformedAddress, len(prog))
	}
	return ParsedAddress{Kind: KindBech32, Normalized: l}, nil
}

const cashCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func looksCashAddr(s string) bool {
	l := strings.ToLower(s)
	if len(l) != 42 || (l[0] != 'q' && l[0] != 'p') {
		return false
	}
	for i := 0; i < len(l); i++ {
		if strings.IndexByte(cashCharset, l[i]) < 0 {
			return false
		}
	}
	return s == l || s == strings.ToUpper(s)
}

func parseCashAddr(s string) (ParsedAddress, error) {
	prefix, payload, _ := strings.Cut(s, ":")
	if prefix != strings.ToLower(prefix) && prefix != strings.ToUpper(prefix) ||
		payload != strings.ToLower(payload) && payload != strings.ToUpper(payload) {
		return ParsedAddress{}, fmt.Errorf("%w: cashaddr mixes upper and lower case", ErrMalformedAddress)
	}
	prefix, payload = strings.ToLower(prefix), strings.ToLower(payload)
	if prefix != "bitcoincash" && prefix != "bchtest" {
		return ParsedAddress{}, fmt.Errorf("%w: unknown address prefix %q", ErrMalformedAddress, prefix)
	}
	if len(payload) < 9 {
		return ParsedAddress{}, fmt.Errorf("%w: cashaddr too short", ErrMalformedAddress)
	}
	vals := make([]byte, 0, len(prefix)+1+len(payload))
	for i := 0; i < len(prefix); i++ {
		vals = append(vals, prefix[i]&0x1f)
	}
	vals = append(vals, 0)
	for i := 0; i < len(payload); i++ {
		d := strings.IndexByte(cashCharset, payload[i])
		if d < 0 {
			return ParsedAddress{}, fmt.Errorf("%w: cashaddr character %q", ErrMalformedAddress, payload[i])
		}
		vals = append(vals, byte(d))
	}
	if cashPolymod(vals) != 0 {
		return ParsedAddress{}, fmt.Errorf("%w: cashaddr checksum mismatch", ErrMalformedAddress)
	}
	return ParsedAddress{Kind: KindCashAddr, Normalized: payload}, nil
}

func cashPolymod(v []byte) uint64 {
	c := uint64(1)
	for _, d := range v {
		c0 := byte(c >> 35)
		c = ((c & 0x07ffffffff) << 5) ^ uint64(d)
		if c0&0x01 != 0 {
			c ^= 0x98f2bc8e61
		}
		if c0&0x02 != 0 {
			c ^= 0x79b76d99e2
		}
		if c0&0x04 != 0 {
			c ^= 0xf33e5fb3c4
		}
		if c0&0x08 != 0 {
			c ^= 0xae2eabe2a8
		}
		if c0&0x10 != 0 {
			c ^= 0x1e4f43e470
		}
	}
	return c ^ 1
}

const (
	bitcoinAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	rippleAlphabet  = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
)

// checkBase58 decodes s in the given alphabet and verifies the 4-byte
// double-SHA256 checksum that Bitcoin-family and XRP addresses end with.
func checkBase58(s, alphabet string) error {
	var raw []byte
	if alphabet == bitcoinAlphabet {
		raw = base58.Decode(s)
		if len(raw) == 0 {
			return fmt.Errorf("%w: not base58 (or an unknown address syntax)", ErrMalformedAddress)
		}
	} else {
		var err error
		if raw, err = decodeBase58(s, alphabet); err != nil {
			return err
		}
	}
	if len(raw) < 5 || len(raw) > 40 {
		return fmt.Errorf("%w: base58 payload of %d bytes", ErrMalformedAddress, len(raw))
	}
	body, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	h1 := sha256.Sum256(body)
	h2 := sha256.Sum256(h1[:])
	if !bytes.Equal(h2[:4], sum) {
		return fmt.Errorf("%w: base58check checksum mismatch", ErrMalformedAddress)
	}
	return nil
}

func decodeBase58(s, alphabet string) ([]byte, error) {
	n := new(big.Int)
	radix := big.NewInt(58)
	zeros := 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("%w: character %q is not base58", ErrMalformedAddress, s[i])
		}
		if d == 0 && i == zeros {
			zeros++
		}
		n.Mul(n, radix)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

// checkMonero decodes Monero's block base58 (11 characters per 8 bytes) and
// verifies the trailing 4-byte Keccak-256 checksum.
func checkMonero(s string) error {
	blockSizes := map[int]int{0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
	var out []byte
	for i := 0; i < len(s); i += 11 {
		end := min(i+11, len(s))
		chunk := s[i:end]
		size, ok := blockSizes[len(chunk)]
		if !ok {
			return fmt.Errorf("%w: Monero base58 block of %d characters", ErrMalformedAddress, len(chunk))
		}
		var v big.Int
		for j := 0; j < len(chunk); j++ {
			d := strings.IndexByte(bitcoinAlphabet, chunk[j])
			if d < 0 {
				return fmt.Errorf("%w: character %q is not base58", ErrMalformedAddress, chunk[j])
			}
			v.Mul(&v, big.NewInt(58))
			v.Add(&v, big.NewInt(int64(d)))
		}
		if v.BitLen() > 64 {
			return fmt.Errorf("%w: Monero base58 block overflows", ErrMalformedAddress)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], v.Uint64())
		out = append(out, buf[8-size:]...)
	}
	if len(out) < 5 {
		return fmt.Errorf("%w: Monero address too short", ErrMalformedAddress)
	}
	body, sum := out[:len(out)-4], out[len(out)-4:]
	k := sha3.NewLegacyKeccak256()
	k.Write(body)
	if !bytes.Equal(k.Sum(nil)[:4], sum) {
		return fmt.Errorf("%w: Monero checksum mismatch", ErrMalformedAddress)
	}
	return nil
}
