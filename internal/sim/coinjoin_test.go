package sim

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// The rule checks below implement DESIGN.md §3 from the published
// descriptions, on transactions decoded from the block files, independently
// of the generators.

// isStandardDenom reports whether v is a WabiSabi standard denomination:
// 5 000 sat ≤ v ≤ 1 343.75 BTC and v = 2^n, 3^n, 2·3^n, 10^n, 2·10^n or 5·10^n.
func isStandardDenom(v int64) bool {
	if v < 5000 || v > 134_375_000_000 {
		return false
	}
	pow := func(x, b int64) bool { // x = b^n
		for x%b == 0 {
			x /= b
		}
		return x == 1
	}
	return pow(v, 2) || pow(v, 3) || (v%2 == 0 && pow(v/2, 3)) || pow(v, 10) || (v%2 == 0 && pow(v/2, 10)) || (v%5 == 0 && pow(v/5, 10))
}

func TestIsStandardDenom(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want bool
	}{
		{4096, false}, {8192, true}, {6561, true}, {13122, true}, {10000, true}, {20000, true}, {50000, true},
		{5000, true}, {30000, false}, {100_000_000, true}, {134_217_728, true}, {12345, false}, {134_375_000_000, false},
		{68_719_476_736, true}, {200_000_000_000, false},
	} {
		if got := isStandardDenom(c.v); got != c.want {
			t.Errorf("isStandardDenom(%d) = %v, want %v", c.v, got, c.want)
		}
	}
}

// txView is a decoded tx with its input values and scripts.
type txView struct {
	tx      *wire.MsgTx
	inVal   []int64
	inClass []string
	inPk    []string
}

func view(cv *chainView, tx *wire.MsgTx) txView {
	v := txView{tx: tx}
	for _, ti := range tx.TxIn {
		p := cv.prev[ti.PreviousOutPoint]
		v.inVal = append(v.inVal, p.Value)
		v.inClass = append(v.inClass, scriptClass(p.PkScript))
		v.inPk = append(v.inPk, string(p.PkScript))
	}
	return v
}

// mostFrequent returns the most frequent output value (ties: the larger
// value) and its count.
func mostFrequent(tx *wire.MsgTx) (int64, int) {
	cnt := map[int64]int{}
	for _, o := range tx.TxOut {
		cnt[o.Value]++
	}
	var best int64
	n := 0
	for v, c := range cnt {
		if c > n || c == n && v > best {
			best, n = v, c
		}
	}
	return best, n
}

func distinct(ss []string) int {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return len(m)
}

// blockSciCoinjoin is BlockSci's generic isCoinjoin.
func blockSciCoinjoin(v txView) bool {
	nIn, nOut := len(v.tx.TxIn), len(v.tx.TxOut)
	if nIn < 2 || nOut < 3 {
		return false
	}
	p := (nOut + 1) / 2
	if p > nIn || p > distinct(v.inPk) {
		return false
	}
	val, n := mostFrequent(v.tx)
	return val != 546 && val != 2730 && n == p
}

func checkWasabi1(v txView) string {
	for _, c := range v.inClass {
		if c != "p2wpkh" {
			return "input not P2WPKH"
		}
	}
	for _, o := range v.tx.TxOut {
		if scriptClass(o.PkScript) != "p2wpkh" {
			return "output not P2WPKH"
		}
	}
	val, n := mostFrequent(v.tx)
	if val < 8_000_000 || val > 12_000_000 {
		return "most frequent value not ≈0.1 BTC"
	}
	if n < 10 || len(v.tx.TxIn) < n {
		return "fewer than 10 equal outputs or fewer inputs than them"
	}
	cnt := map[int64]int{}
	for _, o := range v.tx.TxOut {
		cnt[o.Value]++
	}
	unique := 0
	for _, c := range cnt {
		if c == 1 {
			unique++
		}
	}
	if unique < 2 {
		return "fewer than 2 unique-value outputs"
	}
	return ""
}

func checkWasabi2(v txView) string {
	for _, c := range v.inClass {
		if c != "p2wpkh" && c != "p2tr" {
			return "input not P2WPKH/P2TR"
		}
	}
	std := 0
	for i, o := range v.tx.TxOut {
		if c := scriptClass(o.PkScript); c != "p2wpkh" && c != "p2tr" {
			return "output not P2WPKH/P2TR"
		}
		if i > 0 && o.Value > v.tx.TxOut[i-1].Value {
			return "outputs not sorted by value descending"
		}
		if isStandardDenom(o.Value) {
			std++
		}
	}
	for i := 1; i < len(v.inVal); i++ {
		if v.inVal[i] > v.inVal[i-1] {
			return "inputs not sorted by value descending"
		}
	}
	if 10*std <= 8*len(v.tx.TxOut) {
		return "not >80% standard denominations"
	}
	if len(v.tx.TxIn) < 20 {
		return "fewer than 20 inputs"
	}
	return ""
}

var pools = map[int64]int64{100_000: 5_000, 1_000_000: 50_000, 5_000_000: 175_000, 50_000_000: 1_750_000}

func checkWhirlpool(v txView) string {
	n := len(v.tx.TxIn)
	if n < 5 || n > 8 || len(v.tx.TxOut) != n {
		return "not 5–8 inputs and as many outputs"
	}
	pool := v.tx.TxOut[0].Value
	if _, ok := pools[pool]; !ok {
		return "output value is not a pool denomination"
	}
	for _, o := range v.tx.TxOut {
		if o.Value != pool || scriptClass(o.PkScript) != "p2wpkh" {
			return "outputs not all P2WPKH at the pool value"
		}
	}
	entrants := 0
	for i, iv := range v.inVal {
		if v.inClass[i] != "p2wpkh" {
			return "input not P2WPKH"
		}
		if iv < pool || iv > pool+110_000 {
			return "input outside [pool, pool+110000]"
		}
		if iv > pool {
			entrants++
		}
	}
	if entrants < 1 || entrants > 4 {
		return "not 1–4 new entrants"
	}
	return ""
}

func checkTx0(v txView) string {
	opret := 0
	for _, o := range v.tx.TxOut {
		if scriptClass(o.PkScript) == "op_return" {
			opret++
		}
	}
	if opret != 1 {
		return "not exactly one OP_RETURN"
	}
	val, n := mostFrequent(v.tx)
	if n > 70 {
		return "more than 70 premix outputs"
	}
	for pool, fee := range pools {
		if val < pool+100 || val > pool+110_000 {
			continue
		}
		fees := 0
		for _, o := range v.tx.TxOut {
			if o.Value == fee {
				fees++
			}
		}
		if fees != 1 {
			return "no single coordinator fee output at the pool fee"
		}
		if rest := len(v.tx.TxOut) - n - 1 - opret; rest > 1 {
			return "more than one change output"
		}
		return ""
	}
	return "premix value fits no pool"
}

func checkJoinMarket(v txView) string {
	val, n := mostFrequent(v.tx)
	if n < 3 || n > distinct(v.inPk) {
		return "equal-output count not in [3, distinct input scripts]"
	}
	if 2*n < len(v.tx.TxOut) {
		return "equal outputs fewer than half the outputs"
	}
	var outPk []string
	other := 0
	for _, o := range v.tx.TxOut {
		outPk = append(outPk, string(o.PkScript))
		if o.Value != val {
			other++
		}
	}
	if distinct(outPk) != len(outPk) {
		return "output scripts not distinct"
	}
	if other == 0 {
		return "no maker change output"
	}
	return ""
}

// TestCoinJoinShapes checks every CoinJoin of a lazarus run against the
// published rules of its kind.
func TestCoinJoinShapes(t *testing.T) {
	dir, _ := lazarus(t)
	cv := decodeChain(t, dir)
	checks := map[string]func(txView) string{
		KindWasabi1: checkWasabi1, KindWasabi2: checkWasabi2, KindWhirlpool: checkWhirlpool,
		KindWhirlTx0: checkTx0, KindJoinMarket: checkJoinMarket,
	}
	count := map[string]int{}
	generic := map[string]int{}
	for _, r := range readRecords(t, dir) {
		check := checks[r.Kind]
		if r.Type != "tx" || check == nil {
			continue
		}
		id, _ := chainhash.NewHashFromStr(r.Txid)
		v := view(cv, cv.txs[*id])
		if msg := check(v); msg != "" {
			t.Errorf("%s %s: %s", r.Kind, r.Txid, msg)
		}
		count[r.Kind]++
		if blockSciCoinjoin(v) {
			generic[r.Kind]++
		}
	}
	for k := range checks {
		if count[k] == 0 {
			t.Errorf("no %s transaction in the run", k)
		}
		t.Logf("%-24s %5d txs, BlockSci generic rule fires on %d", k, count[k], generic[k])
	}
	// JoinMarket's shape (n equal outputs, n−1 or n changes) is what the
	// generic rule describes: it must fire on every one.
	if generic[KindJoinMarket] != count[KindJoinMarket] {
		t.Errorf("BlockSci rule fires on %d of %d JoinMarket txs", generic[KindJoinMarket], count[KindJoinMarket])
	}
}
