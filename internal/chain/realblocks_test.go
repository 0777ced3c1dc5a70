package chain

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// realBlock is a block of ../shared/data/btc with its MANIFEST height.
type realBlock struct {
	file   string
	height int64
	params *chaincfg.Params
	block  *wire.MsgBlock
}

func loadRealBlocks(t testing.TB) []realBlock {
	dir := filepath.Join(testutil.SharedDir(t), "data", "btc")
	list := []struct {
		file   string
		height int64
		params *chaincfg.Params
	}{
		{"mainnet/169482.block", 169482, &chaincfg.MainNetParams},
		{"mainnet/227835.block", 227835, &chaincfg.MainNetParams},
		{"mainnet/227836.block", 227836, &chaincfg.MainNetParams},
		{"mainnet/252860.block", 252860, &chaincfg.MainNetParams},
		{"mainnet/300025.block", 300025, &chaincfg.MainNetParams},
		{"mainnet/363703.block", 363703, &chaincfg.MainNetParams},
		{"mainnet/370661.block", 370661, &chaincfg.MainNetParams},
		{"mainnet/383616.block", 383616, &chaincfg.MainNetParams},
		{"mainnet/413567.block", 413567, &chaincfg.MainNetParams},
		{"mainnet/426884.block", 426884, &chaincfg.MainNetParams},
		{"mainnet/481815.block", 481815, &chaincfg.MainNetParams},
		{"mainnet/481829.block", 481829, &chaincfg.MainNetParams},
		{"mainnet/482683.block", 482683, &chaincfg.MainNetParams},
		{"testnet/700000.block", 700000, &chaincfg.TestNet3Params},
		{"testnet/928848.block", 928848, &chaincfg.TestNet3Params},
		{"testnet/928849.block", 928849, &chaincfg.TestNet3Params},
		{"blkfiles/blk_277647.dat", 277647, &chaincfg.MainNetParams},
	}
	var out []realBlock
	for _, l := range list {
		raw, err := os.ReadFile(filepath.Join(dir, l.file))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(l.file) == ".dat" {
			raw = raw[8:] // one framed block
		}
		var m wire.MsgBlock
		if err := m.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatalf("%s: %v", l.file, err)
		}
		out = append(out, realBlock{l.file, l.height, l.params, &m})
	}
	return out
}

// oracleType maps btcd's txscript classification to ours.
var oracleType = map[txscript.ScriptClass]ScriptType{
	txscript.NonStandardTy:         NonStandard,
	txscript.PubKeyTy:              P2PK,
	txscript.PubKeyHashTy:          P2PKH,
	txscript.ScriptHashTy:          P2SH,
	txscript.WitnessV0PubKeyHashTy: P2WPKH,
	txscript.WitnessV0ScriptHashTy: P2WSH,
	txscript.WitnessV1TaprootTy:    P2TR,
	txscript.MultiSigTy:            Multisig,
	txscript.NullDataTy:            OpReturn,
}

// TestParseScriptRealBlocks classifies every output of the shared blocks and
// compares with btcd's txscript (an independent implementation), and the
// address strings with btcutil's encoders. The only disagreements allowed
// are the documented ones: OP_RETURN scripts that are not push-only or
// longer than 80 bytes (txscript: nonstandard; we: op_return) and multisig
// scripts whose keys Core would not accept.
func TestParseScriptRealBlocks(t *testing.T) {
	blocks := loadRealBlocks(t)
	byType := map[string]map[ScriptType]int{}
	var dst []Addr
	for _, rb := range blocks {
		counts := map[ScriptType]int{}
		byType[rb.file] = counts
		for _, tx := range rb.block.Transactions {
			for i, out := range tx.TxOut {
				typ, addrs := ParseScript(out.PkScript, dst[:0])
				dst = addrs
				counts[typ]++
				want := oracleType[txscript.GetScriptClass(out.PkScript)]
				if typ != want {
					switch {
					case typ == OpReturn && want == NonStandard:
					case typ == NonStandard && want == Multisig:
					default:
						t.Errorf("%s %s:%d: %s, txscript says %s (script %x)", rb.file, tx.TxHash(), i, typ, want, out.PkScript)
					}
					continue
				}
				_, refAddrs, _, err := txscript.ExtractPkScriptAddrs(out.PkScript, rb.params)
				switch typ {
				case P2PKH, P2SH, P2WPKH, P2WSH, P2TR:
					if err != nil || len(refAddrs) != 1 || len(addrs) != 1 {
						t.Fatalf("%s: %s: %v %v", rb.file, typ, refAddrs, err)
					}
					if s := addrs[0].String(rb.params); s != refAddrs[0].EncodeAddress() {
						t.Errorf("%s %s:%d: %s, btcutil %s", rb.file, tx.TxHash(), i, s, refAddrs[0].EncodeAddress())
					}
				case Multisig:
					if err == nil && len(refAddrs) == len(addrs) {
						for j, ra := range refAddrs {
							if pk, ok := ra.(*btcutil.AddressPubKey); ok && !bytes.Equal(pk.ScriptAddress(), addrs[j].Payload) {
								t.Errorf("%s: multisig key %d differs", rb.file, j)
							}
						}
					}
				}
				for _, a := range addrs {
					b, err := ParseAddr(a.String(rb.params), rb.params)
					if err != nil || !b.Equal(a) {
						t.Errorf("%s: round trip of %s: %v", rb.file, a.String(rb.params), err)
					}
				}
			}
		}
		t.Logf("%s: %v", rb.file, counts)
	}
	// Facts about the sample: the testnet blocks are heavy segwit, the
	// 2012 block pays P2PKH.
	if c := byType["testnet/928848.block"]; c[P2WPKH] < 1000 {
		t.Errorf("testnet 928848: %v, want thousands of P2WPKH outputs", c)
	}
	if c := byType["mainnet/169482.block"]; c[P2PKH] == 0 {
		t.Errorf("mainnet 169482: %v, want P2PKH outputs", c)
	}
}

// TestBlockHeightReal compares BIP34 heights with the MANIFEST's.
func TestBlockHeightReal(t *testing.T) {
	const mainBIP34, testBIP34 = 227931, 21111
	for _, rb := range loadRealBlocks(t) {
		h, ok := BlockHeight(rb.block)
		activated := (rb.params == &chaincfg.MainNetParams && rb.height >= mainBIP34) ||
			(rb.params == &chaincfg.TestNet3Params && rb.height >= testBIP34)
		switch {
		case activated && (!ok || h != rb.height):
			t.Errorf("%s: BlockHeight = %d, %v; MANIFEST says %d", rb.file, h, ok, rb.height)
		case ok && h != rb.height:
			t.Errorf("%s (before BIP34): BlockHeight = %d, MANIFEST says %d", rb.file, h, rb.height)
		}
		t.Logf("%s: version %#x height %d %v", rb.file, rb.block.Header.Version, h, ok)
	}
}

func TestCoinbaseHeight(t *testing.T) {
	tests := []struct {
		sig []byte
		h   int64
		ok  bool
	}{
		{[]byte{0x00}, 0, true},
		{[]byte{0x51}, 1, true},
		{[]byte{0x60, 0xff}, 16, true},
		{[]byte{0x01, 0x11}, 17, true},
		{[]byte{0x01, 0x7f}, 127, true},
		{[]byte{0x02, 0x80, 0x00}, 128, true},
		{[]byte{0x03, 0x5b, 0x7a, 0x03}, 227931, true},
		{[]byte{0x03, 0x40, 0x0d, 0x03, 0xaa}, 200000, true},
		{[]byte{0x04, 0xff, 0xff, 0xff, 0x7f}, 2147483647, true},
		{[]byte{0x05, 0xff, 0xff, 0xff, 0xff, 0x00}, 4294967295, true},
		{[]byte{0x01, 0x80}, 0, false},             // negative zero
		{[]byte{0x01, 0x81}, 0, false},             // -1
		{[]byte{0x02, 0x05, 0x00}, 0, false},       // not minimal
		{[]byte{0x01, 0x00}, 0, false},             // not minimal zero
		{[]byte{0x03, 0x5b, 0x7a}, 0, false},       // truncated
		{[]byte{0x06, 1, 2, 3, 4, 5, 6}, 0, false}, // too long
		{[]byte{0x4c, 0x01, 0x05}, 0, false},       // pushdata1
		{[]byte{0x4f}, 0, false},                   // OP_1NEGATE
		{nil, 0, false},
	}
	for _, tt := range tests {
		h, ok := CoinbaseHeight(tt.sig)
		if h != tt.h || ok != tt.ok {
			t.Errorf("CoinbaseHeight(%x) = %d, %v; want %d, %v", tt.sig, h, ok, tt.h, tt.ok)
		}
	}
	b := &wire.MsgBlock{Header: wire.BlockHeader{Version: 1}}
	if _, ok := BlockHeight(b); ok {
		t.Error("BlockHeight of a version-1 block")
	}
	b.Header.Version = 2
	if _, ok := BlockHeight(b); ok {
		t.Error("BlockHeight of a block without transactions")
	}
	if _, ok := BlockHeight(nil); ok {
		t.Error("BlockHeight(nil)")
	}
}

func BenchmarkParseScript(b *testing.B) {
	blocks := loadRealBlocks(b)
	var scripts [][]byte
	for _, rb := range blocks {
		for _, tx := range rb.block.Transactions {
			for _, out := range tx.TxOut {
				scripts = append(scripts, out.PkScript)
			}
		}
	}
	dst := make([]Addr, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, dst = ParseScript(scripts[i%len(scripts)], dst[:0])
	}
	b.ReportMetric(float64(len(scripts)), "scripts")
}

func BenchmarkTxscriptClass(b *testing.B) {
	blocks := loadRealBlocks(b)
	var scripts [][]byte
	for _, rb := range blocks {
		for _, tx := range rb.block.Transactions {
			for _, out := range tx.TxOut {
				scripts = append(scripts, out.PkScript)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		txscript.ExtractPkScriptAddrs(scripts[i%len(scripts)], &chaincfg.MainNetParams)
	}
}
