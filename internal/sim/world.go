package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// Config configures a simulation run.
type Config struct {
	Scenario string  // "lazarus" (default) or "economy"
	Seed     uint64  // every choice follows from it
	Scale    float64 // ≈ Scale × 10 000 background transactions; 0 means 1
	Fast     bool    // placeholder signatures (benchmarks; a node rejects the blocks)
	OutDir   string  // must not exist or be empty
	// MaxFileSize is the blk file size limit (0: Bitcoin Core's 128 MiB).
	MaxFileSize int64
	// Progress, when set, is called after every block.
	Progress func(Progress)
}

// Progress reports how far a run is.
type Progress struct {
	Height, Target int64
	Txs            int64
}

// Scenario names.
const (
	ScenarioLazarus = "lazarus"
	ScenarioEconomy = "economy"
)

var scenarios = map[string]string{
	ScenarioLazarus: "a thief robs an exchange and launders the loot through peel chains, a custodial mixer and CoinJoins into other exchanges, inside the background economy",
	ScenarioEconomy: "the background economy alone: users, exchanges, merchants, a payment processor, miners, CoinJoins and a custodial mixer",
}

// Scenarios returns the valid scenario names, sorted.
func Scenarios() []string {
	var s []string
	for n := range scenarios {
		s = append(s, n)
	}
	slices.Sort(s)
	return s
}

// ScenarioDescription returns a one-line description of a scenario.
func ScenarioDescription(name string) string { return scenarios[name] }

// Limits of the run size.
const (
	MaxScale = 100_000
	// segwitHeight is where btcd's regtest activates segwit and taproot
	// (BIP9 with the engine's block version); before it no block may carry
	// witness data, so the bootstrap only mines and funds from P2PKH coinbases.
	segwitHeight = 432
	txsPerScale  = 10_000
	minDays      = 3
)

// Validate checks cfg and fills defaults.
func (c *Config) Validate() error {
	if c.Scenario == "" {
		c.Scenario = ScenarioLazarus
	}
	if _, ok := scenarios[c.Scenario]; !ok {
		return fmt.Errorf("unknown scenario %q: valid scenarios are %s", c.Scenario, strings.Join(Scenarios(), ", "))
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if math.IsNaN(c.Scale) || c.Scale <= 0 || c.Scale > MaxScale {
		return fmt.Errorf("scale %v out of range: must be > 0 and ≤ %d", c.Scale, MaxScale)
	}
	if c.OutDir == "" {
		return errors.New("no output folder")
	}
	if c.MaxFileSize < 0 {
		return fmt.Errorf("max file size %d is negative", c.MaxFileSize)
	}
	return nil
}

// plan sizes the run: background transactions per block and activity blocks.
func (c *Config) plan() (perBlock int, blocks int64) {
	target := c.Scale * txsPerScale
	days := minDays
	if c.Scenario == ScenarioLazarus {
		days = lazarusDays // laundering with delays of days
	}
	r := target / float64(days*144)
	r = max(3, min(r, 2000))
	blocks = max(int64(days*144), int64(math.Ceil(target/r)))
	return int(math.Round(r)), blocks
}

// Run simulates the scenario and writes OutDir/blocks/blk*.dat,
// OutDir/truth.jsonl and OutDir/truth.json. It refuses an OutDir that exists
// and is not empty.
func Run(ctx context.Context, cfg Config) (*Header, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := prepareOut(cfg.OutDir); err != nil {
		return nil, err
	}
	w, err := newWorld(cfg)
	if err != nil {
		return nil, err
	}
	runErr := w.run(ctx)
	if err := w.rec.close(); runErr == nil && err != nil {
		runErr = fmt.Errorf("write %s: %w", TruthRecordsFile, err)
	}
	if err := w.eng.Close(); runErr == nil && err != nil {
		runErr = fmt.Errorf("write blocks: %w", err)
	}
	if runErr != nil {
		return nil, runErr
	}
	if err := w.writeHeader(); err != nil {
		return nil, err
	}
	return &w.hdr, nil
}

// prepareOut creates dir, refusing an existing non-empty one.
func prepareOut(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case err == nil && len(ents) > 0:
		return fmt.Errorf("output folder %s is not empty: refusing to overwrite it (choose another --out or remove it)", dir)
	case err == nil:
		return nil
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create output folder: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("output folder %s: %w", dir, err)
	}
}

// actor is a participant of the economy.
type actor struct {
	Actor
	label string
}

// world is the state of a run.
type world struct {
	cfg  Config
	eng  *engine.Engine
	rng  *rand.Rand
	rec  *recordWriter
	hdr  Header
	next int64 // height of the block being assembled
	now  time.Time
	rate float64 // fee rate of this block (sat/vB)
	walk float64

	actors    []*actor
	blockTxs  int   // txs queued in this block
	blockFees int64 // their fees
	outVals   []int64
	dirty     []*wallet
	vsize     int64 // queued virtual size of this block
	perBlock  int
	endHeight int64

	users     []*user
	exchanges []*exchange
	merchants []*merchant
	proc      *processor
	miners    []*miner
	wasabi    *wasabiCoord
	whirl     *whirlpool
	makers    []*maker
	mixer     *mixer
	thief     *thief
	funding   []endow
	labelled  map[string]*LabelEntity
	sizeKeys  map[engine.KeyKind]*engine.Key
}

const maxBlockVSize = 950_000 // keep room below the 1 M vB limit

var errFull = errors.New("block full")

func newWorld(cfg Config) (*world, error) {
	eng, err := engine.New(engine.Config{
		Seed:        int64(cfg.Seed),
		Params:      &chaincfg.RegressionNetParams,
		Fast:        cfg.Fast,
		OutDir:      cfg.OutDir,
		MaxFileSize: cfg.MaxFileSize,
	})
	if err != nil {
		return nil, err
	}
	rec, err := newRecordWriter(filepath.Join(cfg.OutDir, TruthRecordsFile))
	if err != nil {
		eng.Close()
		return nil, err
	}
	w := &world{
		cfg:      cfg,
		eng:      eng,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x6368_6169_6e74_7261)),
		rec:      rec,
		now:      engine.DefaultStartTime,
		walk:     0,
		labelled: map[string]*LabelEntity{},
	}
	w.perBlock, w.endHeight = cfg.plan()
	w.endHeight += segwitHeight
	w.hdr = Header{Format: 1, Network: "regtest", Scenario: cfg.Scenario, Seed: cfg.Seed, Scale: cfg.Scale,
		Fast: cfg.Fast, Signed: !cfg.Fast, StartTime: engine.DefaultStartTime.Unix(), TxKinds: map[string]int64{}}
	w.setup()
	return w, nil
}

func (w *world) newActor(kind, id, name string) *actor {
	a := &actor{Actor: Actor{ID: id, Kind: kind, Name: name}}
	w.actors = append(w.actors, a)
	return a
}

func (w *world) newWallet(a *actor, name string, kind engine.KeyKind, role, label string) *wallet {
	wl := &wallet{id: a.ID + "/" + name, a: a, kind: kind, role: role, label: label}
	if label != "" {
		e := w.labelled[label]
		if e == nil {
			e = &LabelEntity{Label: label, Kind: a.Kind, Actor: a.ID}
			w.labelled[label] = e
		}
	}
	return wl
}

// key derives a new key for wl and records its address.
func (w *world) key(wl *wallet, kind engine.KeyKind, role, customer string) *engine.Key {
	return w.keyLabel(wl, kind, role, customer, wl.label)
}

func (w *world) keyLabel(wl *wallet, kind engine.KeyKind, role, customer, label string) *engine.Key {
	k := w.eng.NewKey(kind)
	if role == "" {
		role = wl.role
	}
	w.rec.addr(&Record{Addr: k.Address, Actor: wl.a.ID, Wallet: wl.id, ScriptType: kind.String(), Role: role,
		Customer: customer, Label: label})
	w.hdr.Addresses++
	if label != "" {
		w.labelled[label].Addresses++
	}
	return k
}

// receive returns an address of wl to be paid at (the reused one for
// address-reusing wallets).
func (w *world) receive(wl *wallet) *engine.Key {
	if wl.prof != nil && wl.prof.reuse {
		if wl.reuse == nil {
			wl.reuse = w.key(wl, wl.kind, "receive", "")
		}
		return wl.reuse
	}
	return w.key(wl, wl.kind, "", "")
}

// change returns wl's change address for a payment to payKind.
func (w *world) change(wl *wallet, payKind engine.KeyKind) *engine.Key {
	if wl.prof != nil {
		if wl.prof.reuse {
			return w.receive(wl)
		}
		if wl.prof.changeMatch && payKind != 0 && payKind != engine.P2WSHMultisig {
			return w.key(wl, payKind, "change", "")
		}
	}
	return w.key(wl, wl.kind, "change", "")
}

// out is one output of a planned transaction.
type out struct {
	w      *wallet // owner; nil for OP_RETURN
	key    *engine.Key
	value  int64
	script []byte // OP_RETURN script when key is nil
	change bool
	loot   int64
	via    string
	tag    int
}

// plan is a transaction to build.
type plan struct {
	kind     string
	by       *actor
	ins      []*utxo
	outs     []out
	version  int32
	lockTime uint32
	rbf      bool
	// explicit loot bookkeeping (coinjoins, theft, mixer payouts); otherwise
	// a thief's tx of pure-loot coins carries loot = value on every output.
	lootSet    bool
	lootFee    int64
	stolen     int64
	custodyOut int64
}

func (p *plan) inValue() int64 {
	var s int64
	for _, u := range p.ins {
		s += u.coin.Value
	}
	return s
}

func (p *plan) estimate(extra ...engine.Output) int64 {
	kinds := make([]engine.KeyKind, len(p.ins))
	for i, u := range p.ins {
		kinds[i] = u.coin.Key.Kind
	}
	outs := make([]engine.Output, 0, len(p.outs)+len(extra))
	for _, o := range p.outs {
		outs = append(outs, o.output())
	}
	outs = append(outs, extra...)
	return engine.EstimateVSize(kinds, outs)
}

func (o *out) output() engine.Output {
	if o.key == nil {
		return engine.Output{PkScript: o.script, Value: o.value}
	}
	return engine.OutputTo(o.key, o.value)
}

// commit builds, queues and records p. Inputs leave their wallets and
// outputs become pending coins of their owners. errFull means the block has
// no room; nothing changed then.
func (w *world) commit(p *plan) (*wire.MsgTx, error) {
	est := p.estimate()
	if w.vsize+est > maxBlockVSize {
		return nil, errFull
	}
	spec := engine.TxSpec{Version: p.version, LockTime: p.lockTime, RBF: p.rbf}
	if spec.Version == 0 {
		spec.Version = 2
	}
	if p.lockTime != 0 && !p.rbf {
		spec.Sequence = wire.MaxTxInSequenceNum - 1
	}
	spec.Inputs = make([]engine.Coin, len(p.ins))
	for i, u := range p.ins {
		spec.Inputs[i] = u.coin
	}
	spec.Outputs = make([]engine.Output, len(p.outs))
	for i := range p.outs {
		spec.Outputs[i] = p.outs[i].output()
	}
	// Loot bookkeeping.
	var lootIn, custodyIn, inVal, outVal int64
	pure := true
	for _, u := range p.ins {
		inVal += u.coin.Value
		if u.loot > 0 {
			lootIn += u.loot
			if u.w.a.Kind != kindThief {
				custodyIn += u.loot
			}
		}
		if u.w.a.Kind != kindThief || u.loot != u.coin.Value {
			pure = false
		}
	}
	for _, o := range p.outs {
		outVal += o.value
	}
	fee := inVal - outVal
	lootFee := p.lootFee
	if !p.lootSet && lootIn-custodyIn > 0 {
		if !pure {
			return nil, fmt.Errorf("sim: %s tx by %s mixes loot and clean coins without explicit bookkeeping", p.kind, p.by.ID)
		}
		for i := range p.outs {
			p.outs[i].loot = p.outs[i].value
		}
		lootFee = fee
	}
	var lootOut int64
	for _, o := range p.outs {
		lootOut += o.loot
	}
	if lootIn+p.stolen+p.custodyOut != lootOut+lootFee+custodyIn {
		return nil, fmt.Errorf("sim: %s tx by %s breaks loot conservation: in %d + stolen %d + custody out %d ≠ out %d + fee %d + custody in %d",
			p.kind, p.by.ID, lootIn, p.stolen, p.custodyOut, lootOut, lootFee, custodyIn)
	}
	if lootFee > fee || lootFee < 0 {
		return nil, fmt.Errorf("sim: %s tx: loot fee %d outside [0, fee %d]", p.kind, lootFee, fee)
	}

	tx, err := w.eng.BuildTx(spec)
	if err != nil {
		return nil, err
	}
	if err := w.eng.AddTx(tx); err != nil {
		if errors.Is(err, engine.ErrBlockFull) {
			return nil, errFull
		}
		return nil, err
	}
	w.vsize += w.eng.TxVSize(tx)
	txid := w.eng.TxID(tx) // computed once by AddTx
	for _, u := range p.ins {
		u.w.remove(u)
	}
	r := Record{Type: "tx", hash: &txid, Height: int32(w.next), Kind: p.kind, Actor: p.by.ID, Fee: fee,
		InValue: inVal, NIn: len(p.ins), Out: w.outVals[:0]}
	var lo *TxLoot
	if lootIn > 0 || p.stolen > 0 || p.custodyOut > 0 || lootOut > 0 {
		lo = &TxLoot{In: lootIn, Stolen: p.stolen, CustodyOut: p.custodyOut, Fee: lootFee, CustodyIn: custodyIn}
	}
	for i, o := range p.outs {
		r.Out = append(r.Out, o.value)
		if o.change {
			r.Change = append(r.Change, uint32(i))
		}
		if lo != nil && o.loot > 0 {
			lo.Out = append(lo.Out, [2]int64{int64(i), o.loot})
		}
		if o.w == nil || o.key == nil {
			continue
		}
		u := &utxo{coin: engine.Coin{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)}, Value: o.value, Key: o.key,
			Height: w.next}, w: o.w, pos: -1, loot: o.loot, via: o.via, tag: o.tag}
		o.w.pending = append(o.w.pending, u)
		if !o.w.dirty {
			o.w.dirty = true
			w.dirty = append(w.dirty, o.w)
		}
	}
	r.Loot = lo
	w.rec.txPending(&r)
	w.outVals = r.Out[:0]
	w.blockTxs++
	w.blockFees += fee
	w.hdr.TxKinds[p.kind]++
	return tx, nil
}

// pay builds a payment from wl to the given outputs with change back to wl,
// choosing coins, fee and fingerprints by wl's profile. kind "" names it
// "payment" (no change) or "spend" (with change).
func (w *world) pay(wl *wallet, by *actor, kind string, dests []out, rateMul float64) (*wire.MsgTx, error) {
	p, err := w.buildPay(wl, by, kind, dests, rateMul)
	if err != nil {
		return nil, err
	}
	return w.commit(p)
}

func (w *world) buildPay(wl *wallet, by *actor, kind string, dests []out, rateMul float64) (*plan, error) {
	var total int64
	payKind := engine.KeyKind(0)
	for _, d := range dests {
		total += d.value
		if d.key != nil && payKind == 0 {
			payKind = d.key.Kind
		}
	}
	rate := w.rate * rateMul
	p := &plan{kind: kind, by: by, version: 2}
	if pr := wl.prof; pr != nil {
		p.version = pr.version
		p.rbf = pr.rbf
		if pr.antiSnipe {
			p.lockTime = uint32(w.next - 1)
		}
	}
	p.outs = dests
	ins, ok := w.selectCoins(wl, total, rate, len(dests)+1)
	if !ok {
		return nil, errNoFunds
	}
	p.ins = ins
	in := p.inValue()
	chKey := w.changePeek(wl, payKind)
	fee := int64(math.Ceil(rate * float64(p.estimate(engine.OutputTo(chKey, 0)))))
	change := in - total - fee
	if change >= dustLimit {
		k := w.change(wl, payKind)
		pos := w.rng.IntN(len(dests) + 1)
		o := out{w: wl, key: k, value: change, change: true}
		if len(ins) > 0 {
			o.via = ins[0].via
		}
		p.outs = slices.Insert(slices.Clone(dests), pos, o)
	} else {
		fee0 := int64(math.Ceil(rate * float64(p.estimate())))
		if in-total < fee0 {
			return nil, errNoFunds
		}
	}
	if p.kind == "" {
		p.kind = "payment"
		if change >= dustLimit {
			p.kind = "spend"
		}
	}
	return p, nil
}

// changePeek returns a key of the kind change would have, without deriving
// a new one (for size estimates).
func (w *world) changePeek(wl *wallet, payKind engine.KeyKind) *engine.Key {
	k := w.sizeKeys[wl.kind]
	if wl.prof != nil && wl.prof.changeMatch && payKind != 0 && payKind != engine.P2WSHMultisig {
		k = w.sizeKeys[payKind]
	}
	return k
}

const dustLimit = 1_000

var errNoFunds = errors.New("insufficient funds")

// selectCoins picks confirmed coins of wl covering total plus the fee of
// nOut outputs at rate: the smallest single coin that covers it, else coins
// in wallet order until covered (at most 50).
func (w *world) selectCoins(wl *wallet, total int64, rate float64, nOut int) ([]*utxo, bool) {
	need := func(n int) int64 {
		return total + int64(rate*float64(11+n*int(inVSize(wl.kind))+nOut*int(outVSize(wl.kind))))
	}
	var best *utxo
	n1 := need(1)
	for _, u := range wl.coins {
		if u.coin.Value >= n1 && spendable(u, w.next) && (best == nil || u.coin.Value < best.coin.Value) {
			best = u
		}
	}
	if best != nil {
		return []*utxo{best}, true
	}
	var sel []*utxo
	var sum int64
	start := 0
	if len(wl.coins) > 0 {
		start = w.rng.IntN(len(wl.coins))
	}
	for i := range wl.coins {
		u := wl.coins[(start+i)%len(wl.coins)]
		if !spendable(u, w.next) {
			continue
		}
		sel = append(sel, u)
		sum += u.coin.Value
		if sum >= need(len(sel)) {
			return sel, true
		}
		if len(sel) == 50 {
			break
		}
	}
	return nil, false
}

// sweep spends up to max confirmed coins of wl (all, when max ≤ 0) into one
// output to dst (pure loot stays loot), paying the fee from the total.
func (w *world) sweep(wl *wallet, by *actor, kind string, dst *wallet, dstKey *engine.Key, maxIn int, via string) (*wire.MsgTx, error) {
	var ins []*utxo
	for _, u := range wl.coins {
		if spendable(u, w.next) {
			ins = append(ins, u)
			if maxIn > 0 && len(ins) == maxIn {
				break
			}
		}
	}
	if len(ins) == 0 {
		return nil, errNoFunds
	}
	p := &plan{kind: kind, by: by, ins: ins, version: 2}
	p.outs = []out{{w: dst, key: dstKey, value: 0, via: via}}
	fee := int64(math.Ceil(w.rate * float64(p.estimate())))
	v := p.inValue() - fee
	if v < dustLimit {
		return nil, errNoFunds
	}
	p.outs[0].value = v
	return w.commit(p)
}

// run is the block loop.
func (w *world) run(ctx context.Context) error {
	for w.eng.Height() < w.endHeight {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.next = w.eng.Height() + 1
		w.vsize = 0
		w.feeMarket()
		if err := w.step(); err != nil {
			return fmt.Errorf("block %d: %w", w.next, err)
		}
		if err := w.mine(); err != nil {
			return fmt.Errorf("block %d: %w", w.next, err)
		}
		if w.cfg.Progress != nil {
			w.cfg.Progress(Progress{Height: w.eng.Height(), Target: w.endHeight, Txs: w.hdr.Txs})
		}
	}
	w.finish()
	return nil
}

// feeMarket sets this block's fee rate: a daily cycle times a random walk,
// between 1 and ~150 sat/vB.
func (w *world) feeMarket() {
	w.walk = 0.97*w.walk + 0.25*w.rng.NormFloat64()
	day := float64(w.now.Unix()%86400) / 86400
	cycle := 1 + 0.5*math.Sin(2*math.Pi*day)
	w.rate = math.Max(1, math.Min(150, 6*cycle*math.Exp(w.walk)))
}

// mine mines the queued transactions, writes their records and confirms the
// new coins.
func (w *world) mine() error {
	gap := time.Duration(w.rng.ExpFloat64() * float64(10*time.Minute))
	gap = max(30*time.Second, min(gap, 90*time.Minute))
	w.now = w.now.Add(gap).Truncate(time.Second)
	m := w.pickMiner()
	k := m.coinbaseKey(w)
	block, cbs, err := w.eng.MineBlock(k, w.now)
	if err != nil {
		return err
	}
	w.now = block.Header.Timestamp
	hash := block.BlockHash()
	w.rec.block(&Record{Height: int32(w.next), Hash: hash.String(), Time: block.Header.Timestamp.Unix(), NTx: len(block.Transactions)})
	cb := block.Transactions[0]
	cr := Record{Txid: cb.TxHash().String(), Height: int32(w.next), Kind: "coinbase", Actor: m.a.ID,
		Subsidy: cb.TxOut[0].Value - w.blockFees, Fee: 0}
	for _, o := range cb.TxOut {
		cr.Out = append(cr.Out, o.Value)
	}
	w.rec.tx(&cr)
	w.rec.flushBlock()
	w.hdr.TxKinds["coinbase"]++
	w.hdr.Txs += int64(len(block.Transactions))
	w.hdr.Blocks++
	w.blockTxs, w.blockFees = 0, 0
	m.wallet.pending = append(m.wallet.pending, &utxo{coin: cbs[0], w: m.wallet, pos: -1})
	if !m.wallet.dirty {
		m.wallet.dirty = true
		w.dirty = append(w.dirty, m.wallet)
	}
	for _, wl := range w.dirty {
		for _, u := range wl.pending {
			u.pos = len(wl.coins)
			wl.coins = append(wl.coins, u)
			wl.bal += u.coin.Value
			if wl.onConfirm != nil {
				wl.onConfirm(u)
			}
		}
		clear(wl.pending)
		wl.pending = wl.pending[:0]
		wl.dirty = false
	}
	w.dirty = w.dirty[:0]
	return w.rec.err
}

func (w *world) finish() {
	w.hdr.TipHash = w.eng.TipHash().String()
	w.hdr.TipHeight = int32(w.eng.Height())
	w.hdr.EndTime = w.now.Unix()
	for _, a := range w.actors {
		w.hdr.Actors = append(w.hdr.Actors, a.Actor)
	}
	w.hdr.Labels.Entities = []LabelEntity{}
	for _, a := range w.actors {
		if e := w.labelled[a.label]; a.label != "" && e != nil {
			w.hdr.Labels.Entities = append(w.hdr.Labels.Entities, *e)
		}
	}
	if w.thief != nil {
		w.thief.finish(w)
	}
}
