package sim

import (
	"github.com/chaintrace/chaintrace/internal/sim/engine"
)

// utxo is a coin an actor owns, with the thief's bookkeeping on it.
type utxo struct {
	coin engine.Coin
	w    *wallet
	pos  int   // index in w.coins; -1 while pending
	loot int64 // satoshis of this coin that come from the theft (thief's books)
	via  string
	tag  int // free for the owner's use (e.g. a Whirlpool pool index)
}

// profile is a user's wallet software behaviour (the fingerprints change
// heuristics look for).
type profile struct {
	name        string
	kind        engine.KeyKind
	reuse       bool // one address for receiving and change (no fresh change)
	changeMatch bool // change script type follows the payment's
	antiSnipe   bool // nLockTime = tip height (Bitcoin Core, Electrum)
	version     int32
	rbf         bool
	roundPay    float64 // probability a payment is a round amount
}

var profiles = []*profile{
	{name: "core", kind: engine.P2WPKH, changeMatch: true, antiSnipe: true, version: 2, rbf: true, roundPay: 0.3},
	{name: "electrum", kind: engine.P2WPKH, antiSnipe: true, version: 2, rbf: true, roundPay: 0.4},
	{name: "legacy-reuse", kind: engine.P2PKH, reuse: true, version: 1, roundPay: 0.6},
	{name: "mobile", kind: engine.P2SHP2WPKH, version: 2, roundPay: 0.5},
	{name: "taproot", kind: engine.P2TR, changeMatch: true, antiSnipe: true, version: 2, rbf: true, roundPay: 0.3},
}

// wallet is a set of coins and keys of one actor with one behaviour.
type wallet struct {
	id      string
	a       *actor
	kind    engine.KeyKind
	prof    *profile // users only
	role    string   // role of its addresses in the truth
	label   string   // investigator label put on its addresses ("" = unknown)
	coins   []*utxo
	pending []*utxo
	reuse   *engine.Key
	dirty   bool
	bal     int64 // Σ coins' values
	// onConfirm, when set, is called for every coin of the wallet once its block is mined.
	onConfirm func(u *utxo)
}

// balance is the value of the wallet's confirmed coins.
func (w *wallet) balance() int64 { return w.bal }

func (w *wallet) remove(u *utxo) {
	i := u.pos
	w.bal -= u.coin.Value
	last := len(w.coins) - 1
	w.coins[i] = w.coins[last]
	w.coins[i].pos = i
	w.coins[last] = nil
	w.coins = w.coins[:last]
	u.pos = -1
}

// spendable reports whether u can be spent in block next (coinbase maturity).
func spendable(u *utxo, next int64) bool {
	return !u.coin.Coinbase || next-u.coin.Height >= engine.CoinbaseMaturity
}

// vsizes of inputs and outputs by kind, for fee shares (a close approximation
// of engine.EstimateVSize's parts).
func inVSize(k engine.KeyKind) int64 {
	switch k {
	case engine.P2PKH:
		return 148
	case engine.P2SHP2WPKH:
		return 91
	case engine.P2WPKH:
		return 68
	case engine.P2TR:
		return 58
	case engine.P2WSHMultisig:
		return 105
	}
	return 150
}

func outVSize(k engine.KeyKind) int64 {
	switch k {
	case engine.P2PKH:
		return 34
	case engine.P2SHP2WPKH:
		return 32
	case engine.P2WPKH:
		return 31
	case engine.P2TR, engine.P2WSHMultisig:
		return 43
	}
	return 43
}
