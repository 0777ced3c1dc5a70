// Package classify says what a Bitcoin transaction is: a CoinJoin round
// (Wasabi 1, Wasabi 2, Whirlpool, JoinMarket, or a generic equal-output
// CoinJoin), a Whirlpool Tx0, a Stonewall, one hop of a peel chain, a
// consolidation, a batch payout or a coinbase.
//
// Classify is a pure function of one transaction as the chain index keeps
// it (values, script types and address keys of inputs and outputs, version,
// lock time), so classifying at ingest, on a `classify --rebuild` and on
// Esplora JSON agree. Each kind comes with a confidence in [0,1], the rule
// that fired and its evidence; rules that need the spent outputs still run
// when they are unknown, say so in the evidence and lower the confidence.
//
// A CoinJoin carries exactly one of the five CoinJoin kinds, the most
// specific one. The rules follow the protocols (pool denominations, Tx0
// coordinator fees, Wasabi's standard denominations and static coordinator
// addresses, value ordering); see docs/classify.md.
package classify
