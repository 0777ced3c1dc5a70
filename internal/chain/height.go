package chain

import "github.com/btcsuite/btcd/wire"

// BlockHeight returns the height that a block of version 2 or later commits
// to in its coinbase (BIP34): the first item of the coinbase's signature
// script, read as a minimally encoded, non-negative script number (OP_0,
// OP_1..OP_16, or a push of up to 5 bytes). ok is false when the block is of
// version 1, has no coinbase, or the first item is not such a number; blocks
// mined before BIP34 activation may carry anything there.
func BlockHeight(b *wire.MsgBlock) (int64, bool) {
	if b == nil || b.Header.Version < 2 || len(b.Transactions) == 0 {
		return 0, false
	}
	cb := b.Transactions[0]
	if len(cb.TxIn) == 0 {
		return 0, false
	}
	return CoinbaseHeight(cb.TxIn[0].SignatureScript)
}

// CoinbaseHeight decodes the BIP34 height at the start of a coinbase
// signature script (see BlockHeight).
func CoinbaseHeight(sig []byte) (int64, bool) {
	if len(sig) == 0 {
		return 0, false
	}
	op := sig[0]
	switch {
	case op == op0:
		return 0, true
	case op >= op1 && op <= op16:
		return int64(op-op1) + 1, true
	case op >= 1 && op <= 5:
		n := int(op)
		if len(sig) < 1+n {
			return 0, false
		}
		num := sig[1 : 1+n]
		last := num[n-1]
		if last&0x80 != 0 {
			return 0, false // negative
		}
		// Minimal encoding: the last byte may be zero only when the
		// byte before it has its sign bit set.
		if last == 0 && (n == 1 || num[n-2]&0x80 == 0) {
			return 0, false
		}
		var v int64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | int64(num[i])
		}
		return v, true
	}
	return 0, false
}
