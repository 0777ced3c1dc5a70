package classify

import (
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/sim"
)

// Builders of test txs. Keys are distinct per (type, n).
func key(t chain.ScriptType, n int) []byte {
	k := []byte{byte(t)}
	size := 20
	if t == chain.P2TR || t == chain.P2WSH {
		size = 32
	}
	p := make([]byte, size)
	p[0], p[1] = byte(n), byte(n>>8)
	return append(k, p...)
}

func in(v int64, t chain.ScriptType, n int) Input {
	return Input{Known: true, Value: v, Type: t, Key: key(t, n)}
}

func out(v int64, t chain.ScriptType, n int) Output {
	return Output{Value: v, Type: t, Key: key(t, 1000+n)}
}

func opReturn() Output { return Output{Type: chain.OpReturn} }

func wpkhIns(vals ...int64) []Input {
	ins := make([]Input, len(vals))
	for i, v := range vals {
		ins[i] = in(v, chain.P2WPKH, i)
	}
	return ins
}

func wpkhOuts(vals ...int64) []Output {
	outs := make([]Output, len(vals))
	for i, v := range vals {
		outs[i] = out(v, chain.P2WPKH, i)
	}
	return outs
}

func repeat(v int64, n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func cat(xs ...[]int64) []int64 {
	var s []int64
	for _, x := range xs {
		s = append(s, x...)
	}
	return s
}

func unknown(ins []Input, n int) []Input {
	for i := 0; i < n && i < len(ins); i++ {
		ins[i] = Input{}
	}
	return ins
}

func feeOut(o []Output) []Output {
	return append(o, Output{Value: 30_000, Type: chain.P2WPKH, Key: wasabiStaticFee[0]})
}

// TestClassify checks each rule on txs built to the protocols' shapes, and
// the near misses each rule must refuse.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		tx   Tx
		want Set
		conf map[Kind]float64 // optional exact confidences
		ev   string           // substring of some evidence
	}{{
		name: "coinbase",
		tx:   Tx{Coinbase: true, Ins: []Input{{}}, Outs: wpkhOuts(625_000_000)},
		want: SetOf(Coinbase),
	}, {
		name: "whirlpool 5x5, two new entrants",
		tx:   Tx{Ins: wpkhIns(cat(repeat(1_000_000, 3), []int64{1_003_932, 1_004_235})...), Outs: wpkhOuts(repeat(1_000_000, 5)...)},
		want: SetOf(Whirlpool), conf: map[Kind]float64{Whirlpool: 0.99},
	}, {
		name: "whirlpool 8x8 paying an external P2WSH",
		tx: Tx{Ins: wpkhIns(cat(repeat(5_000_000, 6), []int64{5_007_612, 5_008_470})...),
			Outs: append(wpkhOuts(repeat(5_000_000, 7)...), out(5_000_000, chain.P2WSH, 9))},
		want: SetOf(Whirlpool), ev: "1 external",
	}, {
		name: "whirlpool with unknown prevouts: lower confidence",
		tx:   Tx{Ins: unknown(wpkhIns(cat(repeat(100_000, 4), []int64{103_932})...), 5), Outs: wpkhOuts(repeat(100_000, 5)...)},
		want: SetOf(Whirlpool), conf: map[Kind]float64{Whirlpool: 0.84}, ev: "missing evidence: spent outputs of 5 of 5 inputs unknown",
	}, {
		name: "not whirlpool: an input above pool+110,000",
		tx:   Tx{Ins: wpkhIns(cat(repeat(1_000_000, 4), []int64{1_200_000})...), Outs: wpkhOuts(repeat(1_000_000, 5)...)},
		want: 0, // and no generic CoinJoin: 5 equal of 5 outputs is not p = 3
	}, {
		name: "not whirlpool: no new entrant (no one pays the fee)",
		tx:   Tx{Ins: wpkhIns(repeat(1_000_000, 5)...), Outs: wpkhOuts(repeat(1_000_000, 5)...)},
		want: 0,
	}, {
		name: "not whirlpool: not a pool value",
		tx:   Tx{Ins: wpkhIns(repeat(2_000_500, 6)...), Outs: wpkhOuts(repeat(2_000_000, 6)...)},
		want: 0,
	}, {
		name: "whirlpool tx0: 0.01 pool, 3 premixes, fee, change",
		tx: Tx{Ins: wpkhIns(4_000_000), Outs: append([]Output{opReturn()},
			wpkhOuts(1_004_235, 1_004_235, 1_004_235, 50_000, 900_000)...)},
		want: SetOf(WhirlpoolTx0), ev: "pool 1000000",
	}, {
		name: "whirlpool tx0 with unknown prevouts: outputs suffice",
		tx: Tx{Ins: []Input{{}}, Outs: append([]Output{opReturn()},
			wpkhOuts(108_400, 5_000, 28_678)...)},
		want: SetOf(WhirlpoolTx0),
	}, {
		name: "not tx0: fee of another pool than the premixes",
		tx: Tx{Ins: wpkhIns(4_000_000), Outs: append([]Output{opReturn()},
			wpkhOuts(1_004_235, 1_004_235, 175_000, 900_000)...)},
		want: 0,
	}, {
		name: "not tx0: no OP_RETURN",
		tx:   Tx{Ins: wpkhIns(4_000_000), Outs: wpkhOuts(1_004_235, 1_004_235, 50_000, 900_000)},
		want: 0,
	}, {
		name: "wasabi1 with the static coordinator fee address",
		tx:   Tx{Ins: wpkhIns(cat(repeat(5_100_000, 12), []int64{9_000_000})...), Outs: feeOut(wpkhOuts(cat(repeat(5_006_353, 12), []int64{3_000_000, 1_000_000})...))},
		want: SetOf(Wasabi1), conf: map[Kind]float64{Wasabi1: 0.99}, ev: "static coordinator fee",
	}, {
		name: "wasabi1.1 by denomination with mixing levels",
		tx: Tx{Ins: wpkhIns(cat(repeat(12_000_000, 50), repeat(25_000_000, 5))...),
			Outs: wpkhOuts(cat(repeat(10_989_230, 45), repeat(21_976_658, 5), []int64{1_000_001, 2_000_002, 3_000_003})...)},
		want: SetOf(Wasabi1), conf: map[Kind]float64{Wasabi1: 0.9}, ev: "higher mixing level",
	}, {
		name: "not wasabi1: a P2PKH output",
		tx: Tx{Ins: wpkhIns(repeat(12_000_000, 12)...),
			Outs: append(wpkhOuts(cat(repeat(10_000_000, 11), []int64{1_000_001, 2_000_002})...), out(10_000_000, chain.P2PKH, 50))},
		want: 0, // nor JoinMarket: 12 equal outputs but 3 others, not a change for each of 11 makers
	}, {
		name: "wasabi2: P2WPKH and P2TR, sorted descending, standard denominations",
		tx: Tx{Ins: []Input{in(40_000_000, chain.P2TR, 1), in(20_000_000, chain.P2WPKH, 2), in(10_000_000, chain.P2TR, 3), in(6_000_000, chain.P2WPKH, 4), in(5_000_000, chain.P2WPKH, 5), in(2_200_000, chain.P2TR, 6)},
			Outs: []Output{out(20_000_000, chain.P2TR, 1), out(20_000_000, chain.P2WPKH, 2), out(10_000_000, chain.P2TR, 3), out(10_000_000, chain.P2WPKH, 4), out(5_000_000, chain.P2WPKH, 5), out(5_000_000, chain.P2TR, 6), out(4_782_969, chain.P2TR, 7), out(2_000_000, chain.P2WPKH, 8), out(1_062_882, chain.P2WPKH, 9), out(123_456, chain.P2TR, 10)}},
		want: SetOf(Wasabi2), ev: "9 of 10 outputs",
	}, {
		name: "not wasabi2: outputs not sorted",
		tx: Tx{Ins: wpkhIns(40_000_000, 20_000_000, 10_000_000, 6_000_000, 5_000_000),
			Outs: wpkhOuts(10_000_000, 20_000_000, 20_000_000, 10_000_000, 5_000_000, 5_000_000)},
		want: 0, // two repeated values: not JoinMarket; 2 of 6 is not p = 3
	}, {
		name: "joinmarket: 4 equal outputs, 3 makers' changes",
		tx:   Tx{Ins: wpkhIns(30_000_000, 25_000_000, 22_000_000, 40_000_000), Outs: wpkhOuts(20_000_000, 20_000_000, 20_000_000, 20_000_000, 5_000_300, 2_000_250, 19_990_000)},
		want: SetOf(JoinMarket),
	}, {
		name: "not joinmarket (two equal outputs to one address), still BlockSci's generic CoinJoin",
		tx:   Tx{Ins: wpkhIns(30_000_000, 25_000_000, 22_000_000, 40_000_000), Outs: append(wpkhOuts(20_000_000, 20_000_000, 20_000_000, 5_000_300, 2_000_250, 19_990_000), Output{Value: 20_000_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1000)})},
		want: SetOf(CoinJoin),
	}, {
		name: "joinmarket needs distinct input addresses: one owner's inputs do not make one",
		tx:   Tx{Ins: []Input{in(30_000_000, chain.P2WPKH, 1), in(25_000_000, chain.P2WPKH, 1), in(22_000_000, chain.P2WPKH, 1)}, Outs: wpkhOuts(20_000_000, 20_000_000, 20_000_000, 16_990_000)},
		want: 0,
	}, {
		name: "stonewall: one value twice among four outputs; largest input above Dumplings' bound (300,000 > 100,000+199,000−10,000); BlockSci vetoed",
		tx:   Tx{Ins: wpkhIns(300_000, 250_000), Outs: wpkhOuts(100_000, 100_000, 199_000, 149_000)},
		want: SetOf(Stonewall),
	}, {
		name: "stonewallx2: two equal pairs",
		tx:   Tx{Ins: wpkhIns(100_000, 100_000), Outs: wpkhOuts(90_000, 90_000, 7_018, 7_018)},
		want: SetOf(Stonewall),
	}, {
		name: "generic equal-output CoinJoin (BlockSci)",
		// Two changes to one address: not JoinMarket (all output addresses distinct).
		tx: Tx{Ins: wpkhIns(3_000_000, 3_100_000, 3_200_000), Outs: append(wpkhOuts(2_000_000, 2_000_000, 2_000_000, 999_000),
			Output{Value: 1_099_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1003)})},
		want: SetOf(CoinJoin),
	}, {
		name: "not joinmarket: 5 equal outputs, one change (makers get change back)",
		tx:   Tx{Ins: wpkhIns(3_000_000, 3_100_000, 3_200_000, 3_300_000, 3_400_000), Outs: wpkhOuts(2_000_000, 2_000_000, 2_000_000, 2_000_000, 2_000_000, 5_999_000)},
		want: 0,
	}, {
		name: "joinmarket: two makers' changes may be equal",
		tx:   Tx{Ins: wpkhIns(3_000_000, 3_100_000, 3_200_000), Outs: wpkhOuts(2_000_000, 2_000_000, 2_000_000, 999_000, 999_000)},
		want: SetOf(JoinMarket),
	}, {
		name: "three equal of four outputs: not Dumplings' shape (n ≠ outputs−n, outputs−n+1), not BlockSci's (p = 2)",
		tx:   Tx{Ins: wpkhIns(546, 546, 50_000), Outs: wpkhOuts(546, 546, 546, 48_000)},
		want: 0,
	}, {
		name: "dumplings other coinjoin: 3 equal, 3 changes (n = outputs−n)",
		// Two changes to one address: not JoinMarket; Dumplings counts 5 distinct output addresses ≥ 3.
		tx: Tx{Ins: wpkhIns(3_000_000, 3_050_000, 3_100_000), Outs: append(wpkhOuts(2_000_000, 2_000_000, 2_000_000, 990_000, 1_040_000),
			Output{Value: 1_110_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1003)})},
		want: SetOf(CoinJoin), ev: "the only repeated value",
	}, {
		name: "dumplings other coinjoin: taker sweeps (n = outputs−n+1)",
		tx: Tx{Ins: wpkhIns(2_010_000, 3_050_000, 3_100_000), Outs: append(wpkhOuts(2_000_000, 2_000_000, 2_000_000, 1_040_000),
			Output{Value: 1_110_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1003)})},
		want: SetOf(CoinJoin), ev: "largest input 3100000 sat ≤ 2000000 sat + largest other output 1110000 sat",
	}, {
		name: "dumplings other coinjoin and stonewall: largest input within the bound",
		tx:   Tx{Ins: wpkhIns(250_000, 250_000), Outs: wpkhOuts(100_000, 100_000, 160_000, 139_000)},
		want: SetOf(CoinJoin, Stonewall), ev: "dumplings-other-coinjoin",
	}, {
		name: "stonewall spending a Whirlpool postmix coin (P2WPKH of exactly a pool value): Samourai's STONEWALL, no CoinJoin kind",
		tx:   Tx{Ins: wpkhIns(1_000_000, 1_000_000), Outs: wpkhOuts(600_000, 600_000, 500_000, 299_000)},
		want: SetOf(Stonewall),
	}, {
		name: "the same shape without a pool-valued input stays a CoinJoin beside stonewall",
		tx:   Tx{Ins: wpkhIns(1_000_001, 1_000_000-1), Outs: wpkhOuts(600_000, 600_000, 500_000, 299_000)},
		want: SetOf(CoinJoin, Stonewall), ev: "dumplings-other-coinjoin",
	}, {
		name: "a pool-valued input of another script type is no postmix coin",
		tx:   Tx{Ins: []Input{in(1_000_000, chain.P2TR, 1), in(1_000_000, chain.P2TR, 2)}, Outs: wpkhOuts(600_000, 600_000, 500_000, 299_000)},
		want: SetOf(CoinJoin, Stonewall), ev: "dumplings-other-coinjoin",
	}, {
		name: "dumplings other coinjoin of postage-sized outputs (no value threshold in the rule)",
		tx:   Tx{Ins: wpkhIns(40_000, 60_000, 20_000), Outs: append([]Output{opReturn()}, wpkhOuts(330, 330, 330, 39_000, 58_000)...)},
		want: SetOf(CoinJoin), ev: "3 of 6 outputs are 330 sat",
	}, {
		name: "dumplings other coinjoin with unknown prevouts: known inputs only, lower confidence",
		tx: Tx{Ins: unknown(wpkhIns(3_000_000, 3_050_000, 3_100_000), 3), Outs: append(wpkhOuts(2_000_000, 2_000_000, 2_000_000, 990_000, 1_040_000),
			Output{Value: 1_110_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1003)})},
		want: SetOf(CoinJoin), conf: map[Kind]float64{CoinJoin: 0.6}, ev: "missing evidence: spent outputs of 3 of 3 inputs unknown",
	}, {
		name: "not dumplings: an input above v + the largest other output − 10,000 (BlockSci's rule holds)",
		tx: Tx{Ins: wpkhIns(3_000_000, 3_050_000, 3_100_001), Outs: append(wpkhOuts(2_000_000, 2_000_000, 2_000_000, 990_000, 1_040_000),
			Output{Value: 1_110_000, Type: chain.P2WPKH, Key: key(chain.P2WPKH, 1003)})},
		want: SetOf(CoinJoin), ev: "blocksci",
	}, {
		name: "Dumplings' oversized-input shape: its rule refuses; JoinMarket's structure (DESIGN.md §3) has no input bound",
		tx:   Tx{Ins: wpkhIns(1_500_000, 2_000_000, 1_000_000_000), Outs: wpkhOuts(1_000_000, 1_000_000, 1_000_000, 500_000, 1_000_001, 600_000)},
		want: SetOf(JoinMarket),
	}, {
		name: "not dumplings: two repeated values (a multi-denomination tx)",
		tx:   Tx{Ins: wpkhIns(250_000, 260_000, 270_000), Outs: wpkhOuts(100_000, 100_000, 149_000, 149_000, 159_000)},
		want: SetOf(Batch), // BlockSci: p = 3, the most frequent value occurs twice
	}, {
		name: "not dumplings: one address behind the inputs",
		tx:   Tx{Ins: []Input{in(250_000, chain.P2WPKH, 1), in(260_000, chain.P2WPKH, 1)}, Outs: wpkhOuts(100_000, 100_000, 149_000, 159_000)},
		want: SetOf(Stonewall),
	}, {
		name: "not dumplings: equal outputs to one address",
		tx:   Tx{Ins: wpkhIns(250_000, 260_000), Outs: append(wpkhOuts(100_000, 149_000, 159_000), out(100_000, chain.P2WPKH, 0))},
		want: SetOf(Stonewall),
	}, {
		name: "not dumplings: two OP_RETURNs (a second repeated value there)",
		tx:   Tx{Ins: wpkhIns(40_000, 60_000, 20_000), Outs: append([]Output{opReturn(), opReturn()}, wpkhOuts(330, 330, 330, 39_000, 58_000)...)},
		want: SetOf(Batch), // BlockSci: p = ⌊8/2⌋ = 4 ≠ 3
	}, {
		name: "blocksci: 555 sat is not among its excluded values",
		tx:   Tx{Ins: wpkhIns(40_000, 60_000, 900_000), Outs: append([]Output{opReturn()}, wpkhOuts(555, 555, 880_000)...)},
		want: SetOf(CoinJoin), ev: "p = ⌊(4+1)/2⌋",
	}, {
		name: "blocksci refuses 546",
		tx:   Tx{Ins: wpkhIns(40_000, 60_000, 900_000), Outs: append([]Output{opReturn()}, wpkhOuts(546, 546, 880_000)...)},
		want: 0,
	}, {
		name: "blocksci refuses 2,730",
		tx:   Tx{Ins: wpkhIns(40_000, 60_000, 900_000), Outs: append([]Output{opReturn()}, wpkhOuts(2_730, 2_730, 880_000)...)},
		want: 0,
	}, {
		name: "joinmarket at its dust threshold (2,730 sat)",
		tx:   Tx{Ins: wpkhIns(30_000, 25_000, 22_000), Outs: wpkhOuts(2_730, 2_730, 2_730, 27_000, 22_000, 19_000)},
		want: SetOf(JoinMarket),
	}, {
		name: "not joinmarket below its dust threshold; BlockSci's rule holds",
		tx:   Tx{Ins: wpkhIns(30_000, 25_000, 22_000), Outs: wpkhOuts(2_729, 2_729, 2_729, 27_000, 22_000, 19_000)},
		want: SetOf(CoinJoin), ev: "blocksci",
	}, {
		name: "peel hop",
		tx:   Tx{Ins: wpkhIns(10_000_000), Outs: wpkhOuts(9_400_000, 590_000)},
		want: SetOf(Peel),
	}, {
		name: "not a peel: even split",
		tx:   Tx{Ins: wpkhIns(10_000_000), Outs: wpkhOuts(5_000_000, 4_990_000)},
		want: 0,
	}, {
		name: "consolidation",
		tx:   Tx{Ins: wpkhIns(1_000, 2_000_000, 3_000_000, 400_000), Outs: wpkhOuts(5_390_000)},
		want: SetOf(Consolidation),
	}, {
		name: "batch payout",
		tx:   Tx{Ins: wpkhIns(100_000_000), Outs: wpkhOuts(1_000_000, 2_300_000, 700_000, 5_000_000, 90_000_000)},
		want: SetOf(Batch),
	}, {
		name: "empty tx",
		tx:   Tx{},
		want: 0,
	}}
	var c Classifier
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := c.Classify(&tc.tx, nil)
			got := SetOfResults(rs)
			if got != tc.want {
				t.Fatalf("got %s (%s), want %s", got, Describe(rs), tc.want)
			}
			if s := c.Set(&tc.tx); s != got {
				t.Errorf("Set = %s, Classify = %s: the fast path disagrees", s, got)
			}
			n := 0
			for _, r := range rs {
				if r.Kind.Bit()&coinJoinKinds != 0 {
					n++
				}
				if r.Confidence <= 0 || r.Confidence > 1 || r.Rule == "" || r.Evidence == "" {
					t.Errorf("incomplete result %+v", r)
				}
				if want, ok := tc.conf[r.Kind]; ok && r.Confidence != want {
					t.Errorf("%s confidence %.2f, want %.2f", r.Kind, r.Confidence, want)
				}
			}
			if n > 1 {
				t.Errorf("%d CoinJoin kinds, want at most one: %s", n, got)
			}
			if tc.ev != "" && !strings.Contains(Describe(rs), tc.ev) {
				t.Errorf("evidence %q lacks %q", Describe(rs), tc.ev)
			}
		})
	}
}

// TestStdDenomAgreesWithSimulator: the simulator lists Wasabi 2's
// denominations by generating them; the rule tests membership by factoring.
func TestStdDenomAgreesWithSimulator(t *testing.T) {
	std := sim.StandardDenominations()
	set := map[int64]bool{}
	for _, v := range std {
		set[v] = true
		if !isStdDenom(v) {
			t.Errorf("%d is a standard denomination", v)
		}
	}
	n := 0
	for v := int64(4_000); v <= 2_000_000; v++ { // every value in a range
		if isStdDenom(v) != set[v] {
			t.Fatalf("%d: rule says %v, simulator %v", v, isStdDenom(v), set[v])
		}
		if set[v] {
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d denominations in range: the test exercises little", n)
	}
}

func TestStdDenom(t *testing.T) {
	for _, v := range []int64{5_000, 8_192, 6_561, 13_122, 10_000, 20_000, 50_000, 1_594_323, 2_097_152, 100_000_000, 134_375_000_000 / 1_000 * 1_000} {
		if v == 134_375_000_000 {
			continue
		}
		if !isStdDenom(v) {
			t.Errorf("%d should be a standard denomination", v)
		}
	}
	for _, v := range []int64{4_096, 1_234_567, 30_000, 7_000, 12_345_678, 200_000_000_000} {
		if isStdDenom(v) {
			t.Errorf("%d should not be a standard denomination", v)
		}
	}
}

func TestSet(t *testing.T) {
	s := SetOf(Whirlpool, Peel)
	if !s.Has(Whirlpool) || s.Has(Wasabi1) || !s.IsCoinJoin() || !s.MultiParty() {
		t.Errorf("SetOf(whirlpool, peel) = %s: Has/IsCoinJoin/MultiParty wrong", s)
	}
	if tx0 := SetOf(WhirlpoolTx0); tx0.IsCoinJoin() || tx0.MultiParty() {
		t.Error("a Tx0 is single-owner")
	}
	if sw := SetOf(Stonewall); sw.IsCoinJoin() || !sw.MultiParty() {
		t.Error("a Stonewall is multi-party but no CoinJoin kind")
	}
	if len(Kinds) != 11 || Kinds[0] != Wasabi1 || Kinds[10] != Coinbase {
		t.Error("the kinds' bit order is stored in indexes and must not change")
	}
	if _, err := ParseKind("mixer"); err == nil {
		t.Error("ParseKind accepted an unknown kind")
	}
	if s.String() != "whirlpool+peel" || Set(0).String() != "-" {
		t.Errorf("String = %q", s.String())
	}
}
