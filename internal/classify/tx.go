package classify

import "github.com/chaintrace/chaintrace/internal/chain"

// Tx is one transaction as the rules see it: only facts the chain index
// keeps, so a tx classified at ingest, from the index and from Esplora JSON
// gets the same kinds.
type Tx struct {
	Version  int32
	LockTime uint32
	Coinbase bool
	Ins      []Input
	Outs     []Output
}

// Input is one input: the output it spends, when known.
type Input struct {
	// Known is false when the spent output is unknown (an index started
	// mid-chain, an Esplora prevout of null): Value, Type and Key are then
	// zero.
	Known bool
	Value int64
	Type  chain.ScriptType
	// Key is the spent output's address key (chain.Addr.Key; the first
	// address of a bare multisig), nil when it pays none.
	Key []byte
}

// Output is one output.
type Output struct {
	Value int64
	Type  chain.ScriptType
	Key   []byte // address key as for Input.Key; nil for OP_RETURN
}

// MaxMoney is 21 M BTC in satoshis, the bound of any value.
const MaxMoney = 21_000_000 * 100_000_000
