package classify

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// Protocol constants (docs/classify.md gives the sources).
var (
	// whirlpoolPools are the Whirlpool pool denominations in sat, and
	// whirlpoolFees the coordinator fee a Tx0 pays for each.
	whirlpoolPools = [...]int64{100_000, 1_000_000, 5_000_000, 50_000_000}
	whirlpoolFees  = [...]int64{5_000, 50_000, 175_000, 1_750_000}
	// wasabiStaticFee are the keys of the two static coordinator fee
	// addresses Wasabi 1 paid before height 610,000.
	wasabiStaticFee = [][]byte{
		mustKey("bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew"),
		mustKey("bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw"),
	}
)

const (
	// whirlpoolMaxExcess bounds what a mix input may hold above the pool
	// value, and a Tx0 premix output above the pool (which must be at
	// least whirlpoolMinExcess over it).
	whirlpoolMaxExcess = 110_000
	whirlpoolMinExcess = 100
	// tx0MaxPremix is the most premix outputs a Tx0 creates.
	tx0MaxPremix = 70
	// jmDust is JoinMarket's BITCOIN_DUST_THRESHOLD (jmclient's
	// configure.py): JoinMarket creates no output below it, so no CoinJoin
	// amount either.
	jmDust = 2_730
	// blockSciDust1 and blockSciDust2 are the two values BlockSci's
	// isCoinjoin refuses as the equal value (its only value exclusion).
	blockSciDust1, blockSciDust2 = 546, 2_730
	// dumplingsMargin is the margin of Dumplings' "other CoinJoin" rule:
	// the largest input is at most v + the largest other output − 0.0001 BTC.
	dumplingsMargin = 10_000
	// wasabi1Base is the ZeroLink base denomination (0.1 BTC), matched
	// within wasabi1Tolerance; mixing levels are 2^i times it.
	wasabi1Base      = 10_000_000
	wasabi1Tolerance = 2_000_000
	wasabi1MinEqual  = 10
	// Wasabi 2 standard denominations lie in [wasabi2MinDenom, wasabi2MaxDenom].
	wasabi2MinDenom = 5_000
	wasabi2MaxDenom = 134_375_000_000
	// wasabi2MinInputs is the smallest round accepted (coordinators since
	// 2024 run rounds far below the 50 inputs of 2022).
	wasabi2MinInputs = 5
)

func mustKey(addr string) []byte {
	a, err := chain.ParseAddr(addr, nil)
	if err != nil {
		panic(err)
	}
	return a.Key()
}

// run is a distinct spendable output value and how often it occurs.
type run struct {
	v int64
	n int
}

// Classifier classifies txs, reusing its scratch memory between calls. The
// zero value is ready; a Classifier is not safe for concurrent use.
type Classifier struct {
	vals   []int64
	runs   []run
	hashes []uint64
	detail bool
	out    []Result

	// Facts of the current tx.
	tx        *Tx
	nIn, nOut int // inputs; spendable (non-OP_RETURN) outputs
	nOpRet    int
	known     int   // inputs whose spent output is known
	inSum     int64 // of the known inputs
	outSum    int64
	top       run // most frequent spendable value (ties: the larger value)
	// Computed by distinct() when a rule needs them.
	haveDistinct bool
	distinctIn   int  // distinct input address keys, unknown inputs counted as distinct
	distinctOut  int  // distinct output address keys, outputs without one counted as distinct
	keysDistinct bool // all output address keys distinct
}

// Classify returns the kinds of tx with their evidence (nil when none).
func Classify(tx *Tx) []Result {
	var c Classifier
	return c.Classify(tx, nil)
}

// Classify appends tx's kinds with confidence, rule and evidence to dst.
func (c *Classifier) Classify(tx *Tx, dst []Result) []Result {
	c.detail = true
	c.out = dst
	c.run(tx)
	out := c.out
	c.out, c.tx = nil, nil
	return out
}

// Set returns tx's kinds only (no evidence strings: the fast path ingest
// uses). It always equals SetOfResults(Classify(tx)).
func (c *Classifier) Set(tx *Tx) Set {
	c.detail = false
	c.out = c.out[:0]
	c.run(tx)
	s := SetOfResults(c.out)
	c.tx = nil
	return s
}

func (c *Classifier) emit(k Kind, conf float64, rule string, evidence func() string) {
	r := Result{Kind: k, Confidence: roundConf(conf), Rule: rule}
	if c.detail {
		r.Evidence = evidence()
	}
	c.out = append(c.out, r)
}

func roundConf(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func (c *Classifier) run(tx *Tx) {
	c.tx = tx
	if tx.Coinbase {
		c.emit(Coinbase, 1, "coinbase", func() string { return "the only input is a coinbase input" })
		return
	}
	c.facts()
	if c.nIn == 0 || c.nOut+c.nOpRet == 0 {
		return
	}
	// A Tx0 (single-owner, needs no input values) is recognised first: its
	// premix outputs are equal by design. Otherwise the CoinJoin kinds: the
	// most specific rule that fires wins (the order of the checks).
	// Stonewall is no veto: it is reported beside a CoinJoin kind when both
	// hold (Dumplings' rule counts two-equal-output txs as CoinJoins).
	if c.tx0() {
		return
	}
	cj := true
	switch {
	case c.whirlpool():
	case c.wasabi1(true):
	case c.wasabi2():
	case c.wasabi1(false):
	case c.joinMarket():
	case c.generic():
	default:
		cj = false
	}
	c.stonewall()
	if cj {
		return
	}
	c.peel()
	c.consolidation()
	c.batch()
}

// facts computes the counts every rule reads.
func (c *Classifier) facts() {
	tx := c.tx
	c.nIn, c.nOut, c.nOpRet, c.known = len(tx.Ins), 0, 0, 0
	c.inSum, c.outSum = 0, 0
	c.vals = c.vals[:0]
	for i := range tx.Outs {
		o := &tx.Outs[i]
		if o.Type == chain.OpReturn {
			c.nOpRet++
			continue
		}
		c.nOut++
		c.outSum += o.Value
		c.vals = append(c.vals, o.Value)
	}
	for i := range tx.Ins {
		if tx.Ins[i].Known {
			c.known++
			c.inSum += tx.Ins[i].Value
		}
	}
	slices.Sort(c.vals)
	c.runs = c.runs[:0]
	c.top = run{}
	for i := 0; i < len(c.vals); {
		j := i + 1
		for j < len(c.vals) && c.vals[j] == c.vals[i] {
			j++
		}
		r := run{c.vals[i], j - i}
		c.runs = append(c.runs, r)
		if r.n >= c.top.n {
			c.top = r
		}
		i = j
	}
	c.haveDistinct = false
}

// distinct computes, on first use per tx, the distinct input addresses
// (unknown inputs counted as distinct) and whether all output addresses
// are distinct. Keys are compared by their 64-bit hashes.
func (c *Classifier) distinct() {
	if c.haveDistinct {
		return
	}
	c.haveDistinct = true
	h := c.hashes[:0]
	for i := range c.tx.Ins {
		if in := &c.tx.Ins[i]; in.Known && in.Key != nil {
			h = append(h, xxhash.Sum64(in.Key))
		}
	}
	unknown := c.nIn - len(h)
	c.distinctIn = unknown + countDistinct(h)
	h = h[:0]
	for i := range c.tx.Outs {
		if k := c.tx.Outs[i].Key; k != nil {
			h = append(h, xxhash.Sum64(k))
		}
	}
	d := countDistinct(h)
	c.keysDistinct = d == len(h)
	c.distinctOut = d + len(c.tx.Outs) - len(h)
	c.hashes = h
}

// countDistinct sorts h and counts its distinct values.
func countDistinct(h []uint64) int {
	if len(h) < 2 {
		return len(h)
	}
	slices.Sort(h)
	n := 1
	for i := 1; i < len(h); i++ {
		if h[i] != h[i-1] {
			n++
		}
	}
	return n
}

// unknownNote words the inputs whose spent outputs are unknown ("" when
// all are known) and the confidence factor that goes with it.
func (c *Classifier) unknownNote() (string, float64) {
	if u := c.nIn - c.known; u > 0 {
		return fmt.Sprintf("; missing evidence: spent outputs of %d of %d inputs unknown", u, c.nIn), 0.85
	}
	return "", 1
}

func (c *Classifier) allOuts(ok func(chain.ScriptType) bool) bool {
	for i := range c.tx.Outs {
		if t := c.tx.Outs[i].Type; t != chain.OpReturn && !ok(t) {
			return false
		}
	}
	return true
}

// knownInsAre reports whether every known input's type satisfies ok.
func (c *Classifier) knownInsAre(ok func(chain.ScriptType) bool) bool {
	for i := range c.tx.Ins {
		if in := &c.tx.Ins[i]; in.Known && !ok(in.Type) {
			return false
		}
	}
	return true
}

func isP2WPKH(t chain.ScriptType) bool      { return t == chain.P2WPKH }
func isP2WPKHorTR(t chain.ScriptType) bool  { return t == chain.P2WPKH || t == chain.P2TR }
func sat(v int64) string                    { return fmt.Sprintf("%d sat", v) }
func plural(n int, one, many string) string { return map[bool]string{true: one, false: many}[n == 1] }

// whirlpool: 5–8 inputs and as many outputs, every output exactly a pool
// value, every input within [pool, pool+110,000] with at least one new
// entrant above the pool (premixers pay the mining fee).
func (c *Classifier) whirlpool() bool {
	if c.nOpRet != 0 || c.nOut < 5 || c.nOut > 8 || c.nIn != c.nOut || c.top.n != c.nOut {
		return false
	}
	pool := c.top.v
	if !slices.Contains(whirlpoolPools[:], pool) {
		return false
	}
	entrants := 0
	for i := range c.tx.Ins {
		in := &c.tx.Ins[i]
		if !in.Known {
			continue
		}
		if in.Value < pool || in.Value > pool+whirlpoolMaxExcess {
			return false
		}
		if in.Value > pool {
			entrants++
		}
	}
	if c.known == c.nIn && entrants == 0 {
		return false
	}
	note, f := c.unknownNote()
	external := c.nOut - countTypes(c.tx.Outs, chain.P2WPKH)
	c.emit(Whirlpool, 0.99*f, "whirlpool-mix", func() string {
		s := fmt.Sprintf("%d inputs, %d outputs of exactly %s (a Whirlpool pool); known inputs within [pool, pool+%d]; %d new %s",
			c.nIn, c.nOut, sat(pool), whirlpoolMaxExcess, entrants, plural(entrants, "entrant", "entrants"))
		if external > 0 {
			s += fmt.Sprintf("; %d external (non-P2WPKH) %s", external, plural(external, "output", "outputs"))
		}
		return s + note
	})
	return true
}

func countTypes(outs []Output, t chain.ScriptType) int {
	n := 0
	for i := range outs {
		if outs[i].Type == t {
			n++
		}
	}
	return n
}

// tx0: one OP_RETURN, exactly one output of a pool's coordinator fee, 1–70
// equal premix outputs in [pool+100, pool+110,000] for that pool, and at
// most three other (change) outputs. Needs no input values.
func (c *Classifier) tx0() bool {
	if c.nOpRet != 1 {
		return false
	}
	pool, fee := int64(-1), int64(0)
	for _, r := range c.runs {
		if i := slices.Index(whirlpoolFees[:], r.v); i >= 0 && r.n == 1 {
			if pool >= 0 {
				return false // two fee-like outputs
			}
			pool, fee = whirlpoolPools[i], r.v
		}
	}
	if pool < 0 {
		return false
	}
	var premix run
	for _, r := range c.runs {
		if r.v >= pool+whirlpoolMinExcess && r.v <= pool+whirlpoolMaxExcess && r.n > premix.n {
			premix = r
		}
	}
	if premix.n == 0 || premix.n > tx0MaxPremix {
		return false
	}
	change := c.nOut - 1 - premix.n
	if change > 3 {
		return false
	}
	c.emit(WhirlpoolTx0, 0.97, "whirlpool-tx0", func() string {
		return fmt.Sprintf("one OP_RETURN; coordinator fee output of %s (pool %s); %d premix %s of %s (pool + %d); %d change %s",
			sat(fee), sat(pool), premix.n, plural(premix.n, "output", "outputs"), sat(premix.v), premix.v-pool, change, plural(change, "output", "outputs"))
	})
	return true
}

// wasabi1: ZeroLink. All P2WPKH; the most frequent value occurs ≥10 times
// with at least as many inputs; and either (static) an output pays one of
// the static coordinator fee addresses, or (denomination) the value is
// 0.1 BTC ± 0.02 and at least two outputs have unique values (change,
// coordinator fee).
func (c *Classifier) wasabi1(static bool) bool {
	if c.nOpRet != 0 || c.top.n < wasabi1MinEqual || c.nIn < c.top.n || !c.allOuts(isP2WPKH) || !c.knownInsAre(isP2WPKH) {
		return false
	}
	note, f := c.unknownNote()
	if static {
		for i := range c.tx.Outs {
			for _, k := range wasabiStaticFee {
				if bytes.Equal(c.tx.Outs[i].Key, k) {
					c.emit(Wasabi1, 0.99, "wasabi1-static-fee", func() string {
						return fmt.Sprintf("all P2WPKH; %d equal outputs of %s; %d inputs; output %d pays Wasabi's static coordinator fee address%s",
							c.top.n, sat(c.top.v), c.nIn, i, note)
					})
					return true
				}
			}
		}
		return false
	}
	if d := c.top.v - wasabi1Base; d < -wasabi1Tolerance || d > wasabi1Tolerance {
		return false
	}
	unique, levels := 0, 0
	for _, r := range c.runs {
		if r.n == 1 {
			unique++
		}
		for lv := int64(2); lv <= 64; lv *= 2 {
			if r.n >= 2 && r.v >= lv*c.top.v-lv*c.top.v/100 && r.v <= lv*c.top.v {
				levels++
			}
		}
	}
	if unique < 2 {
		return false
	}
	c.emit(Wasabi1, 0.9*f, "wasabi1-denomination", func() string {
		return fmt.Sprintf("all P2WPKH; %d equal outputs of %s (0.1 BTC ± 0.02); %d inputs; %d unique-valued outputs; %d higher mixing %s%s",
			c.top.n, sat(c.top.v), c.nIn, unique, levels, plural(levels, "level", "levels"), note)
	})
	return true
}

// isStdDenom reports whether v is a Wasabi 2 standard denomination: 2^n,
// 3^n, 2·3^n, 10^n, 2·10^n or 5·10^n sat within [5,000 sat, 1,343.75 BTC].
func isStdDenom(v int64) bool {
	if v < wasabi2MinDenom || v > wasabi2MaxDenom {
		return false
	}
	if v&(v-1) == 0 {
		return true
	}
	w := v
	if w%2 == 0 {
		w /= 2
	}
	for w%3 == 0 {
		w /= 3
	}
	if w == 1 {
		return true
	}
	for _, m := range [...]int64{1, 2, 5} {
		if v%m != 0 {
			continue
		}
		w := v / m
		for w%10 == 0 {
			w /= 10
		}
		if w == 1 {
			return true
		}
	}
	return false
}

// wasabi2: WabiSabi. P2WPKH/P2TR only; ≥5 inputs and outputs; outputs (and
// known inputs) sorted by value descending; over 80 % of the outputs are
// standard denominations, of at least two values, one of them repeated
// (each participant's coins are decomposed into several denominations).
func (c *Classifier) wasabi2() bool {
	tx := c.tx
	if c.nOpRet != 0 || c.nIn < wasabi2MinInputs || c.nOut < wasabi2MinInputs || !c.allOuts(isP2WPKHorTR) || !c.knownInsAre(isP2WPKHorTR) {
		return false
	}
	for i := 1; i < len(tx.Outs); i++ {
		if tx.Outs[i].Value > tx.Outs[i-1].Value {
			return false
		}
	}
	var prev int64 = -1
	for i := range tx.Ins {
		if in := &tx.Ins[i]; in.Known {
			if prev >= 0 && in.Value > prev {
				return false
			}
			prev = in.Value
		}
	}
	std, denoms, repeated := 0, 0, false
	for _, r := range c.runs {
		if isStdDenom(r.v) {
			std += r.n
			denoms++
			repeated = repeated || r.n >= 2
		}
	}
	if !repeated || denoms < 2 || std*5 <= c.nOut*4 {
		return false
	}
	note, f := c.unknownNote()
	c.emit(Wasabi2, 0.95*f, "wasabi2-denominations", func() string {
		return fmt.Sprintf("P2WPKH/P2TR only; %d inputs, %d outputs, sorted by value descending; %d of %d outputs (%.0f%%) standard denominations%s",
			c.nIn, c.nOut, std, c.nOut, 100*float64(std)/float64(c.nOut), note)
	})
	return true
}

// joinMarket: one value v (at least JoinMarket's dust threshold) repeated more often than any
// other, n times, with 3 ≤ n ≤ distinct input addresses, n ≥ outputs/2, all
// output addresses distinct, and at least n−1 outputs of other values: each
// maker gets change back (its offer's coins exceed the amount), the taker
// may sweep (two makers' changes may be equal).
func (c *Classifier) joinMarket() bool {
	n, v := c.top.n, c.top.v
	if n < 3 || v < jmDust || 2*n < c.nOut || c.nOut-n < n-1 {
		return false
	}
	if c.distinct(); n > c.distinctIn || !c.keysDistinct {
		return false
	}
	for _, r := range c.runs {
		if r.n == n && r.v != v {
			return false // no single CoinJoin amount
		}
	}
	note, f := c.unknownNote()
	c.emit(JoinMarket, 0.85*f, "joinmarket", func() string {
		return fmt.Sprintf("%d equal outputs of %s among %d; %d distinct input addresses; all output addresses distinct; %d other outputs (change)%s",
			n, sat(v), c.nOut, c.distinctIn, c.nOut-n, note)
	})
	return true
}

func (c *Classifier) stonewallShape() bool {
	return c.nIn >= 2 && c.nOut >= 3 && c.nOut <= 4 && c.nOpRet == 0 && c.top.n == 2
}

// repeatedValues counts the values occurring more than once.
func (c *Classifier) repeatedValues() int {
	k := 0
	for _, r := range c.runs {
		if r.n > 1 {
			k++
		}
	}
	return k
}

// stonewall: 3–4 outputs, ≥2 inputs, a value appearing exactly twice and
// none more often (a STONEWALL's payment and decoy, in a STONEWALLx2
// possibly also two equal changes). It co-occurs with a CoinJoin kind.
func (c *Classifier) stonewall() bool {
	if !c.stonewallShape() {
		return false
	}
	pairs := c.repeatedValues()
	c.emit(Stonewall, 0.7, "stonewall", func() string {
		return fmt.Sprintf("%d inputs, %d outputs; %s appears exactly twice (%d equal %s), none more often", c.nIn, c.nOut, sat(c.top.v), pairs, plural(pairs, "pair", "pairs"))
	})
	return true
}

// generic: an equal-output CoinJoin with no known coordinator, by
// Dumplings' "other CoinJoin" rule or else BlockSci's isCoinjoin, which
// the Stonewall shape vetoes (DESIGN.md §3; Dumplings' rule has its own
// filter, the bound on the largest input, and no veto).
//
// A Stonewall-shaped tx that spends a Whirlpool postmix coin (a known
// P2WPKH input of exactly a pool value) is Samourai Wallet's STONEWALL
// spend from postmix, which the wallet builds to look like a two-party
// CoinJoin; it is reported as `stonewall` only (Dumplings, too, files a
// tx that spends a Whirlpool output as postmix, not as another CoinJoin).
func (c *Classifier) generic() bool {
	if c.stonewallShape() {
		if c.spendsPostmix() {
			return false
		}
		return c.dumplingsOther()
	}
	return c.dumplingsOther() || c.blockSci()
}

// spendsPostmix reports whether a known input is a P2WPKH coin of exactly
// a Whirlpool pool value (a mix output).
func (c *Classifier) spendsPostmix() bool {
	for i := range c.tx.Ins {
		in := &c.tx.Ins[i]
		if !in.Known || in.Type != chain.P2WPKH {
			continue
		}
		for _, p := range whirlpoolPools {
			if in.Value == p {
				return true
			}
		}
	}
	return false
}

// dumplingsOther is Dumplings' rule for "other" equal-output CoinJoins
// (crocs-muni/Dumplings, Dumplings/Scanning/Scanner.cs): exactly one value
// v occurs more than once, n times; n = outputs−n (a change for each) or
// n = outputs−n+1 (the taker sweeps); at least n distinct output and input
// addresses; the largest input ≤ v + the largest other output − 10,000
// sat. Outputs count OP_RETURNs, as there.
func (c *Classifier) dumplingsOther() bool {
	n, v := c.top.n, c.top.v
	all := c.nOut + c.nOpRet
	if n < 2 || c.repeatedValues() != 1 || c.nOpRet > 1 || (n != all-n && n != all-n+1) {
		return false
	}
	var other int64 // the largest other output (an OP_RETURN's value counts)
	for i := range c.tx.Outs {
		if o := &c.tx.Outs[i]; o.Value != v && o.Value > other {
			other = o.Value
		}
	}
	var maxIn int64
	for i := range c.tx.Ins {
		if in := &c.tx.Ins[i]; in.Known && in.Value > maxIn {
			maxIn = in.Value
		}
	}
	if maxIn > v+other-dumplingsMargin {
		return false
	}
	if c.distinct(); n > c.distinctIn || n > c.distinctOut {
		return false
	}
	note, f := c.unknownNote()
	c.emit(CoinJoin, 0.7*f, "dumplings-other-coinjoin", func() string {
		return fmt.Sprintf("%d of %d outputs are %s, the only repeated value; %d distinct input and %d distinct output addresses; largest input %s ≤ %s + largest other output %s − %d%s",
			n, all, sat(v), c.distinctIn, c.distinctOut, sat(maxIn), sat(v), sat(other), dumplingsMargin, note)
	})
	return true
}

// blockSci: BlockSci's isCoinjoin (heuristics/tx_identification.cpp): ≥2
// inputs, ≥3 outputs (OP_RETURNs count, as there); p = ⌊(outputs+1)/2⌋ ≤
// inputs and ≤ distinct input addresses; the most frequent value occurs
// exactly p times and is neither 546 nor 2,730 sat.
func (c *Classifier) blockSci() bool {
	all := c.nOut + c.nOpRet
	p := (all + 1) / 2
	if c.nIn < 2 || all < 3 || p > c.nIn || c.top.n != p || c.top.v == blockSciDust1 || c.top.v == blockSciDust2 {
		return false
	}
	if c.distinct(); p > c.distinctIn {
		return false
	}
	note, f := c.unknownNote()
	c.emit(CoinJoin, 0.7*f, "blocksci-equal-output", func() string {
		return fmt.Sprintf("%d of %d outputs are %s (p = ⌊(%d+1)/2⌋); %d inputs, %d distinct input addresses%s",
			p, all, sat(c.top.v), all, c.nIn, c.distinctIn, note)
	})
	return true
}

// peel: one input, two spendable outputs, the larger holding ≥ 80 % of the
// value: the shape of a peel-chain hop (whether the chain goes on is a
// question for the graph, not for one tx).
func (c *Classifier) peel() {
	if c.nIn != 1 || c.nOut != 2 || c.outSum <= 0 {
		return
	}
	big := max(c.vals[0], c.vals[1])
	if big*5 < c.outSum*4 {
		return
	}
	c.emit(Peel, 0.5, "peel-hop", func() string {
		return fmt.Sprintf("1 input, 2 outputs; the larger (%s) holds %.1f%% of the output value", sat(big), 100*float64(big)/float64(c.outSum))
	})
}

// consolidation: ≥3 inputs into one output, or ≥5 into two.
func (c *Classifier) consolidation() {
	if !(c.nIn >= 3 && c.nOut == 1 || c.nIn >= 5 && c.nOut == 2) {
		return
	}
	conf := 0.8
	if c.nOut == 2 {
		conf = 0.6
	}
	c.emit(Consolidation, conf, "consolidation", func() string {
		return fmt.Sprintf("%d inputs into %d %s", c.nIn, c.nOut, plural(c.nOut, "output", "outputs"))
	})
}

// batch: 1–3 inputs paying ≥5 outputs.
func (c *Classifier) batch() {
	if c.nIn > 3 || c.nOut < 5 {
		return
	}
	c.emit(Batch, 0.7, "batch", func() string {
		return fmt.Sprintf("%d %s paying %d outputs", c.nIn, plural(c.nIn, "input", "inputs"), c.nOut)
	})
}

// describe is a one-line summary of results for text output.
func describe(rs []Result) string {
	if len(rs) == 0 {
		return "-"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s (%.2f, %s): %s", r.Kind, r.Confidence, r.Rule, r.Evidence)
	}
	return strings.Join(parts, "; ")
}

// Describe is describe, exported for the CLI.
func Describe(rs []Result) string { return describe(rs) }
