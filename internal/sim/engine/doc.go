// Package engine builds consensus-valid regtest transactions and blocks for the simulator: deterministic keys, signing
// (ECDSA and Schnorr), fee and size accounting, block assembly with proof of work, and Bitcoin Core block-file output.
package engine
