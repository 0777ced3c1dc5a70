package sim

import (
	"errors"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// soft turns the expected failures of one action (no funds, block full) into
// "skip": the economy goes on.
func soft(err error) error {
	if errors.Is(err, errNoFunds) || errors.Is(err, errFull) {
		return nil
	}
	return err
}

// step runs one block's worth of activity.
func (w *world) step() error {
	if w.next > engine.CoinbaseMaturity {
		if err := w.fund(); err != nil {
			return err
		}
	}
	if w.next < segwitHeight {
		return nil
	}
	if w.thief != nil {
		if err := w.thief.tick(w); err != nil {
			return err
		}
	}
	for _, ex := range w.exchanges {
		if err := ex.tick(w); err != nil {
			return err
		}
	}
	if err := w.proc.tick(w); err != nil {
		return err
	}
	if err := w.minerTick(); err != nil {
		return err
	}
	if err := w.merchantTick(); err != nil {
		return err
	}
	if err := w.mixer.tick(w); err != nil {
		return err
	}
	if err := w.coinjoinTick(); err != nil {
		return err
	}
	// Background activity fills the block up to about perBlock txs (many
	// attempts do nothing: a user without funds, a withdrawal request).
	n := w.perBlock
	n += w.rng.IntN(n/2+1) - n/4
	for tries := 0; w.blockTxs < n && tries < 4*n; tries++ {
		if err := soft(w.userAction()); err != nil {
			return err
		}
		if w.vsize > maxBlockVSize*9/10 {
			break
		}
	}
	return nil
}

// roundAmount rounds v down to one or two significant digits of the
// 1-2-5 series, as people choose amounts.
func roundAmount(v int64) int64 {
	if v <= 0 {
		return 0
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{5, 2, 1} {
		if m*p <= v {
			return m * p
		}
	}
	return p
}

// amount draws a payment amount: round with the profile's probability.
func (w *world) amount(wl *wallet, median, sigma float64, maxV int64) int64 {
	v := int64(lognormal(w, median, sigma))
	v = min(v, maxV)
	if wl.prof != nil && w.rng.Float64() < wl.prof.roundPay {
		v = roundAmount(v)
	}
	return v
}

// bound consolidates wl when it holds more than limit coins.
func (w *world) bound(wl *wallet, by *actor, limit int) error {
	if len(wl.coins) <= limit {
		return nil
	}
	_, err := w.sweep(wl, by, "consolidation", wl, w.key(wl, wl.kind, "change", ""), 50, "")
	return soft(err)
}

func (w *world) userAction() error {
	u := w.users[w.rng.IntN(len(w.users))]
	wl := u.main
	if u.ww != nil && w.rng.IntN(3) == 0 {
		wl = u.ww
	}
	if u.postmx != nil && len(u.postmx.coins) > 0 && w.rng.IntN(2) == 0 {
		wl = u.postmx
	}
	if len(wl.coins) > 25 {
		return w.bound(wl, u.a, 25)
	}
	bal := wl.balance()
	x := w.rng.IntN(100)
	switch {
	case x < 30: // buy from a merchant
		if bal < 50_000 {
			return nil
		}
		m := w.merchants[w.rng.IntN(len(w.merchants))]
		v := min(int64(lognormal(w, 400_000, 1.0)), bal/2)
		if v < 10_000 {
			return nil
		}
		var k *engine.Key
		var dst *wallet
		if w.rng.IntN(2) == 0 {
			dst = w.proc.invoices
			k = w.key(dst, engine.P2WPKH, "invoice", m.a.ID)
			w.proc.owed[m.idx] += v - v/100
		} else {
			dst = m.w
			k = w.receiveFor(m.w)
		}
		_, err := w.pay(wl, u.a, "", []out{{w: dst, key: k, value: v}}, 1)
		return err
	case x < 42: // pay another user
		if bal < 50_000 {
			return nil
		}
		o := w.users[w.rng.IntN(len(w.users))]
		if o == u {
			return nil
		}
		v := w.amount(wl, 2_000_000, 1.2, bal*2/3)
		if v < 10_000 {
			return nil
		}
		_, err := w.pay(wl, u.a, "", []out{{w: o.main, key: w.receive(o.main), value: v}}, 1)
		return err
	case x < 55: // deposit at an exchange (sell)
		if bal < 100_000 {
			return nil
		}
		ex := w.exchanges[u.home]
		if w.rng.IntN(4) == 0 {
			ex = w.exchanges[w.rng.IntN(len(w.exchanges))]
		}
		v := w.amount(wl, float64(bal)/3, 0.5, bal*9/10)
		_, err := w.pay(wl, u.a, "", []out{{w: ex.deposits, key: ex.depositKey(w, u.a.ID), value: v}}, 1)
		return err
	case x < 85: // withdraw from an exchange (buy)
		ex := w.exchanges[u.home]
		dst := u.main
		if u.ww != nil && w.rng.IntN(2) == 0 {
			dst = u.ww
		}
		if u.sw != nil && w.rng.IntN(2) == 0 {
			dst = u.sw
		}
		v := roundAmount(int64(lognormal(w, 3_000_000, 1.0)))
		if w.rng.IntN(3) == 0 {
			v = int64(lognormal(w, 3_000_000, 1.0))
		}
		if v < 20_000 || v > ex.hot.balance()/40 {
			return nil
		}
		ex.queue = append(ex.queue, withdrawal{to: dst, value: v})
		return nil
	case x < 90: // mixer order
		if !u.mixerUser || bal < 2_000_000 {
			return nil
		}
		return w.mixer.order(w, u.a, wl, u.main, w.amount(wl, float64(bal)/3, 0.5, bal*9/10), "", nil, "")
	default: // Tx0 for Samourai users, else a small merchant payment
		if u.sw != nil && len(u.sw.coins) > 0 && len(u.premix.coins) == 0 && w.rng.IntN(3) == 0 {
			return w.tx0(u)
		}
		return nil
	}
}

type exchange struct {
	a                   *actor
	idx                 int
	hot, cold, deposits *wallet
	depKeys             map[string]*engine.Key
	target              int64
	queue               []withdrawal
}

type withdrawal struct {
	to    *wallet
	value int64
}

// depositKey returns the customer's deposit address at ex (one per customer,
// reused for every deposit, as most exchanges do).
func (ex *exchange) depositKey(w *world, customer string) *engine.Key {
	k := ex.depKeys[customer]
	if k == nil {
		k = w.key(ex.deposits, ex.deposits.kind, "deposit", customer)
		ex.depKeys[customer] = k
	}
	return k
}

func (ex *exchange) tick(w *world) error {
	h := w.next
	if h%6 == int64(ex.idx) {
		if err := w.sweepAll(ex.deposits, ex.a, "sweep", ex.hot, "hot"); err != nil {
			return err
		}
	}
	if len(ex.queue) > 0 && (h%3 == int64(ex.idx%3) || len(ex.queue) >= 40) {
		n := min(len(ex.queue), 100)
		outs := make([]out, n)
		for i, wd := range ex.queue[:n] {
			outs[i] = out{w: wd.to, key: w.receiveFor(wd.to), value: wd.value}
		}
		kind := "batch"
		if n == 1 {
			kind = "withdrawal"
		}
		_, err := w.pay(ex.hot, ex.a, kind, outs, 1)
		switch {
		case err == nil:
			ex.queue = append(ex.queue[:0], ex.queue[n:]...)
		case errors.Is(err, errNoFunds):
			ex.queue = ex.queue[:0] // the exchange refunds off-chain
		case !errors.Is(err, errFull):
			return err
		}
	}
	if h%12 == int64(ex.idx) && len(ex.hot.coins) > 100 {
		if _, err := w.sweep(ex.hot, ex.a, "consolidation", ex.hot, w.key(ex.hot, ex.hot.kind, "hot", ""), 100, ""); soft(err) != nil {
			return err
		}
	}
	if h%36 == int64(ex.idx*9) {
		bal := ex.hot.balance()
		switch {
		case bal > ex.target*3/2:
			k := w.key(ex.cold, engine.P2WSHMultisig, "cold", "")
			_, err := w.pay(ex.hot, ex.a, "cold-storage", []out{{w: ex.cold, key: k, value: roundAmount(bal - ex.target)}}, 1)
			if soft(err) != nil {
				return err
			}
		case bal < ex.target*2/5 && len(ex.cold.coins) > 0:
			_, err := w.sweep(ex.cold, ex.a, "cold-storage", ex.hot, w.key(ex.hot, ex.hot.kind, "hot", ""), 3, "")
			if soft(err) != nil {
				return err
			}
		}
	}
	if len(ex.cold.coins) > 40 {
		return w.bound(ex.cold, ex.a, 40)
	}
	return nil
}

func (p *processor) tick(w *world) error {
	switch w.next % 12 {
	case 0, 4, 8:
		return w.sweepAll(p.invoices, p.a, "sweep", p.hot, "hot")
	case 6:
		var outs []out
		var idx []int
		for i, v := range p.owed {
			if v >= 100_000 && len(outs) < 100 {
				m := w.merchants[i]
				outs = append(outs, out{w: m.w, key: w.receiveFor(m.w), value: v})
				idx = append(idx, i)
			}
		}
		if len(outs) == 0 {
			return nil
		}
		_, err := w.pay(p.hot, p.a, "batch", outs, 1)
		if err == nil {
			for _, i := range idx {
				p.owed[i] = 0
			}
		}
		return soft(err)
	case 9:
		return w.bound(p.hot, p.a, 30)
	}
	return nil
}

func (w *world) merchantTick() error {
	for _, m := range w.merchants {
		if len(m.w.coins) < 15 && (len(m.w.coins) == 0 || m.w.balance() < 50_000_000) {
			continue
		}
		if w.rng.IntN(6) != 0 {
			continue
		}
		ex := w.exchanges[m.home]
		bal := m.w.balance()
		if len(m.w.coins) >= 15 {
			if _, err := w.sweep(m.w, m.a, "payment", ex.deposits, ex.depositKey(w, m.a.ID), 50, ""); soft(err) != nil {
				return err
			}
			continue
		}
		if _, err := w.pay(m.w, m.a, "", []out{{w: ex.deposits, key: ex.depositKey(w, m.a.ID), value: bal * 4 / 5}}, 1); soft(err) != nil {
			return err
		}
	}
	return nil
}

func (w *world) minerTick() error {
	for i, m := range w.miners {
		switch w.next % 48 {
		case int64(i * 16):
			// Pool payout to miners (users).
			n := 5 + w.rng.IntN(25)
			outs := make([]out, 0, n)
			for j := 0; j < n; j++ {
				u := w.users[w.rng.IntN(len(w.users))]
				outs = append(outs, out{w: u.main, key: w.receive(u.main), value: int64(lognormal(w, 1_000_000, 0.8))})
			}
			if _, err := w.pay(m.wallet, m.a, "batch", outs, 1); soft(err) != nil {
				return err
			}
		case int64(i*16 + 8):
			// Sell the rest at the pool's exchange.
			ex := w.exchanges[i%len(w.exchanges)]
			if len(m.wallet.coins) > 20 {
				if _, err := w.sweep(m.wallet, m.a, "payment", ex.deposits, ex.depositKey(w, m.a.ID), 40, ""); soft(err) != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sweepAll sweeps every confirmed coin of wl into dst, 200 inputs per tx,
// while the block has room.
func (w *world) sweepAll(wl *wallet, by *actor, kind string, dst *wallet, role string) error {
	for i := 0; i < 20 && len(wl.coins) > 0; i++ {
		if _, err := w.sweep(wl, by, kind, dst, w.key(dst, dst.kind, role, ""), 200, ""); err != nil {
			return soft(err)
		}
	}
	return nil
}

// retire keeps a coordinator's fee wallet bounded.
func (w *world) retire(wl *wallet, by *actor) error {
	if len(wl.coins) > 30 {
		return w.bound(wl, by, 30)
	}
	return nil
}
