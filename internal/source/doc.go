// Package source reads Bitcoin blocks as they are really stored: Bitcoin Core blk*.dat folders
// (with the xor.dat obfuscation key), single block-file-framed files, raw serialized blocks, and
// a live node over JSON-RPC.
package source
