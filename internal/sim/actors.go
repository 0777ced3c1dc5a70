package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// Actor kinds.
const (
	kindUser        = "user"
	kindExchange    = "exchange"
	kindMerchant    = "merchant"
	kindProcessor   = "processor"
	kindMiner       = "miner"
	kindCoordinator = "coordinator"
	kindMaker       = "maker"
	kindMixer       = "mixer"
	kindThief       = "thief"
)

const coin = 100_000_000 // satoshis per bitcoin

// Fictional names: the economy is made up.
var exchangeNames = []string{"Northbank", "Kestrel", "Halcyon", "Meridian"}

type user struct {
	a    *actor
	main *wallet
	// privacy users: a Wasabi wallet (P2WPKH or P2TR), or Samourai wallets.
	ww                 *wallet
	sw, premix, postmx *wallet
	mixerUser          bool
	home               int // index of the exchange the user banks with
}

type merchant struct {
	a    *actor
	idx  int
	w    *wallet
	home int
}

type processor struct {
	a        *actor
	invoices *wallet
	hot      *wallet
	owed     []int64 // per merchant
}

type miner struct {
	a      *actor
	wallet *wallet
	weight int
	kind   engine.KeyKind
}

func (m *miner) coinbaseKey(w *world) *engine.Key {
	kind := m.kind
	if w.next < segwitHeight {
		kind = engine.P2PKH // bootstrap coins are spent before segwit is active
	}
	return w.key(m.wallet, kind, "coinbase", "")
}

type endow struct {
	w     *wallet
	value int64
	tag   int
}

// setup creates the population, scaled with the background rate.
func (w *world) setup() {
	w.sizeKeys = map[engine.KeyKind]*engine.Key{}
	for _, k := range engine.AllKinds {
		w.sizeKeys[k] = w.eng.NewKey(k)
	}
	r := w.perBlock
	nUsers := max(60, min(3*r, 6000))
	nMerchants := max(6, min(nUsers/10, 300))
	nWasabi := max(30, min(nUsers/8, 600))
	nSamourai := max(12, min(nUsers/16, 300))
	nMakers := max(8, min(nUsers/40, 60))

	// Miners.
	for i, spec := range []struct {
		name   string
		weight int
		kind   engine.KeyKind
	}{{"Pool A", 50, engine.P2PKH}, {"Pool B", 30, engine.P2WPKH}, {"Pool C", 20, engine.P2SHP2WPKH}} {
		a := w.newActor(kindMiner, fmt.Sprintf("miner%d", i+1), spec.name)
		m := &miner{a: a, weight: spec.weight, kind: spec.kind}
		m.wallet = w.newWallet(a, "pool", spec.kind, "payout", "")
		w.miners = append(w.miners, m)
	}
	// Exchanges.
	for i, name := range exchangeNames {
		a := w.newActor(kindExchange, fmt.Sprintf("ex%d", i+1), name)
		a.label = "exchange: " + name
		kind := engine.P2WPKH
		if i == 2 {
			kind = engine.P2SHP2WPKH
		}
		ex := &exchange{a: a, idx: i, depKeys: map[string]*engine.Key{}}
		ex.hot = w.newWallet(a, "hot", kind, "hot", a.label)
		ex.cold = w.newWallet(a, "cold", engine.P2WSHMultisig, "cold", a.label)
		ex.deposits = w.newWallet(a, "deposits", kind, "deposit", a.label)
		ex.target = int64(math.Min(1200, 500*math.Sqrt(float64(nUsers)/60)) * coin)
		w.exchanges = append(w.exchanges, ex)
		for j := 0; j < 20; j++ {
			w.funding = append(w.funding, endow{w: ex.hot, value: ex.target / 20})
		}
	}
	// Merchants and the processor.
	pa := w.newActor(kindProcessor, "proc1", "PayFlow")
	pa.label = "processor: PayFlow"
	w.proc = &processor{a: pa}
	w.proc.invoices = w.newWallet(pa, "invoices", engine.P2WPKH, "invoice", pa.label)
	w.proc.hot = w.newWallet(pa, "hot", engine.P2WPKH, "hot", pa.label)
	w.funding = append(w.funding, endow{w: w.proc.hot, value: 5 * coin})
	for i := 0; i < nMerchants; i++ {
		a := w.newActor(kindMerchant, fmt.Sprintf("m%d", i+1), fmt.Sprintf("Shop %d", i+1))
		kind := []engine.KeyKind{engine.P2WPKH, engine.P2SHP2WPKH, engine.P2PKH}[i%3]
		m := &merchant{a: a, idx: i, home: w.rng.IntN(len(w.exchanges))}
		m.w = w.newWallet(a, "shop", kind, "receive", "")
		w.merchants = append(w.merchants, m)
	}
	w.proc.owed = make([]int64, nMerchants)
	// Users.
	perUser := float64(3000*coin) / float64(nUsers)
	for i := 0; i < nUsers; i++ {
		pr := profiles[w.rng.IntN(len(profiles))]
		a := w.newActor(kindUser, fmt.Sprintf("u%d", i+1), fmt.Sprintf("User %d", i+1))
		a.Profile = pr.name
		u := &user{a: a, home: w.rng.IntN(len(w.exchanges)), mixerUser: w.rng.IntN(10) == 0}
		u.main = w.newWallet(a, "main", pr.kind, "receive", "")
		u.main.prof = pr
		for j := 0; j < 1+w.rng.IntN(3); j++ {
			v := int64(math.Min(perUser, lognormal(w, 0.2*coin, 1.2)))
			w.funding = append(w.funding, endow{w: u.main, value: max(v, 100_000)})
		}
		w.users = append(w.users, u)
	}
	// Wasabi users: a subset of users with a CoinJoin wallet.
	for i := 0; i < nWasabi; i++ {
		u := w.users[i%len(w.users)]
		if u.ww != nil {
			continue
		}
		kind := engine.P2WPKH
		if i%3 == 2 {
			kind = engine.P2TR
		}
		u.ww = w.newWallet(u.a, "wasabi", kind, "coinjoin", "")
		u.ww.prof = &profile{name: "wasabi", kind: kind, version: 1, roundPay: 0.2}
		for j := 0; j < 3; j++ {
			w.funding = append(w.funding, endow{w: u.ww, value: int64(math.Min(perUser, lognormal(w, 0.3*coin, 0.8)))})
		}
	}
	// Samourai users.
	for i := 0; i < nSamourai; i++ {
		u := w.users[(len(w.users)-1-i)%len(w.users)]
		if u.sw != nil || u.ww != nil {
			continue
		}
		u.sw = w.newWallet(u.a, "samourai", engine.P2WPKH, "deposit", "")
		u.sw.prof = &profile{name: "samourai", kind: engine.P2WPKH, version: 1, roundPay: 0.3}
		u.premix = w.newWallet(u.a, "premix", engine.P2WPKH, "premix", "")
		u.postmx = w.newWallet(u.a, "postmix", engine.P2WPKH, "postmix", "")
		u.postmx.prof = u.sw.prof
		w.funding = append(w.funding, endow{w: u.sw, value: int64(math.Min(perUser, lognormal(w, 0.08*coin, 0.5)))})
	}
	// CoinJoin coordinators and JoinMarket makers.
	w.setupWasabi()
	w.setupWhirlpool()
	for i := 0; i < nMakers; i++ {
		a := w.newActor(kindMaker, fmt.Sprintf("jm%d", i+1), fmt.Sprintf("JoinMarket maker %d", i+1))
		mk := &maker{a: a}
		mk.w = w.newWallet(a, "maker", engine.P2WPKH, "maker", "")
		w.makers = append(w.makers, mk)
		for j := 0; j < 4; j++ {
			w.funding = append(w.funding, endow{w: mk.w, value: int64(1+w.rng.IntN(8)) * coin})
		}
	}
	w.setupMixer()
	if w.cfg.Scenario == ScenarioLazarus {
		w.setupThief()
	}
	// Interleave the funding queue so every kind of actor is funded early.
	w.rng.Shuffle(len(w.funding), func(i, j int) { w.funding[i], w.funding[j] = w.funding[j], w.funding[i] })
}

// lognormal draws a value with the given median and log-spread.
func lognormal(w *world, median, sigma float64) float64 {
	return median * math.Exp(sigma*w.rng.NormFloat64())
}

func (w *world) pickMiner() *miner {
	total := 0
	for _, m := range w.miners {
		total += m.weight
	}
	n := w.rng.IntN(total)
	for _, m := range w.miners {
		if n < m.weight {
			return m
		}
		n -= m.weight
	}
	return w.miners[0]
}

// fund pays the funding queue from the miners' mature coins: the bootstrap
// distribution of the coinbase subsidy to the economy.
func (w *world) fund() error {
	for _, m := range w.miners {
		if len(w.funding) == 0 {
			return nil
		}
		var ins []*utxo
		var avail int64
		for _, u := range m.wallet.coins {
			if spendable(u, w.next) && (w.next >= segwitHeight || u.coin.Key.Kind == engine.P2PKH) {
				ins = append(ins, u)
				avail += u.coin.Value
			}
		}
		if len(ins) == 0 {
			continue
		}
		p := &plan{kind: "batch", by: m.a, ins: ins, version: 1}
		fee := func() int64 { return int64(math.Ceil(w.rate * float64(p.estimate()+45))) }
		var spent int64
		n := 0
		for len(w.funding) > 0 && n < 60 {
			e := w.funding[0]
			if spent+e.value+fee() > avail {
				if e.value > 10*coin && avail-spent-fee() > 5*coin {
					part := avail - spent - fee() - 2*coin
					w.funding[0].value -= part
					p.outs = append(p.outs, out{w: e.w, key: w.receiveFor(e.w), value: part, tag: e.tag})
					spent += part
				}
				break
			}
			p.outs = append(p.outs, out{w: e.w, key: w.receiveFor(e.w), value: e.value, tag: e.tag})
			spent += e.value
			w.funding = w.funding[1:]
			n++
		}
		if len(p.outs) == 0 {
			continue
		}
		ch := avail - spent - fee()
		if ch > dustLimit {
			p.outs = append(p.outs, out{w: m.wallet, key: w.key(m.wallet, m.wallet.kind, "change", ""), value: ch, change: true})
		}
		if _, err := w.commit(p); err != nil && !errors.Is(err, errFull) {
			return err
		}
	}
	return nil
}

// receiveFor returns a receiving key of wl, as its owner would hand it out.
func (w *world) receiveFor(wl *wallet) *engine.Key {
	if wl.prof != nil {
		return w.receive(wl)
	}
	return w.key(wl, wl.kind, "", "")
}

// shuffleOuts puts outputs in a random order.
func (w *world) shuffleOuts(o []out) {
	w.rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
}

// sortOutsDesc sorts outputs by value, largest first (ties by script).
func sortOutsDesc(o []out) {
	slices.SortStableFunc(o, func(a, b out) int {
		if a.value != b.value {
			if a.value > b.value {
				return -1
			}
			return 1
		}
		return 0
	})
}
