package cluster

import (
	"encoding/binary"
	"fmt"
)

// Heuristic names the evidence behind a merge-log record.
type Heuristic uint8

const (
	// MultiInput is common-input ownership: the tx's inputs are one owner's.
	MultiInput Heuristic = 1
	// Change is a change-output merge (scored evidence; see change.go).
	Change Heuristic = 2
)

// Heuristic 3 is reserved: format v2 logged first spends (wallet
// fingerprints) as merge records; v3 keeps them in firstspend.log.

func (h Heuristic) String() string {
	switch h {
	case MultiInput:
		return "multi-input"
	case Change:
		return "change"
	}
	return fmt.Sprintf("heuristic-%d", uint8(h))
}

// Status says what became of a proposed merge.
type Status uint8

const (
	// Applied merges joined two clusters.
	Applied Status = 0
	// RefusedLabels merges would have joined clusters carrying different
	// service labels; nothing changed.
	RefusedLabels Status = 1
	// HeldSize merges (change only) would have joined two clusters both
	// above the size limit; held for review, nothing changed.
	HeldSize Status = 2
)

func (s Status) String() string {
	switch s {
	case Applied:
		return "applied"
	case RefusedLabels:
		return "refused-labels"
	case HeldSize:
		return "held-size"
	}
	return fmt.Sprintf("status-%d", uint8(s))
}

// Merge is one record of the append-only merge log.
type Merge struct {
	Tx        uint64    // tx number (index id) whose evidence proposed it
	A, B      uint64    // the two addresses the evidence joins (A: an input)
	Child     uint64    // root that became a child (Applied only)
	Root      uint64    // root it was attached to (Applied only)
	ChildSize uint64    // size of the child's cluster before the merge
	RootSize  uint64    // size of the root's cluster before the merge
	Heuristic Heuristic // evidence
	Status    Status
	Score     float64 // evidence score (log-odds units; multi-input: 0)
	// For fingerprint records: the fingerprint set on A; for merges, flags
	// (mergeTagInherited, mergeBInChild).
	FP uint8
}

// Merge flags.
const (
	mergeTagInherited = 1 << 0 // the root took the child's service tag
	mergeBInChild     = 1 << 1 // B (not A) was in the child's cluster
)

// sides returns the merge's address in the child's cluster and the one in
// the root's.
func (m Merge) sides() (child, root uint64) {
	if m.FP&mergeBInChild != 0 {
		return m.B, m.A
	}
	return m.A, m.B
}

const mergeLen = 5*7 + 1 + 1 + 2 + 1 // 40

func (m Merge) encode(r []byte) {
	putU40(r, m.Tx)
	putU40(r[5:], m.A)
	putU40(r[10:], m.B)
	putU40(r[15:], m.Child)
	putU40(r[20:], m.Root)
	putU40(r[25:], m.ChildSize)
	putU40(r[30:], m.RootSize)
	r[35] = byte(m.Heuristic)
	r[36] = byte(m.Status)
	binary.LittleEndian.PutUint16(r[37:], uint16(min(max(m.Score, 0)*100, 65535)))
	r[39] = m.FP
}

func decodeMerge(r []byte) Merge {
	return Merge{
		Tx: getU40(r), A: getU40(r[5:]), B: getU40(r[10:]), Child: getU40(r[15:]), Root: getU40(r[20:]),
		ChildSize: getU40(r[25:]), RootSize: getU40(r[30:]),
		Heuristic: Heuristic(r[35]), Status: Status(r[36]),
		Score: float64(binary.LittleEndian.Uint16(r[37:])) / 100, FP: r[39],
	}
}

// blockRec is one processed block (blocks.col): its hash and height and
// where its merges, txs and new addresses start.
type blockRec struct {
	Hash      [32]byte
	Height    int64
	TxStart   uint64
	LogStart  uint64
	AddrStart uint64
	// SpendStart is the block's first record in firstspend.log.
	SpendStart uint64
}

const blockLen = 32 + 8*5

// spendLen is the width of a firstspend.log record: the address (u40)
// whose first spend, in that block, set its wallet fingerprint.
const spendLen = 5

func (b blockRec) encode(r []byte) {
	copy(r, b.Hash[:])
	binary.LittleEndian.PutUint64(r[32:], uint64(b.Height))
	binary.LittleEndian.PutUint64(r[40:], b.TxStart)
	binary.LittleEndian.PutUint64(r[48:], b.LogStart)
	binary.LittleEndian.PutUint64(r[56:], b.AddrStart)
	binary.LittleEndian.PutUint64(r[64:], b.SpendStart)
}

func decodeBlock(r []byte) blockRec {
	var b blockRec
	copy(b.Hash[:], r)
	b.Height = int64(binary.LittleEndian.Uint64(r[32:]))
	b.TxStart = binary.LittleEndian.Uint64(r[40:])
	b.LogStart = binary.LittleEndian.Uint64(r[48:])
	b.AddrStart = binary.LittleEndian.Uint64(r[56:])
	b.SpendStart = binary.LittleEndian.Uint64(r[64:])
	return b
}
