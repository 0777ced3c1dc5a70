package index

import (
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// TestP2PKByP2PKHAddress: the genesis coinbase's P2PK output is found under
// 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa, as explorers show it, and marked P2PK;
// for every key paid by P2PK in the first 3,000 blocks, the P2PKH address's
// totals equal a recomputation from the raw blocks (P2PK and P2PKH outputs of
// the key, and the inputs spending them).
func TestP2PKByP2PKHAddress(t *testing.T) {
	blocks := longChain(t)[:3000]
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, blocks, 0)
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	verify(t, ix)

	genesis := chaincfg.MainNetParams.GenesisBlock.Transactions[0]
	v, err := ix.Address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type != "p2pkh" || v.P2PKPubKey == "" || len(v.Txs) == 0 || v.Txs[0].Txid != genesis.TxHash().String() || !v.Txs[0].P2PK ||
		v.Txs[0].Received != genesis.TxOut[0].Value || v.FirstSeenHeight != 0 {
		t.Fatalf("genesis address: %+v", v)
	}
	if want := hex.EncodeToString(genesis.TxOut[0].PkScript[1:66]); v.P2PKPubKey != want {
		t.Fatalf("p2pk_pubkey %s, the genesis output's key is %s", v.P2PKPubKey, want)
	}
	tv, err := ix.Tx(genesis.TxHash())
	if err != nil {
		t.Fatal(err)
	}
	if o := tv.Outputs[0]; o.ScriptType != "p2pk" || o.P2PKHAddress != "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" {
		t.Fatalf("genesis output: %+v", o)
	}
	// The P2PK form names its P2PKH address.
	if pv, err := ix.Address(v.P2PKPubKey, 0, 1); err != nil || pv.P2PKHAddress != "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" || pv.Type != "p2pk" {
		t.Fatalf("by public key: %+v, %v", pv, err)
	}

	// Recompute, from the wire data, per hash160: txs, received, sent.
	type acct struct {
		txs        map[chainhash.Hash]bool
		recv, sent int64
	}
	accts := map[string]*acct{}
	type owned struct {
		h160 string
		val  int64
	}
	outs := map[wire.OutPoint]owned{}
	get := func(h string) *acct {
		if accts[h] == nil {
			accts[h] = &acct{txs: map[chainhash.Hash]bool{}}
		}
		return accts[h]
	}
	pkKeys := map[string]bool{}
	for _, b := range blocks {
		for _, tx := range b.Transactions {
			id := tx.TxHash()
			for _, in := range tx.TxIn {
				if o, ok := outs[in.PreviousOutPoint]; ok {
					a := get(o.h160)
					a.sent += o.val
					a.txs[id] = true
				}
			}
			for n, o := range tx.TxOut {
				typ, addrs := chain.ParseScript(o.PkScript, nil)
				var h string
				switch {
				case typ == chain.P2PK && len(addrs) == 1:
					h = string(btcutil.Hash160(addrs[0].Payload))
					pkKeys[h] = true
				case typ == chain.P2PKH:
					h = string(addrs[0].Payload)
				default:
					continue
				}
				a := get(h)
				a.recv += o.Value
				a.txs[id] = true
				outs[wire.OutPoint{Hash: id, Index: uint32(n)}] = owned{h, o.Value}
			}
		}
	}
	checked := 0
	for h := range pkKeys {
		want := accts[h]
		addr := chain.Addr{Type: chain.P2PKH, Payload: []byte(h)}.String(&chaincfg.MainNetParams)
		got, err := ix.Address(addr, 0, 1)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got.TxCount != len(want.txs) || got.Received != want.recv || got.Sent != want.sent || got.P2PKPubKey == "" {
			t.Fatalf("%s: index %d txs, %d received, %d sent; the blocks say %d, %d, %d", addr, got.TxCount, got.Received, got.Sent, len(want.txs), want.recv, want.sent)
		}
		if checked++; checked == 300 {
			break
		}
	}
	if checked < 100 {
		t.Fatalf("only %d P2PK keys in 3,000 blocks", checked)
	}
}
