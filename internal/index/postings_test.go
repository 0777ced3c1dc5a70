package index

import (
	"bytes"
	"encoding/hex"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// postingChain builds three blocks on blk_0_to_4 with address reuse, a tx
// that both spends from and pays an address, a bare multisig output whose
// key K1 appears twice, and a tx paying one address twice:
//
//	b5: coinbase → A 50
//	b6: coinbase → B 1; tx1 spends A 50 → A 10, B 20, multisig(K1, K1, K2) 19
//	b7: coinbase → C 0.00000001; tx2 spends the multisig and A 10 → A 5, A 6, C 17
func postingChain(t *testing.T) (main, ext []*wire.MsgBlock, names map[string]string) {
	main = readFramed(t, "blkfiles/blk_0_to_4.dat")
	params := &chaincfg.MainNetParams
	p2pkh := func(b byte) ([]byte, string) {
		a, err := btcutil.NewAddressPubKeyHash(bytes.Repeat([]byte{b}, 20), params)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := txscript.PayToAddrScript(a)
		return s, a.EncodeAddress()
	}
	sa, na := p2pkh(0xaa)
	sb, nb := p2pkh(0xbb)
	sc, nc := p2pkh(0xcc)
	k1 := append([]byte{0x02}, bytes.Repeat([]byte{0x11}, 32)...)
	k2 := append([]byte{0x03}, bytes.Repeat([]byte{0x22}, 32)...)
	ms, err := txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(k1).AddData(k1).AddData(k2).AddOp(txscript.OP_3).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		t.Fatal(err)
	}
	const c = 1_0000_0000
	b5 := synthBlock(main[4].BlockHash(), 5, []*wire.TxOut{wire.NewTxOut(50*c, sa)})
	cb5 := b5.Transactions[0].TxHash()
	tx1 := wire.NewMsgTx(1)
	tx1.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&cb5, 0), []byte{0x00}, nil))
	tx1.AddTxOut(wire.NewTxOut(10*c, sa))
	tx1.AddTxOut(wire.NewTxOut(20*c, sb))
	tx1.AddTxOut(wire.NewTxOut(19*c, ms))
	b6 := synthBlock(b5.BlockHash(), 6, []*wire.TxOut{wire.NewTxOut(1*c, sb)}, tx1)
	h1 := tx1.TxHash()
	tx2 := wire.NewMsgTx(1)
	tx2.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h1, 2), []byte{0x00}, nil))
	tx2.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h1, 0), []byte{0x00}, nil))
	tx2.AddTxOut(wire.NewTxOut(5*c, sa))
	tx2.AddTxOut(wire.NewTxOut(6*c, sa))
	tx2.AddTxOut(wire.NewTxOut(17*c, sc))
	b7 := synthBlock(b6.BlockHash(), 7, []*wire.TxOut{wire.NewTxOut(1, sc)}, tx2)
	names = map[string]string{
		"A": na, "B": nb, "C": nc, "K1": hex.EncodeToString(k1), "K2": hex.EncodeToString(k2),
		"cb5": cb5.String(), "cb6": b6.Transactions[0].TxHash().String(), "cb7": b7.Transactions[0].TxHash().String(),
		"tx1": h1.String(), "tx2": tx2.TxHash().String(),
	}
	return main, []*wire.MsgBlock{b5, b6, b7}, names
}

// post is an expected tx of an address: tx name, height, received, sent.
type post struct {
	tx         string
	h          int64
	recv, sent int64
}

// TestPostingListsAcrossUndo drives the posting columns through applies,
// flushes, buffered and committed undos, re-applies and a reopen; at each
// step every address's txs (chain order, amounts), totals and first/last
// seen are the hand-computed ones, the columns equal a clean build of the
// same blocks (links and heads), and Verify passes.
func TestPostingListsAcrossUndo(t *testing.T) {
	main, ext, names := postingChain(t)
	const c = 1_0000_0000
	full := map[string][]post{
		"A":  {{"cb5", 5, 50 * c, 0}, {"tx1", 6, 10 * c, 50 * c}, {"tx2", 7, 11 * c, 10 * c}},
		"B":  {{"cb6", 6, 1 * c, 0}, {"tx1", 6, 20 * c, 0}},
		"K1": {{"tx1", 6, 38 * c, 0}, {"tx2", 7, 0, 38 * c}}, // the key twice: credited twice
		"K2": {{"tx1", 6, 19 * c, 0}, {"tx2", 7, 0, 19 * c}},
		"C":  {{"cb7", 7, 1, 0}, {"tx2", 7, 17 * c, 0}},
	}
	upTo6 := map[string][]post{
		"A":  {{"cb5", 5, 50 * c, 0}, {"tx1", 6, 10 * c, 50 * c}},
		"B":  {{"cb6", 6, 1 * c, 0}, {"tx1", 6, 20 * c, 0}},
		"K1": {{"tx1", 6, 38 * c, 0}},
		"K2": {{"tx1", 6, 19 * c, 0}},
	}
	upTo5 := map[string][]post{"A": {{"cb5", 5, 50 * c, 0}}}

	dir := filepath.Join(t.TempDir(), "chain")
	ix := openTest(t, dir, &chaincfg.MainNetParams)
	defer func() { ix.Close() }()
	applyAll(t, ix, main, 0)
	ix.Flush()
	apply := func(from, to int) { applyAll(t, ix, ext[from-5:to-4], int64(from)) }
	undo := func() {
		if err := ix.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name string
		do   func()
		tip  int
		want map[string][]post
	}{
		{"apply 5-7 buffered", func() { apply(5, 7) }, 7, full},
		{"flush", func() { ix.Flush() }, 7, full},
		{"undo committed 7", undo, 6, upTo6},
		{"re-apply 7 buffered", func() { apply(7, 7) }, 7, full},
		{"undo buffered 7", undo, 6, upTo6},
		{"undo committed 6", undo, 5, upTo5},
		{"apply 6, flush, apply 7", func() { apply(6, 6); ix.Flush(); apply(7, 7) }, 7, full},
		{"undo buffered 7, undo committed 6, re-apply", func() { undo(); undo(); apply(6, 7) }, 7, full},
		{"flush and reopen", func() {
			ix.Flush()
			ix.Close()
			ix = openTest(t, dir, nil)
		}, 7, full},
	} {
		step.do()
		if tip, _ := ix.Tip(); tip.Height != int64(step.tip) {
			t.Fatalf("%s: tip %d, want %d", step.name, tip.Height, step.tip)
		}
		for _, who := range []string{"A", "B", "C", "K1", "K2"} {
			want := step.want[who]
			v, err := ix.Address(names[who], 0, 0)
			if len(want) == 0 {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("%s: address %s: %v, want not found", step.name, who, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: address %s: %v", step.name, who, err)
			}
			var recv, sent int64
			for i, p := range want {
				recv, sent = recv+p.recv, sent+p.sent
				if i >= len(v.Txs) {
					break
				}
				got := v.Txs[i]
				if got.Txid != names[p.tx] || got.BlockHeight != p.h || got.Received != p.recv || got.Sent != p.sent {
					t.Errorf("%s: %s tx %d = %+v, want %s %+v", step.name, who, i, got, names[p.tx], p)
				}
			}
			if len(v.Txs) != len(want) || v.TxCount != len(want) || v.Received != recv || v.Sent != sent ||
				v.Balance != recv-sent || v.FirstSeenHeight != want[0].h || v.LastSeenHeight != want[len(want)-1].h {
				t.Errorf("%s: %s = %d txs %+v, want %d txs, received %d, sent %d", step.name, who, len(v.Txs), v, len(want), recv, sent)
			}
		}
		sameColumnsAsClean(t, step.name, ix, main, ext[:step.tip-4])
		verify(t, ix)
	}
	// Paging and AddressTxs agree with the full list.
	v, _ := ix.Address(names["A"], 1, 1)
	if len(v.Txs) != 1 || v.Txs[0].Txid != names["tx1"] || v.TxCount != 3 {
		t.Fatalf("page 2 of A: %+v", v)
	}
}

// sameColumnsAsClean compares ix's posting columns with a clean build of
// main+ext: the same links and the same head per address.
func sameColumnsAsClean(t *testing.T, step string, ix *Index, main, ext []*wire.MsgBlock) {
	t.Helper()
	clean := openTest(t, "", &chaincfg.MainNetParams)
	defer clean.Close()
	applyAll(t, clean, main, 0)
	applyAll(t, clean, ext, 5)
	if err := clean.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, m := ix.addrLink.Len(), clean.addrLink.Len(); n != m {
		t.Fatalf("%s: %d links, a clean build has %d", step, n, m)
	}
	for l := range ix.addrLink.Len() {
		if !bytes.Equal(ix.addrLink.Rec(l), clean.addrLink.Rec(l)) {
			t.Fatalf("%s: link %d = %x, a clean build has %x", step, l, ix.addrLink.Rec(l), clean.addrLink.Rec(l))
		}
	}
	if n, m := ix.addrOff.Len(), clean.addrOff.Len(); n != m {
		t.Fatalf("%s: %d addresses, a clean build has %d", step, n, m)
	}
	for a := range ix.addrOff.Len() {
		if got, want := ix.addrHeadOf(a), clean.addrHead.u40(a); got != want {
			t.Fatalf("%s: address #%d head %d, a clean build has %d", step, a, got, want)
		}
	}
}

// TestReadOnlyViewNewerRecords: a view whose address heads were rewritten
// by later commits of the writer (links past the view) still answers with
// its own state: the txs, totals and Verify of the view's blocks.
func TestReadOnlyViewNewerRecords(t *testing.T) {
	main, ext, names := postingChain(t)
	dir := filepath.Join(t.TempDir(), "chain")
	w := openTest(t, dir, &chaincfg.MainNetParams)
	defer w.Close()
	applyAll(t, w, main, 0)
	applyAll(t, w, ext[:2], 5)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before, err := r.Address(names["A"], 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := verify(t, r).Digest
	// The writer commits b7: A's head moves to a link past the view,
	// rewritten in place.
	applyAll(t, w, ext[2:], 7)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if a, _ := w.AddressID(mustKey(t, w, names["A"])); r.addrHead.u40(a) < r.addrLink.Len() {
		t.Fatal("the writer's commit did not move A's head past the view: the test exercises nothing")
	}
	after, err := r.Address(names["A"], 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after.TxCount != 2 || after.Received != before.Received || after.Sent != before.Sent || len(after.Txs) != 2 || after.LastSeenHeight != 6 {
		t.Fatalf("view after the writer's commit: %+v, before: %+v", after, before)
	}
	if err := r.View(func(g Graph) error {
		id, _ := g.AddressID(mustKey(t, w, names["A"]))
		n, recv, sent, err := g.AddressTotals(id)
		if err != nil || n != 2 || recv != before.Received || sent != before.Sent {
			t.Fatalf("view totals %d %d %d %v", n, recv, sent, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := verify(t, r).Digest; got != want {
		t.Fatal("the view's digest changed with the writer's commit")
	}
	if err := r.Refresh(); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Address(names["A"], 0, 0); v.TxCount != 3 {
		t.Fatalf("refreshed view: %d txs, want 3", v.TxCount)
	}
}

func mustKey(t *testing.T, ix *Index, addr string) []byte {
	t.Helper()
	a, err := chain.ParseAddr(addr, ix.params)
	if err != nil {
		t.Fatal(err)
	}
	return a.Key()
}

// TestFindTx checks the interpolating search of an id's tx against a plain
// binary search, for every output and input id of blocks 0–14131 and from
// every start at or below the answer that the walk uses.
func TestFindTx(t *testing.T) {
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, longChain(t), 0)
	n := ix.txHash.Len()
	for _, c := range []struct {
		first *column
		ids   uint64
		plain func(uint64) uint64
	}{{ix.txOut, ix.outValue.Len(), ix.txOfOutput}, {ix.txIn, ix.inPrev.Len(), ix.txOfInput}} {
		prev := uint64(0)
		for id := range c.ids {
			want := c.plain(id)
			if got := txOfID(c.first, id, 0, n); got != want {
				t.Fatalf("%s: id %d in tx %d, findTx from 0 says %d", c.first.name, id, want, got)
			}
			if got := txOfID(c.first, id, prev, n); got != want {
				t.Fatalf("%s: id %d in tx %d, findTx from %d says %d", c.first.name, id, want, prev, got)
			}
			prev = want
		}
	}
}

// TestWalkCacheAcrossChanges runs the posting tests with every address's
// walk cached (walkCacheMin 1), and asks each address twice per step: a
// cached walk must answer as a fresh one through applies, flushes, undos,
// re-applies, a reopen and a read-only view beside newer commits.
func TestWalkCacheAcrossChanges(t *testing.T) {
	defer func(n int) { walkCacheMin = n }(walkCacheMin)
	walkCacheMin = 1
	t.Run("undo", TestPostingListsAcrossUndo)
	t.Run("view", TestReadOnlyViewNewerRecords)
}

// TestWalkCacheHit: a busy address's second walk comes from the cache (its
// scratch buffers stay unused), and the cached answer equals a fresh walk's.
func TestWalkCacheHit(t *testing.T) {
	defer func(n int) { walkCacheMin = n }(walkCacheMin)
	walkCacheMin = 1
	main, ext, names := postingChain(t)
	ix := openTest(t, "", &chaincfg.MainNetParams)
	defer ix.Close()
	applyAll(t, ix, main, 0)
	applyAll(t, ix, ext, 5)
	a, ok, err := ix.addressID(mustKey(t, ix, names["A"]))
	if err != nil || !ok {
		t.Fatalf("address A: %v %v", ok, err)
	}
	var s1, s2 postingScratch
	first, err := ix.addrTxs(a, &s1)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ix.addrTxs(a, &s2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || len(s2.out) != 0 || !slices.Equal(first, second) {
		t.Fatalf("cached walk: %v then %v (scratch used: %d)", first, second, len(s2.out))
	}
	ix.walks = walkCache{} // a fresh walk
	var s3 postingScratch
	fresh, err := ix.addrTxs(a, &s3)
	if err != nil || !slices.Equal(fresh, second) {
		t.Fatalf("fresh walk %v (%v), cached %v", fresh, err, second)
	}
}
