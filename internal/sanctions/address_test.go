package sanctions

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in       string
		kind     string // "" = malformed
		wantNorm string // "" = same as in
	}{
		// Bitcoin base58check (P2PKH, P2SH): case-sensitive, kept as is.
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", KindBase58, ""},
		{"3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", KindBase58, ""},
		{"1a1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "", ""}, // one letter's case changed: checksum fails
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN", "", ""},  // truncated
		{"1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na", "", ""}, // '0' is not base58
		// BIP173/BIP350 vectors.
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", KindBech32, ""},
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", KindBech32, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", KindBech32, ""},
		{"bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "", ""}, // mixed case
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "", ""}, // v0 with a bech32m checksum
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "", ""}, // bad checksum
		// EVM: EIP-55 vectors; all-lower and all-upper carry no checksum.
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", KindEVM, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", KindEVM, "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"},
		{"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", KindEVM, ""},
		{"0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", KindEVM, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "", ""}, // EIP-55 mismatch
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "", ""},  // 39 digits
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "", ""}, // not hex
		// Bitcoin Cash cashaddr, with and without prefix.
		{"qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", KindCashAddr, ""},
		{"bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", KindCashAddr, "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{"BITCOINCASH:QPF2CPHC5DKUCLKQUR7LHJ2YUQQ9PK3HMUKLE77VHQ", KindCashAddr, "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{"bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhp", "", ""},
		// Other chains listed by OFAC.
		{"TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", KindBase58, ""},  // TRX
		{"TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLrf", "", ""},          // TRX, bad checksum
		{"LNf2JDiuunBz7GMDKFYHN4rq5meXWxiwfb", KindBase58, ""},  // LTC
		{"t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL", KindBase58, ""}, // ZEC transparent
		{"XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2", KindBase58, ""},  // DASH
		{"rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", KindRipple, ""},  // XRP
		{"49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL", KindMonero, ""},
		{"49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsM", "", ""},
		{"11111111111111111111111111111111", KindSolana, ""}, // SOL system program (32 zero bytes)
		{"1111111111111111111111111111111", "", ""},          // 31 bytes
		{"", "", ""},
		{"hello world", "", ""},
		{strings.Repeat("1", 200), "", ""},
	}
	for _, tt := range tests {
		p, err := ParseAddress(tt.in)
		if tt.kind == "" {
			if err == nil {
				t.Errorf("ParseAddress(%q) = %+v, want a malformed-address error", tt.in, p)
			} else if !errors.Is(err, ErrMalformedAddress) {
				t.Errorf("ParseAddress(%q) error %v does not wrap ErrMalformedAddress", tt.in, err)
			}
			continue
		}
		want := tt.wantNorm
		if want == "" {
			want = tt.in
		}
		if err != nil || p.Kind != tt.kind || p.Normalized != want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %s %s", tt.in, p, err, tt.kind, want)
		}
	}
}

func TestParseAddressGeneratedVectors(t *testing.T) {
	// A random-looking 32-byte key in base58 is a Solana address.
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 3)
	}
	sol := base58.Encode(key)
	if p, err := ParseAddress(sol); err != nil || p.Kind != KindSolana || p.Normalized != sol {
		t.Errorf("solana %s: %+v %v", sol, p, err)
	}
	// Binance Chain bech32 (not segwit): checksum verified, lower-case key.
	conv, err := bech32.ConvertBits(key[:20], 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	bnb, err := bech32.Encode("bnb", conv)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ParseAddress(strings.ToUpper(bnb)); err != nil || p.Kind != KindBech32 || p.Normalized != bnb {
		t.Errorf("bnb %s: %+v %v", bnb, p, err)
	}
	last := "q"
	if bnb[len(bnb)-1] == 'q' {
		last = "p"
	}
	bad := bnb[:len(bnb)-1] + last
	if _, err := ParseAddress(bad); err == nil {
		t.Errorf("bnb with a bad checksum %s accepted", bad)
	}
}

// Every address of the independent XBT and ETH lists is well formed.
func TestIndependentListsParse(t *testing.T) {
	for _, f := range []string{"XBT", "ETH"} {
		for _, a := range readLines(t, testutil.SharedFile(t, "data/sanctions/crypto-2024-09/sanctioned_addresses_"+f+".txt")) {
			if _, err := ParseAddress(a); err != nil {
				t.Errorf("%s %s: %v", f, a, err)
			}
		}
	}
}

func BenchmarkScreenAddress(b *testing.B) {
	dir := testutil.SharedFile(b, "data/sanctions/ofac-2025-02")
	p, err := ParseOFACCSV(dir)
	if err != nil {
		b.Fatal(err)
	}
	s, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Import(b.Context(), p, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	addrs := []string{"3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.ScreenAddress(b.Context(), addrs[i%len(addrs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
