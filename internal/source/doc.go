// Package source reads Bitcoin blocks as they are really stored: Bitcoin
// Core blocks/ folders (blk*.dat, with the xor.dat obfuscation key of Core ≥
// 28), single files in block-file framing, files holding one raw serialized
// block (ScanFiles, Files.ReadBlock), and a live node over JSON-RPC (RPC).
//
// ScanFiles only catalogs headers; callers order the blocks into a chain and
// read bodies one at a time. Bad input is a *FormatError naming the file and
// offset, or, when the data before it is usable (a truncated last block), a
// warning.
package source
