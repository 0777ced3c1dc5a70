package sim

import (
	"bytes"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// Transaction kinds of the custodial mixer.
const (
	KindMixerDeposit       = "mixer-deposit"
	KindMixerPayout        = "mixer-payout"
	KindMixerConsolidation = "mixer-consolidation"
)

// mixer is a custodial mixer in the style of Blender.io: a fresh deposit
// address per order, deposits consolidated into its own wallet, and delayed
// payouts of the deposit minus a fee to the customer's fresh addresses, paid
// from an unrelated pool of coins. Each mixer has its own terms.
type mixer struct {
	a        *actor
	terms    mixTerms
	deposits *wallet
	pool     *wallet
	byKey    map[*engine.Key]*mixOrder
	due      []*mixOrder
	ledger   []*MixerDeposit // the thief's orders
}

// mixTerms are a mixer's service terms.
type mixTerms struct {
	feeMin, feeMax     int   // per mille of the deposit
	feeFixed           int   // at most this many satoshis on top
	delayMin, delayMax int64 // blocks from the deposit's confirmation to the first payout
	partsMax           int   // payouts per order: 1…partsMax
	gapMin, gapMax     int64 // blocks between two payouts of an order
	labelled           int   // investigators know 1 in labelled deposit addresses
	sweepEvery         int64 // blocks between consolidations of the deposits
}

var (
	// Blendr: Blender.io-like, quick.
	blendrTerms = mixTerms{feeMin: 10, feeMax: 30, feeFixed: 100_000, delayMin: 6, delayMax: 72, partsMax: 3,
		gapMin: 1, gapMax: 12, labelled: 2, sweepEvery: 12}
	// Nightjar: slower and costlier, payouts spread over days in up to 5 parts.
	nightjarTerms = mixTerms{feeMin: 20, feeMax: 45, feeFixed: 200_000, delayMin: 144, delayMax: 432, partsMax: 5,
		gapMin: 6, gapMax: 48, labelled: 3, sweepEvery: 36}
)

type mixOrder struct {
	customer *actor
	key      *engine.Key
	dst      *wallet
	via      string
	due      int64
	parts    []int64
	loot     bool
	rec      *MixerDeposit
}

func (w *world) setupMixer() {
	w.mixer = w.newMixer("mixer", "Blendr", blendrTerms, 30)
}

// newMixer sets up a mixer with pool coins of poolCoins × 2–5 BTC.
func (w *world) newMixer(id, name string, terms mixTerms, poolCoins int) *mixer {
	a := w.newActor(kindMixer, id, name)
	a.label = "mixer: " + name
	m := &mixer{a: a, terms: terms, byKey: map[*engine.Key]*mixOrder{}}
	m.deposits = w.newWallet(a, "deposits", engine.P2SHP2WPKH, "deposit", a.label)
	m.pool = w.newWallet(a, "pool", engine.P2SHP2WPKH, "pool", a.label)
	m.deposits.onConfirm = func(u *utxo) { m.confirmed(w, u) }
	for i := 0; i < poolCoins; i++ {
		w.funding = append(w.funding, endow{w: m.pool, value: int64(2+w.rng.IntN(4)) * coin})
	}
	return m
}

// order places a mixing order: customer pays amount from from into a fresh
// deposit address; payouts go to dst (tagged via for the thief). With coins,
// exactly those coins pay (change back to from, tagged chgVia); otherwise the
// wallet chooses.
func (m *mixer) order(w *world, customer *actor, from, dst *wallet, amount int64, via string, coins []*utxo, chgVia string) error {
	if amount < 1_000_000 {
		return nil
	}
	// Investigators know some of the mixer's deposit addresses.
	label := ""
	if w.rng.IntN(m.terms.labelled) == 0 {
		label = m.a.label
	}
	k := w.keyLabel(m.deposits, engine.P2SHP2WPKH, "deposit", customer.ID, label)
	o := &mixOrder{customer: customer, key: k, dst: dst, via: via, loot: customer.Kind == kindThief}
	var tx *wire.MsgTx
	var err error
	if coins == nil {
		tx, err = w.pay(from, customer, KindMixerDeposit, []out{{w: m.deposits, key: k, value: amount}}, 1)
	} else {
		p := &plan{kind: KindMixerDeposit, by: customer, ins: coins, version: 2}
		p.outs = []out{{w: m.deposits, key: k, value: amount}}
		fee := int64(math.Ceil(w.rate * float64(p.estimate(engine.OutputTo(w.sizeKeys[from.kind], 0)))))
		switch ch := p.inValue() - amount - fee; {
		case ch >= dustLimit:
			p.outs = append(p.outs, out{w: from, key: w.key(from, from.kind, "change", ""), value: ch, change: true, via: chgVia})
		case p.inValue()-amount < int64(math.Ceil(w.rate*float64(p.estimate()))):
			return errNoFunds
		}
		tx, err = w.commit(p)
	}
	if err != nil {
		return err
	}
	m.byKey[k] = o
	if o.loot {
		for i, to := range tx.TxOut {
			if bytes.Equal(to.PkScript, k.PkScript) {
				o.rec = &MixerDeposit{Mixer: m.a.ID, Customer: customer.ID, Txid: tx.TxHash().String(), Vout: uint32(i), Value: to.Value, Loot: to.Value}
				m.ledger = append(m.ledger, o.rec)
			}
		}
	}
	return nil
}

// confirmed schedules the payouts of the order a deposit belongs to.
func (m *mixer) confirmed(w *world, u *utxo) {
	o := m.byKey[u.coin.Key]
	if o == nil {
		return
	}
	delete(m.byKey, u.coin.Key)
	v := u.coin.Value
	t := m.terms
	fee := v*int64(t.feeMin+w.rng.IntN(t.feeMax-t.feeMin+1))/1000 + int64(w.rng.IntN(t.feeFixed))
	rest := v - fee
	n := 1 + w.rng.IntN(t.partsMax)
	for i := 0; i < n-1; i++ {
		part := rest * int64(20+w.rng.IntN(40)) / 100
		o.parts = append(o.parts, part)
		rest -= part
	}
	o.parts = append(o.parts, rest)
	o.due = w.next + t.delayMin + int64(w.rng.IntN(int(t.delayMax-t.delayMin+1)))
	if o.rec != nil {
		o.rec.Fee = fee
	}
	m.due = append(m.due, o)
}

func (m *mixer) tick(w *world) error {
	if w.next%m.terms.sweepEvery == 5 && len(m.deposits.coins) > 0 {
		if _, err := w.sweep(m.deposits, m.a, KindMixerConsolidation, m.pool, w.key(m.pool, engine.P2SHP2WPKH, "pool", ""), 100, ""); soft(err) != nil {
			return err
		}
	}
	keep := m.due[:0]
	for _, o := range m.due {
		for o.due <= w.next && len(o.parts) > 0 {
			if err := m.payout(w, o); err != nil {
				if soft(err) != nil {
					return err
				}
				break
			}
		}
		if len(o.parts) > 0 {
			keep = append(keep, o)
		}
	}
	clear(m.due[len(keep):])
	m.due = keep
	return w.bound(m.pool, m.a, 60)
}

func (m *mixer) payout(w *world, o *mixOrder) error {
	part := o.parts[0]
	k := w.key(o.dst, o.dst.kind, "mixer-payout", "")
	dst := out{w: o.dst, key: k, value: part, via: o.via}
	if o.loot {
		dst.loot = part
	}
	p, err := w.buildPay(m.pool, m.a, KindMixerPayout, []out{dst}, 1)
	if err != nil {
		return err
	}
	if o.loot {
		p.lootSet = true
		p.custodyOut = part
	}
	tx, err := w.commit(p)
	if err != nil {
		return err
	}
	o.parts = o.parts[1:]
	o.due = w.next + m.terms.gapMin + int64(w.rng.IntN(int(m.terms.gapMax-m.terms.gapMin+1)))
	if o.rec != nil {
		for i, to := range tx.TxOut {
			if bytes.Equal(to.PkScript, k.PkScript) {
				o.rec.Payouts = append(o.rec.Payouts, fmt.Sprintf("%s:%d", tx.TxHash(), i))
				o.rec.PaidOut += to.Value
			}
		}
	}
	return nil
}
