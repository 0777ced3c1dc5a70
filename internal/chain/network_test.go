package chain

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func TestTestNet4Genesis(t *testing.T) {
	// Hash and merkle root from Bitcoin Core's chainparams.cpp (CTestNet4Params).
	const wantHash = "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
	const wantMerkle = "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e"
	if got := TestNet4Params.GenesisHash.String(); got != wantHash {
		t.Errorf("testnet4 genesis hash = %s, want %s", got, wantHash)
	}
	if got := TestNet4Params.GenesisBlock.Header.MerkleRoot.String(); got != wantMerkle {
		t.Errorf("testnet4 genesis merkle root = %s, want %s", got, wantMerkle)
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(TestNet4))
	if b != [4]byte{0x1c, 0x16, 0x3f, 0x28} {
		t.Errorf("testnet4 magic bytes = % x", b)
	}
}

func TestNetworkByName(t *testing.T) {
	tests := []struct {
		name  string
		want  *chaincfg.Params
		canon string
	}{
		{"mainnet", &chaincfg.MainNetParams, "mainnet"},
		{"main", &chaincfg.MainNetParams, "mainnet"},
		{"MainNet", &chaincfg.MainNetParams, "mainnet"},
		{"testnet3", &chaincfg.TestNet3Params, "testnet3"},
		{"testnet", &chaincfg.TestNet3Params, "testnet3"},
		{"testnet4", TestNet4Params, "testnet4"},
		{"signet", &chaincfg.SigNetParams, "signet"},
		{"regtest", &chaincfg.RegressionNetParams, "regtest"},
	}
	for _, tt := range tests {
		p, err := NetworkByName(tt.name)
		if err != nil || p != tt.want {
			t.Errorf("NetworkByName(%q) = %v, %v", tt.name, p, err)
			continue
		}
		if got := NetworkName(p); got != tt.canon {
			t.Errorf("NetworkName(%q) = %q, want %q", tt.name, got, tt.canon)
		}
		q, ok := NetworkByMagic(p.Net)
		if !ok || q != p {
			t.Errorf("NetworkByMagic(%v) = %v, %v", p.Net, q, ok)
		}
		q, ok = NetworkByGenesis(*p.GenesisHash)
		if !ok || q != p {
			t.Errorf("NetworkByGenesis(%v) = %v, %v", p.GenesisHash, q, ok)
		}
	}
	for _, bad := range []string{"", "simnet", "bitcoin-cash", "test net"} {
		_, err := NetworkByName(bad)
		if err == nil || !strings.Contains(err.Error(), "mainnet, testnet3, testnet4, signet, regtest") {
			t.Errorf("NetworkByName(%q) error = %v, want one listing valid names", bad, err)
		}
	}
	// Magic numbers as they appear in Bitcoin Core's chainparams (pchMessageStart, little-endian).
	magics := map[wire.BitcoinNet]string{
		0xd9b4bef9: "mainnet", 0x0709110b: "testnet3", 0x283f161c: "testnet4",
		0x40cf030a: "signet", 0xdab5bffa: "regtest",
	}
	for m, name := range magics {
		p, ok := NetworkByMagic(m)
		if !ok || NetworkName(p) != name {
			t.Errorf("NetworkByMagic(%#x) = %v, %v; want %s", uint32(m), p, ok, name)
		}
	}
	if _, ok := NetworkByMagic(wire.SimNet); ok {
		t.Error("simnet magic accepted")
	}
}
