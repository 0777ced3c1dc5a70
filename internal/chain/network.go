package chain

import (
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// TestNet4 is the wire magic of testnet4 (BIP94); on disk and on the wire it
// appears as the bytes 1c 16 3f 28.
const TestNet4 wire.BitcoinNet = 0x283f161c

// TestNet4Params are the parameters of testnet4 (BIP94), which btcd v0.24.2
// does not define. Address prefixes are those of testnet3; only the fields
// chaintrace uses (name, magic, genesis, address prefixes, proof-of-work
// limit) are meant to be relied upon.
var TestNet4Params = newTestNet4Params()

// testNet4Genesis is the testnet4 genesis block, as defined by Bitcoin Core's
// chainparams.cpp (CreateGenesisBlock with the "03/May/2024 …" message and a
// zero public key).
func testNet4Genesis() *wire.MsgBlock {
	msg := "03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e"
	sigScript := append([]byte{0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, 0x4c, byte(len(msg))}, msg...)
	pkScript := append([]byte{0x21}, make([]byte, 33)...)
	pkScript = append(pkScript, 0xac)
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: 0xffffffff},
		SignatureScript:  sigScript,
		Sequence:         0xffffffff,
	})
	tx.AddTxOut(&wire.TxOut{Value: 50 * 1e8, PkScript: pkScript})
	b := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: tx.TxHash(),
			Timestamp:  time.Unix(1714777860, 0),
			Bits:       0x1d00ffff,
			Nonce:      393743547,
		},
		Transactions: []*wire.MsgTx{tx},
	}
	return b
}

func newTestNet4Params() *chaincfg.Params {
	p := chaincfg.TestNet3Params // copy: address prefixes, bech32 HRP, HD key ids, pow limit
	p.Name = "testnet4"
	p.Net = TestNet4
	p.DefaultPort = "48333"
	p.DNSSeeds = []chaincfg.DNSSeed{
		{Host: "seed.testnet4.bitcoin.sprovoost.nl", HasFiltering: true},
		{Host: "seed.testnet4.wiz.biz", HasFiltering: true},
	}
	g := testNet4Genesis()
	h := g.BlockHash()
	p.GenesisBlock = g
	p.GenesisHash = &h
	p.Checkpoints = nil
	p.Deployments = chaincfg.TestNet3Params.Deployments
	return &p
}

// networks lists the supported networks with their canonical names.
var networks = []struct {
	name    string
	aliases []string
	params  *chaincfg.Params
}{
	{"mainnet", []string{"main", "bitcoin"}, &chaincfg.MainNetParams},
	{"testnet3", []string{"testnet", "test"}, &chaincfg.TestNet3Params},
	{"testnet4", nil, TestNet4Params},
	{"signet", nil, &chaincfg.SigNetParams},
	{"regtest", []string{"regression"}, &chaincfg.RegressionNetParams},
}

// NetworkNames lists the canonical network names accepted by NetworkByName.
func NetworkNames() []string {
	names := make([]string, len(networks))
	for i, n := range networks {
		names[i] = n.name
	}
	return names
}

// NetworkByName returns the parameters of the named network: "mainnet" (or
// "main"), "testnet3" (or "testnet"), "testnet4", "signet" or "regtest".
// Names are case-insensitive.
func NetworkByName(name string) (*chaincfg.Params, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, nw := range networks {
		if n == nw.name {
			return nw.params, nil
		}
		for _, a := range nw.aliases {
			if n == a {
				return nw.params, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown network %q: valid names are %s", name, strings.Join(NetworkNames(), ", "))
}

// NetworkByMagic returns the network whose wire magic is magic.
func NetworkByMagic(magic wire.BitcoinNet) (*chaincfg.Params, bool) {
	for _, nw := range networks {
		if nw.params.Net == magic {
			return nw.params, true
		}
	}
	return nil, false
}

// NetworkByGenesis returns the network whose genesis block hash is h. Every
// signet shares one genesis block, so any signet reports as "signet".
func NetworkByGenesis(h chainhash.Hash) (*chaincfg.Params, bool) {
	for _, nw := range networks {
		if *nw.params.GenesisHash == h {
			return nw.params, true
		}
	}
	return nil, false
}

// NetworkName returns the canonical name of p ("mainnet", "testnet3",
// "testnet4", "signet", "regtest"), or p.Name for any other network.
func NetworkName(p *chaincfg.Params) string {
	if p == nil {
		return ""
	}
	for _, nw := range networks {
		if nw.params == p || nw.params.Net == p.Net {
			return nw.name
		}
	}
	return p.Name
}
