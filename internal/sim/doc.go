// Package sim simulates a Bitcoin economy with known ground truth (who owns every coin and where
// stolen coins went) and writes it as Bitcoin Core regtest block files.
//
// Run builds a chain with the engine (package engine: keys, signing, blocks) from a population of
// actors — users with several wallet profiles, exchanges, merchants, a payment processor, miners,
// CoinJoin coordinators (Wasabi 1, Wasabi 2, Whirlpool) and JoinMarket makers, a custodial mixer and,
// in the "lazarus" scenario, a thief who robs an exchange and launders the loot. Next to the blocks it
// writes truth.jsonl (every address's owner, every transaction's kind, change outputs and stolen-satoshi
// bookkeeping, streamed) and truth.json (the run, the actors, the theft, the cash-outs and what an
// investigator knows at the start). ReadHeader and ReadRecords read them back. The same Config gives
// byte-identical files. docs/simulator.md describes the behaviours and the formats.
//
// Memory follows the live coins of the population, which is sized by the block rate (Config.Scale),
// not by the chain length.
package sim
