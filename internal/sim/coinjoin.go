package sim

import (
	"math"
	"slices"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// Transaction kinds of the CoinJoin coordinators.
const (
	KindWasabi1     = "coinjoin:wasabi1"
	KindWasabi2     = "coinjoin:wasabi2"
	KindWhirlpool   = "coinjoin:whirlpool"
	KindWhirlTx0    = "coinjoin:whirlpool-tx0"
	KindJoinMarket  = "coinjoin:joinmarket"
	wasabi2MinIns   = 20 // WabiSabi rounds had ≥50 inputs at launch, fewer since 2024
	wasabi2MaxIns   = 150
	wasabi1MinParts = 10
	whirlMixSize    = 5
	whirlMaxMixes   = 2 // per pool and block, plus one per 100 txs of the block target
)

type wasabiCoord struct {
	a      *actor
	fee    *wallet
	feeKey *engine.Key // Wasabi 1's static coordinator address
}

type whirlpool struct {
	a    *actor
	fee  *wallet
	liq  *wallet // the coordinator's own remix liquidity (postmix coins)
	liqA *actor
}

type maker struct {
	a *actor
	w *wallet
}

// participant is one party of a CoinJoin.
type participant struct {
	a      *actor
	ins    []*utxo
	dst    *wallet // receives the mixed outputs
	chg    *wallet // receives change
	thief  bool
	via    string // tag of the thief's mixed outputs
	chgVia string // tag of the thief's change
}

func (p *participant) in() int64 {
	var s int64
	for _, u := range p.ins {
		s += u.coin.Value
	}
	return s
}

func (w *world) setupWasabi() {
	a := w.newActor(kindCoordinator, "wasabi", "Wasabi coordinator (zkSNACKs)")
	a.label = "coinjoin: Wasabi coordinator"
	w.wasabi = &wasabiCoord{a: a}
	w.wasabi.fee = w.newWallet(a, "fees", engine.P2WPKH, "coordinator-fee", a.label)
	w.wasabi.feeKey = w.key(w.wasabi.fee, engine.P2WPKH, "coordinator-fee", "")
}

func (w *world) setupWhirlpool() {
	a := w.newActor(kindCoordinator, "whirlpool", "Whirlpool coordinator (Samourai)")
	a.label = "coinjoin: Whirlpool coordinator"
	wp := &whirlpool{a: a}
	wp.fee = w.newWallet(a, "fees", engine.P2WPKH, "coordinator-fee", a.label)
	la := w.newActor(kindUser, "whirl-liquidity", "Whirlpool remix liquidity")
	la.Profile = "samourai"
	wp.liqA = la
	wp.liq = w.newWallet(la, "postmix", engine.P2WPKH, "postmix", "")
	for pi, n := range []int{12 + w.perBlock/10, 12 + w.perBlock/10, 8 + w.perBlock/40} {
		for j := 0; j < n; j++ {
			w.funding = append(w.funding, endow{w: wp.liq, value: WhirlpoolPools[pi].Denom, tag: pi})
		}
	}
	w.whirl = wp
}

func (w *world) coinjoinTick() error {
	if w.next%6 == 1 {
		if err := w.wasabi2Round(); err != nil {
			return err
		}
	}
	if w.next%12 == 4 {
		if err := w.wasabi1Round(); err != nil {
			return err
		}
	}
	for pi := 0; pi < 3; pi++ {
		if err := w.whirlMixes(pi, whirlMaxMixes+w.perBlock/100); err != nil {
			return err
		}
	}
	if w.next%8 == 3 {
		if err := w.joinmarketBackground(); err != nil {
			return err
		}
	}
	if err := w.retire(w.wasabi.fee, w.wasabi.a); err != nil {
		return err
	}
	if err := w.retire(w.whirl.fee, w.whirl.a); err != nil {
		return err
	}
	for _, mk := range w.makers {
		if err := w.bound(mk.w, mk.a, 20); err != nil {
			return err
		}
	}
	return nil
}

// wasabiUsers returns the users with a Wasabi wallet of the given kinds, in
// a random order.
func (w *world) wasabiUsers(onlyP2WPKH bool) []*user {
	var us []*user
	for _, u := range w.users {
		if u.ww != nil && (!onlyP2WPKH || u.ww.kind == engine.P2WPKH) {
			us = append(us, u)
		}
	}
	w.rng.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
	return us
}

func confirmed(wl *wallet, next int64, minV int64, n int) []*utxo {
	var out []*utxo
	for _, u := range wl.coins {
		if u.coin.Value >= minV && spendable(u, next) {
			out = append(out, u)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// wasabi2Round runs a WabiSabi round: inputs and outputs sorted by value
// descending, outputs in standard denominations, P2WPKH/P2TR only.
func (w *world) wasabi2Round() error {
	var ps []*participant
	nIn := 0
	if w.thief != nil {
		for _, tp := range w.thief.takeRegistrations(w, KindWasabi2, 10) {
			ps = append(ps, tp)
			nIn += len(tp.ins)
		}
	}
	for _, u := range w.wasabiUsers(false) {
		if nIn >= wasabi2MaxIns-10 {
			break
		}
		if w.rng.IntN(10) < 4 {
			continue
		}
		n := 1 + w.rng.IntN(3)
		if len(u.ww.coins) > 12 {
			n = 8
		}
		ins := confirmed(u.ww, w.next, 20_000, n)
		if len(ins) == 0 {
			continue
		}
		ps = append(ps, &participant{a: u.a, ins: ins, dst: u.ww, chg: u.ww})
		nIn += len(ins)
	}
	if nIn < wasabi2MinIns {
		return nil
	}
	p := &plan{kind: KindWasabi2, by: w.wasabi.a, version: 1, lootSet: true}
	for _, pt := range ps {
		kind := pt.dst.kind
		var inCost int64
		for _, u := range pt.ins {
			inCost += int64(math.Ceil(w.rate * float64(inVSize(u.coin.Key.Kind))))
		}
		outCost := int64(math.Ceil(w.rate * float64(outVSize(kind))))
		vals, _ := DecomposeWasabi2(pt.in()-inCost, outCost, 10)
		if len(vals) == 0 {
			continue
		}
		p.ins = append(p.ins, pt.ins...)
		var outs int64
		for _, v := range vals {
			o := out{w: pt.dst, key: w.key(pt.dst, kind, "coinjoin", ""), value: v, via: pt.via}
			if pt.thief {
				o.loot = v
			}
			outs += v
			p.outs = append(p.outs, o)
		}
		if pt.thief {
			p.lootFee += pt.in() - outs
		}
	}
	sortInsDesc(p.ins)
	sortOutsDesc(p.outs)
	_, err := w.commit(p)
	return soft(err)
}

func sortInsDesc(ins []*utxo) {
	for i := 1; i < len(ins); i++ {
		for j := i; j > 0 && ins[j].coin.Value > ins[j-1].coin.Value; j-- {
			ins[j], ins[j-1] = ins[j-1], ins[j]
		}
	}
}

// wasabi1Round runs a ZeroLink round: ≈0.1 BTC outputs (and 2^i levels),
// change, and the coordinator fee to its static address, all P2WPKH.
func (w *world) wasabi1Round() error {
	denom := int64(9_900_000 + w.rng.IntN(200_000) - 100_000)
	outCost := int64(math.Ceil(w.rate * 31))
	var ps []*participant
	if w.thief != nil {
		ps = append(ps, w.thief.takeRegistrations(w, KindWasabi1, 3)...)
	}
	for _, u := range w.wasabiUsers(true) {
		if len(ps) >= 30 {
			break
		}
		var ins []*utxo
		var sum int64
		for _, c := range u.ww.coins {
			if !spendable(c, w.next) {
				continue
			}
			ins = append(ins, c)
			sum += c.coin.Value
			if sum > denom*11/10+50_000 || len(ins) == 10 {
				break
			}
		}
		if sum > denom*11/10+50_000 {
			ps = append(ps, &participant{a: u.a, ins: ins, dst: u.ww, chg: u.ww})
		}
	}
	fail := func() error { return nil }
	if len(ps) < wasabi1MinParts+2 {
		return fail()
	}
	wp := make([]Wasabi1Participant, len(ps))
	for i, pt := range ps {
		var c int64
		for _, u := range pt.ins {
			c += int64(math.Ceil(w.rate * float64(inVSize(u.coin.Key.Kind))))
		}
		wp[i] = Wasabi1Participant{In: pt.in(), InCost: c}
	}
	coord, err := PlanWasabi1(wp, denom, outCost, 30, dustLimit, 2, wasabi1MinParts)
	if err != nil {
		return fail()
	}
	p := &plan{kind: KindWasabi1, by: w.wasabi.a, version: 1, lootSet: true}
	changes := 0
	var coordLoot int64
	for i, pt := range ps {
		p.ins = append(p.ins, pt.ins...)
		mixed := wp[i].Outputs[0]
		o := out{w: pt.dst, key: w.key(pt.dst, engine.P2WPKH, "coinjoin", ""), value: mixed, via: pt.via}
		var outs int64 = mixed
		if wp[i].Change > 0 {
			changes++
			c := out{w: pt.chg, key: w.key(pt.chg, engine.P2WPKH, "change", ""), value: wp[i].Change, change: true, via: pt.chgVia}
			outs += wp[i].Change
			if pt.thief {
				c.loot = c.value
			}
			p.outs = append(p.outs, c)
		}
		if pt.thief {
			o.loot = mixed
			coordLoot += wp[i].CoordFee
			p.lootFee += pt.in() - outs - wp[i].CoordFee
		}
		p.outs = append(p.outs, o)
	}
	if changes == 0 {
		return fail()
	}
	p.outs = append(p.outs, out{w: w.wasabi.fee, key: w.wasabi.feeKey, value: coord, loot: coordLoot})
	w.rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
	w.shuffleOuts(p.outs)
	_, err = w.commit(p)
	return soft(err)
}

// tx0 makes a Samourai user's Tx0: premix outputs of one pool, the
// coordinator fee, an OP_RETURN and change.
func (w *world) tx0(u *user) error {
	ins := confirmed(u.sw, w.next, 0, 10)
	var total int64
	for _, c := range ins {
		total += c.coin.Value
	}
	pi := 0
	switch {
	case total > 80_000_000 && w.rng.IntN(3) == 0:
		pi = 2
	case total > 3_000_000 && w.rng.IntN(2) == 0:
		pi = 1
	}
	_, err := w.makeTx0(u.a, ins, pi, u.premix, u.sw, false, "")
	return err
}

// makeTx0 builds a Tx0 from ins into pool pi.
func (w *world) makeTx0(by *actor, ins []*utxo, pi int, premix, chg *wallet, thief bool, via string) (int, error) {
	pool := WhirlpoolPools[pi]
	excess := int64(math.Min(WhirlpoolMaxExcess, math.Max(WhirlpoolMinExcess, math.Ceil(w.rate*110))))
	var total int64
	kinds := make([]engine.KeyKind, len(ins))
	for i, c := range ins {
		total += c.coin.Value
		kinds[i] = c.coin.Key.Kind
	}
	opret := engine.OpReturn(w.randBytes(46))
	pk := w.sizeKeys[engine.P2WPKH]
	feeFor := func(n int, change bool) int64 {
		outs := []engine.Output{opret, engine.OutputTo(pk, 0)}
		for i := 0; i < n; i++ {
			outs = append(outs, engine.OutputTo(pk, 0))
		}
		if change {
			outs = append(outs, engine.OutputTo(pk, 0))
		}
		return int64(math.Ceil(w.rate * float64(engine.EstimateVSize(kinds, outs))))
	}
	tp, err := PlanTx0(total, pool, excess, WhirlpoolMaxPremix, dustLimit, feeFor)
	if err != nil {
		return 0, errNoFunds
	}
	p := &plan{kind: KindWhirlTx0, by: by, ins: ins, version: 1}
	p.outs = append(p.outs, out{key: nil, script: opret.PkScript},
		out{w: w.whirl.fee, key: w.key(w.whirl.fee, engine.P2WPKH, "coordinator-fee", ""), value: pool.Fee})
	for i := 0; i < tp.NPremix; i++ {
		p.outs = append(p.outs, out{w: premix, key: w.key(premix, engine.P2WPKH, "premix", ""), value: tp.Premix, tag: pi, via: via})
	}
	if tp.Change > 0 {
		p.outs = append(p.outs, out{w: chg, key: w.key(chg, engine.P2WPKH, "change", ""), value: tp.Change, change: true, via: via})
	}
	if _, err := w.commit(p); err != nil {
		return 0, err
	}
	return tp.NPremix, nil
}

func (w *world) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	return b
}

// whirlCand is a coin waiting for a Whirlpool mix and where its output goes.
type whirlCand struct {
	u   *utxo
	dst *wallet
}

// whirlMixes runs up to n Whirlpool mixes in pool pi: each takes 1–4 new
// entrants (premix) and remixers (postmix at exactly the pool value, or the
// coordinator's remix liquidity), five inputs in all, each from a different
// owner, and pays five outputs of the pool value. The waiting coins are
// listed once per block.
func (w *world) whirlMixes(pi, n int) error {
	pool := WhirlpoolPools[pi]
	var pre, post, thiefPre []whirlCand
	scan := func(wl, dst *wallet, isPre bool) {
		if wl == nil {
			return
		}
		for _, c := range wl.coins {
			if c.tag != pi || !spendable(c, w.next) {
				continue
			}
			v := c.coin.Value
			switch {
			case isPre && v >= pool.Denom+WhirlpoolMinExcess && v <= pool.Denom+WhirlpoolMaxExcess:
				if wl.a.Kind == kindThief {
					thiefPre = append(thiefPre, whirlCand{c, dst})
				} else {
					pre = append(pre, whirlCand{c, dst})
				}
			case !isPre && v == pool.Denom:
				post = append(post, whirlCand{c, dst})
			}
		}
	}
	for _, u := range w.users {
		scan(u.premix, u.postmx, true)
		scan(u.postmx, u.postmx, false)
	}
	if t := w.thief; t != nil {
		scan(t.premix, t.postmix, true)
		if t.remix {
			scan(t.postmix, t.postmix, false)
		}
	}
	scan(w.whirl.liq, w.whirl.liq, false)
	if len(pre)+len(thiefPre) == 0 {
		return nil
	}
	w.rng.Shuffle(len(pre), func(i, j int) { pre[i], pre[j] = pre[j], pre[i] })
	w.rng.Shuffle(len(post), func(i, j int) { post[i], post[j] = post[j], post[i] })
	pre = append(thiefPre, pre...) // the thief is in a hurry
	for m := 0; m < n; m++ {
		used := map[string]bool{}
		var chosen []whirlCand
		nEnt := 1 + w.rng.IntN(4)
		for _, c := range pre {
			if len(chosen) == nEnt {
				break
			}
			if c.u.pos >= 0 && !used[c.u.w.a.ID] {
				used[c.u.w.a.ID] = true
				chosen = append(chosen, c)
			}
		}
		if len(chosen) == 0 {
			return nil
		}
		for _, c := range post {
			if len(chosen) == whirlMixSize {
				break
			}
			// The liquidity wallet stands for many remixing users.
			if c.u.pos >= 0 && (!used[c.u.w.a.ID] || c.u.w == w.whirl.liq) && !slices.ContainsFunc(chosen, func(x whirlCand) bool { return x.u == c.u }) {
				used[c.u.w.a.ID] = true
				chosen = append(chosen, c)
			}
		}
		if len(chosen) < whirlMixSize {
			return nil
		}
		p := &plan{kind: KindWhirlpool, by: w.whirl.a, version: 1, lootSet: true}
		for _, c := range chosen {
			p.ins = append(p.ins, c.u)
			o := out{w: c.dst, key: w.key(c.dst, engine.P2WPKH, "postmix", ""), value: pool.Denom, tag: pi}
			if c.u.w.a.Kind == kindThief {
				o.loot = pool.Denom
				o.via = KindWhirlpool
				p.lootFee += c.u.coin.Value - pool.Denom
			}
			p.outs = append(p.outs, o)
		}
		w.rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
		w.shuffleOuts(p.outs)
		if _, err := w.commit(p); err != nil {
			return soft(err)
		}
	}
	return nil
}

// joinMarket runs a JoinMarket CoinJoin for taker: amount to the taker's
// dst, 2–5 makers, the taker paying maker fees and the mining fee.
// The taker's change is tagged chgVia.
func (w *world) joinMarket(taker *actor, tins []*utxo, amount int64, dst, chg *wallet, thief bool, via, chgVia string) error {
	var tin int64
	for _, u := range tins {
		tin += u.coin.Value
	}
	nMakers := 2 + w.rng.IntN(4)
	var mks []*maker
	var mins [][]*utxo
	var minV, mfee []int64
	order := w.rng.Perm(len(w.makers))
	for _, i := range order {
		if len(mks) == nMakers {
			break
		}
		mk := w.makers[i]
		var best *utxo
		for _, c := range mk.w.coins {
			if c.coin.Value >= amount+50_000 && spendable(c, w.next) && (best == nil || c.coin.Value < best.coin.Value) {
				best = c
			}
		}
		if best == nil {
			continue
		}
		mks = append(mks, mk)
		mins = append(mins, []*utxo{best})
		minV = append(minV, best.coin.Value)
		mfee = append(mfee, max(300, amount*int64(1+w.rng.IntN(3))/10_000))
	}
	if len(mks) < 2 {
		return errNoFunds
	}
	kinds := []engine.KeyKind{}
	for _, u := range tins {
		kinds = append(kinds, u.coin.Key.Kind)
	}
	for range mks {
		kinds = append(kinds, engine.P2WPKH)
	}
	pk := w.sizeKeys[engine.P2WPKH]
	var sizeOuts []engine.Output
	for i := 0; i < 2*len(mks)+2; i++ {
		sizeOuts = append(sizeOuts, engine.OutputTo(pk, 0))
	}
	mining := int64(math.Ceil(w.rate * float64(engine.EstimateVSize(kinds, sizeOuts))))
	jp, err := PlanJoinMarket(amount, tin, minV, mfee, mining, dustLimit)
	if err != nil {
		return errNoFunds
	}
	p := &plan{kind: KindJoinMarket, by: taker, version: 2, lockTime: uint32(w.next - 1), lootSet: true}
	p.ins = append(p.ins, tins...)
	o := out{w: dst, key: w.key(dst, engine.P2WPKH, "coinjoin", ""), value: amount, via: via}
	thiefOut := amount
	if thief {
		o.loot = amount
	}
	p.outs = append(p.outs, o)
	for i, mk := range mks {
		p.ins = append(p.ins, mins[i]...)
		p.outs = append(p.outs, out{w: mk.w, key: w.key(mk.w, engine.P2WPKH, "coinjoin", ""), value: amount})
		c := out{w: mk.w, key: w.key(mk.w, engine.P2WPKH, "change", ""), value: jp.MakerChange[i], change: true}
		if thief {
			c.loot = mfee[i]
		}
		p.outs = append(p.outs, c)
	}
	if jp.TakerChange > 0 {
		c := out{w: chg, key: w.key(chg, engine.P2WPKH, "change", ""), value: jp.TakerChange, change: true, via: chgVia}
		if thief {
			c.loot = c.value
		}
		thiefOut += jp.TakerChange
		p.outs = append(p.outs, c)
	}
	if thief {
		var fees int64
		for _, f := range mfee {
			fees += f
		}
		p.lootFee = tin - thiefOut - fees
	}
	w.rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
	w.shuffleOuts(p.outs)
	_, err = w.commit(p)
	return err
}

func (w *world) joinmarketBackground() error {
	for tries := 0; tries < 5; tries++ {
		u := w.users[w.rng.IntN(len(w.users))]
		if u.main.kind != engine.P2WPKH {
			continue
		}
		bal := u.main.balance()
		if bal < 2_000_000 {
			continue
		}
		amount := w.amount(u.main, float64(bal)/4, 0.4, bal/2)
		ins, ok := w.selectCoins(u.main, amount+amount/200+20_000, w.rate, 2)
		if !ok {
			continue
		}
		return soft(w.joinMarket(u.a, ins, amount, u.main, u.main, false, "", ""))
	}
	return nil
}
