package sim

import (
	"errors"
	"fmt"
	"slices"
)

// This file holds the CoinJoin shape generators as pure functions over
// values: they decide how many outputs of which value each participant gets,
// following the published shapes (DESIGN.md §3). The economy then attaches
// keys and builds the transactions.

// Wasabi 2 standard denominations lie between these bounds (sat).
const (
	wasabi2MinDenom = 5_000
	wasabi2MaxDenom = 134_375_000_000 // ≈ 1 343.75 BTC
)

// StandardDenominations returns Wasabi 2's standard output denominations,
// largest first: every value in [5 000 sat, 1 343.75 BTC] of the form 2^n,
// 3^n, 2·3^n, 10^n, 2·10^n or 5·10^n.
func StandardDenominations() []int64 {
	set := map[int64]bool{}
	add := func(v int64) {
		if v >= wasabi2MinDenom && v <= wasabi2MaxDenom {
			set[v] = true
		}
	}
	for v := int64(1); v <= wasabi2MaxDenom; v *= 2 {
		add(v)
	}
	for v := int64(1); v <= wasabi2MaxDenom; v *= 3 {
		add(v)
		add(2 * v)
	}
	for v := int64(1); v <= wasabi2MaxDenom; v *= 10 {
		add(v)
		add(2 * v)
		add(5 * v)
	}
	out := make([]int64, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

var standardDenoms = StandardDenominations()

// DecomposeWasabi2 splits avail satoshis into Wasabi 2 standard
// denominations, greedily from the largest, where every output costs outCost
// satoshis of mining fee. It makes at most maxOut outputs; what is left
// (smaller than the smallest denomination plus its cost, or past maxOut) is
// returned as leftover and goes to the miner, as WabiSabi clients do.
func DecomposeWasabi2(avail, outCost int64, maxOut int) (outs []int64, leftover int64) {
	rest := avail
	for _, d := range standardDenoms {
		for len(outs) < maxOut && rest >= d+outCost {
			outs = append(outs, d)
			rest -= d + outCost
		}
		if len(outs) == maxOut {
			break
		}
	}
	return outs, rest
}

// WhirlpoolPool is a Whirlpool pool: its denomination and the coordinator fee
// a Tx0 pays into it.
type WhirlpoolPool struct {
	Denom int64
	Fee   int64
}

// WhirlpoolPools are Samourai's four pools.
var WhirlpoolPools = []WhirlpoolPool{
	{100_000, 5_000},
	{1_000_000, 50_000},
	{5_000_000, 175_000},
	{50_000_000, 1_750_000},
}

// Whirlpool limits on premix values and Tx0 size.
const (
	WhirlpoolMinExcess = 100     // premix ≥ pool + 100 sat
	WhirlpoolMaxExcess = 110_000 // premix ≤ pool + 110 000 sat
	WhirlpoolMaxPremix = 70
)

// Tx0Plan is the shape of a Whirlpool Tx0.
type Tx0Plan struct {
	Pool    WhirlpoolPool
	Premix  int64 // value of each premix output
	NPremix int
	Change  int64 // 0 when there is no change output
	Fee     int64 // mining fee
}

// PlanTx0 plans a Tx0 spending total satoshis into pool with premix outputs
// worth pool+excess each. feeFor returns the mining fee of a Tx0 with n
// premix outputs and, when change is true, a change output. Change below
// dust goes to the miner. It fails when total cannot pay one premix output.
func PlanTx0(total int64, pool WhirlpoolPool, excess int64, maxPremix int, dust int64, feeFor func(n int, change bool) int64) (Tx0Plan, error) {
	if excess < WhirlpoolMinExcess || excess > WhirlpoolMaxExcess {
		return Tx0Plan{}, fmt.Errorf("whirlpool: premix excess %d outside [%d, %d]", excess, WhirlpoolMinExcess, WhirlpoolMaxExcess)
	}
	if maxPremix > WhirlpoolMaxPremix {
		maxPremix = WhirlpoolMaxPremix
	}
	premix := pool.Denom + excess
	for n := maxPremix; n >= 1; n-- {
		rest := total - int64(n)*premix - pool.Fee
		if rest < 0 {
			continue
		}
		if c := rest - feeFor(n, true); c >= dust {
			return Tx0Plan{Pool: pool, Premix: premix, NPremix: n, Change: c, Fee: feeFor(n, true)}, nil
		}
		if f := feeFor(n, false); rest >= f {
			return Tx0Plan{Pool: pool, Premix: premix, NPremix: n, Fee: rest}, nil
		}
	}
	return Tx0Plan{}, fmt.Errorf("whirlpool: %d sat cannot pay one premix of %d plus fee %d", total, premix, pool.Fee)
}

// Wasabi1Participant is one participant of a Wasabi 1 round: the sum of its
// inputs and the mining fee its own inputs cost.
type Wasabi1Participant struct {
	In       int64
	InCost   int64
	Outputs  []int64 // filled by PlanWasabi1: the mixed output, then change (if any)
	Change   int64   // 0 when none
	CoordFee int64
}

// PlanWasabi1 fills each participant's outputs for a Wasabi 1.x (ZeroLink)
// round of base denomination denom: one output of denom per participant, or
// of 2^i·denom for the higher mixing levels the participant can afford when
// at least two participants reach that level (Wasabi 1.1), plus change.
// Each participant pays the coordinator coordRate·denom per anonymity set
// member of its level (Wasabi's 0.003 % × anonset) and outCost per output.
// It returns the total coordinator fee. Participants who cannot pay for the
// base level are an error.
//
// At least minBase participants stay at the base level (the ≥10 equal
// outputs of the shape).
func PlanWasabi1(ps []Wasabi1Participant, denom, outCost int64, coordPPM int64, dust int64, maxLevel, minBase int) (int64, error) {
	n := int64(len(ps))
	if n < 2 {
		return 0, errors.New("wasabi1: fewer than 2 participants")
	}
	baseFee := denom * coordPPM * n / 1_000_000
	level := make([]int, len(ps))
	for i, p := range ps {
		need := denom + baseFee + p.InCost + 2*outCost
		if p.In < need {
			return 0, fmt.Errorf("wasabi1: participant %d has %d sat, needs %d", i, p.In, need)
		}
		for l := 1; l <= maxLevel; l++ {
			d := denom << l
			if p.In >= d+baseFee*(1<<l)+p.InCost+2*outCost+denom {
				level[i] = l
			}
		}
	}
	// A level needs at least two participants; demote loners.
	for l := maxLevel; l >= 1; l-- {
		cnt := 0
		for _, lv := range level {
			if lv >= l {
				cnt++
			}
		}
		if cnt < 2 {
			for i := range level {
				if level[i] >= l {
					level[i] = l - 1
				}
			}
		}
	}
	base := 0
	for _, lv := range level {
		if lv == 0 {
			base++
		}
	}
	for i := len(level) - 1; i >= 0 && base < minBase; i-- {
		if level[i] > 0 {
			level[i] = 0
			base++
		}
	}
	// Demoting may leave a level with one participant: demote it too.
	for l := maxLevel; l >= 1; l-- {
		cnt, last := 0, -1
		for i, lv := range level {
			if lv == l {
				cnt++
				last = i
			}
		}
		if cnt == 1 {
			level[last] = l - 1
		}
	}
	var coord int64
	for i := range ps {
		p := &ps[i]
		d := denom << level[i]
		fee := baseFee << level[i]
		p.Outputs = []int64{d}
		p.CoordFee = fee
		coord += fee
		c := p.In - d - fee - p.InCost - 2*outCost
		if c >= dust {
			p.Change = c
			p.Outputs = append(p.Outputs, c)
		} else {
			p.Change = 0
		}
	}
	return coord, nil
}

// JoinMarketPlan is the shape of a JoinMarket CoinJoin.
type JoinMarketPlan struct {
	Amount      int64   // the equal output value
	MakerChange []int64 // per maker: change (input − amount + fee), 0 when none
	TakerChange int64   // 0 when the taker sweeps
	MakerFees   []int64
}

// PlanJoinMarket plans a JoinMarket CoinJoin where a taker with takerIn
// satoshis buys liquidity for amount from makers with the given input sums and
// fees; mining is the whole mining fee, paid by the taker. A taker change
// below dust is given to the miner. Makers must afford amount.
func PlanJoinMarket(amount, takerIn int64, makerIn, makerFee []int64, mining, dust int64) (JoinMarketPlan, error) {
	if len(makerIn) < 2 {
		return JoinMarketPlan{}, errors.New("joinmarket: needs at least 2 makers")
	}
	p := JoinMarketPlan{Amount: amount, MakerFees: makerFee}
	var fees int64
	for i, in := range makerIn {
		c := in - amount + makerFee[i]
		if in < amount {
			return JoinMarketPlan{}, fmt.Errorf("joinmarket: maker %d has %d sat < amount %d", i, in, amount)
		}
		if c < dust {
			return JoinMarketPlan{}, fmt.Errorf("joinmarket: maker %d change %d below dust", i, c)
		}
		p.MakerChange = append(p.MakerChange, c)
		fees += makerFee[i]
	}
	c := takerIn - amount - fees - mining
	if c < 0 {
		return JoinMarketPlan{}, fmt.Errorf("joinmarket: taker has %d sat, needs %d", takerIn, amount+fees+mining)
	}
	if c >= dust {
		p.TakerChange = c
	}
	return p, nil
}
