package sim

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// Transaction kinds of the thief.
const (
	KindTheft   = "theft"
	KindSplit   = "split"
	KindPeel    = "peel"
	KindCashOut = "cash-out"
)

// Routes of the thief's coins (utxo.via): "to:…" before laundering, the
// laundering step's name after it.
const (
	viaPeel        = "peel"
	viaToMixer     = "to:mixer"
	viaMixer       = "mixer"
	viaToWasabi2   = "to:wasabi2"
	viaToWasabi1   = "to:wasabi1"
	viaToWhirl     = "to:whirlpool"
	viaToJM        = "to:joinmarket"
	viaDormant     = "dormant"
	viaWhirlChange = "whirlpool-tx0-change"
	viaDirect      = "direct"
)

// Laundering timing and decoys.
const (
	lazarusDays = 8   // a lazarus run lasts at least this many days of blocks
	coolDown    = 144 // blocks the mixer and CoinJoin routes wait after the theft
	// Coins out of a mixer or a CoinJoin wait at least minDormant blocks,
	// then are cashed out with probability 1/dormantOdds per block.
	minDormant  = 24
	dormantOdds = 48
)

// thief is the Lazarus-style attacker: robs an exchange's hot wallet, then
// launders the loot over the following days: peel chains (with forks and
// decoy payments to itself), two custodial mixers with different terms,
// four CoinJoin kinds, and cash-outs under mule accounts, some of them used
// only for mixed coins.
type thief struct {
	a        *actor
	w        *wallet
	premix   *wallet
	postmix  *wallet
	remix    bool
	victim   *exchange
	theftAt  int64
	theft    *Theft
	split    bool
	mules    []string
	fresh    []string // mule accounts used only for mixed coins
	mixers   []*mixer
	cashOuts []CashOut
	loot     int64
}

func (w *world) setupThief() {
	a := w.newActor(kindThief, "thief", "Lazarus Group")
	t := &thief{a: a, victim: w.exchanges[0]}
	t.w = w.newWallet(a, "loot", engine.P2WPKH, "receive", "")
	t.premix = w.newWallet(a, "premix", engine.P2WPKH, "premix", "")
	t.postmix = w.newWallet(a, "postmix", engine.P2WPKH, "postmix", "")
	for i := 0; i < 6; i++ {
		t.mules = append(t.mules, fmt.Sprintf("%s/mule%d", a.ID, i+1))
	}
	for i := 0; i < 4; i++ {
		t.fresh = append(t.fresh, fmt.Sprintf("%s/fresh%d", a.ID, i+1))
	}
	t.mixers = []*mixer{w.mixer, w.newMixer("mixer2", "Nightjar", nightjarTerms, 30)}
	_, blocks := w.cfg.plan()
	t.theftAt = segwitHeight + max(40, blocks/10)
	w.thief = t
}

func (t *thief) tick(w *world) error {
	// The second mixer runs in this scenario only, with its own customers.
	m2 := t.mixers[1]
	if err := m2.tick(w); err != nil {
		return err
	}
	if w.rng.IntN(2) == 0 {
		u := w.users[w.rng.IntN(len(w.users))]
		if bal := u.main.balance(); u.mixerUser && bal >= 2_000_000 {
			if err := m2.order(w, u.a, u.main, u.main, w.amount(u.main, float64(bal)/3, 0.5, bal*9/10), "", nil, ""); soft(err) != nil {
				return err
			}
		}
	}
	switch {
	case w.next < t.theftAt:
		return nil
	case t.theft == nil:
		return soft(t.steal(w))
	case !t.split:
		return soft(t.splitLoot(w))
	}
	// Work through the thief's coins; each step may spend some of them.
	coins := slices.Clone(t.w.coins)
	for _, u := range coins {
		if u.pos < 0 || !spendable(u, w.next) {
			continue
		}
		var err error
		cooled := w.next >= t.theftAt+coolDown
		switch u.via {
		case viaPeel:
			if w.rng.IntN(4) == 0 {
				err = t.peel(w, u)
			}
		case viaToMixer:
			if cooled && w.rng.IntN(3) == 0 {
				err = t.toMixer(w, u)
			}
		case viaToWhirl:
			if cooled {
				_, err = w.makeTx0(t.a, []*utxo{u}, 2, t.premix, t.w, true, viaWhirlChange)
			}
		case viaToJM:
			if cooled && w.rng.IntN(2) == 0 {
				err = t.toJoinMarket(w, u)
			}
		case viaDirect:
			if w.next-u.coin.Height >= 3 && w.rng.IntN(6) == 0 {
				err = t.cashOut(w, []*utxo{u})
			}
		case viaMixer, KindWasabi2, KindWasabi1, KindJoinMarket, viaWhirlChange:
			if w.next-u.coin.Height >= minDormant && w.rng.IntN(dormantOdds) == 0 {
				err = t.cashOut(w, []*utxo{u})
			}
		case viaToWasabi1:
			if u.coin.Value < 11_200_000 {
				err = t.cashOut(w, []*utxo{u})
			}
		}
		if soft(err) != nil {
			return err
		}
	}
	// Whirlpool postmix: cash out a few at a time.
	var post []*utxo
	for _, u := range t.postmix.coins {
		if w.next-u.coin.Height >= minDormant && spendable(u, w.next) {
			post = append(post, u)
		}
	}
	if len(post) >= 3 && w.rng.IntN(dormantOdds/4) == 0 {
		return soft(t.cashOut(w, post[:min(len(post), 2+w.rng.IntN(4))]))
	}
	return nil
}

// steal moves a third of the victim's hot wallet to the thief.
func (t *thief) steal(w *world) error {
	hot := t.victim.hot
	amount := roundAmount(hot.balance()/3) + int64(w.rng.IntN(coin))
	ins, ok := w.selectCoins(hot, amount, w.rate, 2)
	if !ok || amount < 20*coin {
		return errNoFunds
	}
	k := w.key(t.w, engine.P2WPKH, "receive", "")
	p := &plan{kind: KindTheft, by: t.a, ins: ins, version: 2, lootSet: true, stolen: amount}
	p.outs = []out{{w: t.w, key: k, value: amount, loot: amount, via: "stolen"}}
	fee := int64(math.Ceil(w.rate * float64(p.estimate(engine.OutputTo(k, 0)))))
	if ch := p.inValue() - amount - fee; ch >= dustLimit {
		p.outs = append(p.outs, out{w: hot, key: w.key(hot, hot.kind, "hot", ""), value: ch, change: true})
	}
	tx, err := w.commit(p)
	if err != nil {
		return err
	}
	t.theft = &Theft{Txid: tx.TxHash().String(), Height: int32(w.next), Victim: t.victim.a.ID, Amount: amount,
		Outputs: []uint32{0}, Thief: t.a.ID}
	t.loot = amount
	return nil
}

// splitLoot splits the stolen coin into the laundering routes.
func (t *thief) splitLoot(w *world) error {
	var src *utxo
	for _, u := range t.w.coins {
		if u.via == "stolen" {
			src = u
		}
	}
	if src == nil {
		return nil
	}
	L := src.coin.Value
	frac := func(f float64) int64 { return int64(f * float64(L)) }
	type part struct {
		v   int64
		via string
	}
	parts := []part{
		{frac(0.15), viaPeel}, {frac(0.14), viaPeel}, {frac(0.12), viaPeel},
		{frac(0.08), viaToMixer}, {frac(0.07), viaToMixer},
		{frac(0.05), viaToWasabi2}, {frac(0.05), viaToWasabi2},
		{min(frac(0.03), 36*coin/10), viaToWhirl},
		{frac(0.08), viaToJM},
		{frac(0.03), viaDirect},
	}
	for i := 0; i < 3; i++ {
		parts = append(parts, part{int64(30_000_000 + w.rng.IntN(20_000_000)), viaToWasabi1})
	}
	var used int64
	p := &plan{kind: KindSplit, by: t.a, ins: []*utxo{src}, version: 2}
	for _, pt := range parts {
		p.outs = append(p.outs, out{w: t.w, key: w.key(t.w, engine.P2WPKH, "receive", ""), value: pt.v, via: pt.via})
		used += pt.v
	}
	k := w.key(t.w, engine.P2WPKH, "receive", "")
	p.outs = append(p.outs, out{w: t.w, key: k, value: 0, via: viaDormant})
	fee := int64(math.Ceil(w.rate * float64(p.estimate())))
	p.outs[len(p.outs)-1].value = L - used - fee
	w.shuffleOuts(p.outs)
	if _, err := w.commit(p); err != nil {
		return err
	}
	t.split = true
	return nil
}

// service picks a non-victim exchange and a mule account for a deposit of
// coins that came by via: mixed coins go to a fresh mule account one time in
// three.
func (t *thief) service(w *world, via string) (*exchange, *engine.Key) {
	ex := w.exchanges[1+w.rng.IntN(len(w.exchanges)-1)]
	mules := t.mules
	switch via {
	case viaMixer, KindWasabi2, KindWasabi1, KindJoinMarket, KindWhirlpool:
		if w.rng.IntN(3) == 0 {
			mules = t.fresh
		}
	}
	return ex, ex.depositKey(w, mules[w.rng.IntN(len(mules))])
}

// peel is one hop: a small output to a service, the rest to a fresh address.
func (t *thief) peel(w *world, u *utxo) error {
	v := u.coin.Value
	if v < 2*coin {
		return t.cashOut(w, []*utxo{u})
	}
	small := roundAmount(int64(float64(v) * (0.03 + 0.07*w.rng.Float64())))
	small += int64(w.rng.IntN(1_000_000))
	x := w.rng.IntN(20)
	var dst out
	var ex *exchange
	switch {
	case x < 2:
		// A fork: two similar halves, both peeled further (a decoy for
		// "follow the big output").
		return t.fork(w, u)
	case x < 4:
		// A decoy payment to itself, left dormant.
		dst = out{w: t.w, key: w.key(t.w, engine.P2WPKH, "receive", ""), value: small, via: viaDormant}
	case x < 14:
		var k *engine.Key
		ex, k = t.service(w, viaPeel)
		dst = out{w: ex.deposits, key: k, value: small}
	default:
		m := w.merchants[w.rng.IntN(len(w.merchants))]
		dst = out{w: m.w, key: w.receiveFor(m.w), value: small}
	}
	k := w.key(t.w, engine.P2WPKH, "receive", "")
	p := &plan{kind: KindPeel, by: t.a, ins: []*utxo{u}, version: 2}
	p.outs = []out{dst, {w: t.w, key: k, value: 0, via: viaPeel, change: true}}
	fee := int64(math.Ceil(w.rate * float64(p.estimate())))
	p.outs[1].value = v - small - fee
	if w.rng.IntN(2) == 0 {
		p.outs[0], p.outs[1] = p.outs[1], p.outs[0]
	}
	tx, err := w.commit(p)
	if err != nil {
		return err
	}
	if ex != nil {
		t.recordCashOut(w, tx, ex, dst.key, viaPeel)
	}
	return nil
}

// fork splits a peel chain's coin into two similar halves that both go on
// peeling.
func (t *thief) fork(w *world, u *utxo) error {
	v := u.coin.Value
	p := &plan{kind: KindPeel, by: t.a, ins: []*utxo{u}, version: 2}
	half := v * int64(40+w.rng.IntN(21)) / 100
	p.outs = []out{{w: t.w, key: w.key(t.w, engine.P2WPKH, "receive", ""), value: half, via: viaPeel},
		{w: t.w, key: w.key(t.w, engine.P2WPKH, "receive", ""), value: 0, via: viaPeel}}
	fee := int64(math.Ceil(w.rate * float64(p.estimate())))
	p.outs[1].value = v - half - fee
	_, err := w.commit(p)
	return err
}

func (t *thief) recordCashOut(w *world, tx *wire.MsgTx, ex *exchange, k *engine.Key, via string) {
	for i, to := range tx.TxOut {
		if bytes.Equal(to.PkScript, k.PkScript) {
			t.cashOuts = append(t.cashOuts, CashOut{Txid: tx.TxHash().String(), Vout: uint32(i), Height: int32(w.next),
				Exchange: ex.a.ID, Address: k.Address, Value: to.Value, Loot: to.Value, Via: via})
		}
	}
}

func (t *thief) toMixer(w *world, u *utxo) error {
	v := u.coin.Value
	m := t.mixers[w.rng.IntN(len(t.mixers))]
	if v > 8*coin {
		amount := roundAmount(v * int64(30+w.rng.IntN(30)) / 100)
		return m.order(w, t.a, t.w, t.w, amount, viaMixer, []*utxo{u}, viaToMixer)
	}
	// Send the whole coin: a deposit without change.
	return m.order(w, t.a, t.w, t.w, v-int64(math.Ceil(w.rate*200)), viaMixer, []*utxo{u}, viaToMixer)
}

func (t *thief) toJoinMarket(w *world, u *utxo) error {
	v := u.coin.Value
	if v < coin {
		return t.cashOut(w, []*utxo{u})
	}
	amount := min(roundAmount(v/3), 2*coin) + int64(w.rng.IntN(1_000_000))
	return w.joinMarket(t.a, []*utxo{u}, amount, t.w, t.w, true, KindJoinMarket, viaToJM)
}

// takeRegistrations returns the thief's coins waiting for a CoinJoin round
// of the given kind, as participants (at most n).
func (t *thief) takeRegistrations(w *world, kind string, n int) []*participant {
	want := map[string]string{KindWasabi2: viaToWasabi2, KindWasabi1: viaToWasabi1}[kind]
	var ps []*participant
	for _, u := range t.w.coins {
		if len(ps) == n {
			break
		}
		if u.via != want || !spendable(u, w.next) {
			continue
		}
		if kind == KindWasabi1 && u.coin.Value < 11_200_000 {
			continue
		}
		ps = append(ps, &participant{a: t.a, ins: []*utxo{u}, dst: t.w, chg: t.w, thief: true, via: kind, chgVia: viaToWasabi1})
	}
	return ps
}

// cashOut deposits coins at an exchange under a mule account.
func (t *thief) cashOut(w *world, us []*utxo) error {
	ex, k := t.service(w, us[0].via)
	p := &plan{kind: KindCashOut, by: t.a, ins: us, version: 2}
	p.outs = []out{{w: ex.deposits, key: k}}
	fee := int64(math.Ceil(w.rate * float64(p.estimate())))
	p.outs[0].value = p.inValue() - fee
	if p.outs[0].value < dustLimit {
		return errNoFunds
	}
	via := us[0].via
	tx, err := w.commit(p)
	if err != nil {
		return err
	}
	t.recordCashOut(w, tx, ex, k, via)
	return nil
}

func (t *thief) finish(w *world) {
	w.hdr.Theft = t.theft
	w.hdr.CashOuts = t.cashOuts
	for _, m := range t.mixers {
		for _, d := range m.ledger {
			w.hdr.Mixer = append(w.hdr.Mixer, *d)
		}
	}
	if t.theft != nil {
		w.hdr.Labels.Theft = &LabelTheft{Txid: t.theft.Txid, Victim: t.victim.a.label, Amount: t.theft.Amount}
	}
}
