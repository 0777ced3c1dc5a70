// Package chain holds the Bitcoin domain types shared by every layer: the
// supported networks (including testnet4, which btcd lacks) and their magic
// numbers, output-script classification and address extraction for every
// script form (ParseScript), the compact binary address identity (Addr) with
// its string encodings per network, and the BIP34 height of a block.
package chain
