package classify

import (
	"fmt"
	"strings"
)

// Kind is a transaction kind; its string is part of the CLI and HTTP contract.
type Kind string

// The kinds. The order of Kinds fixes each kind's bit in a Set, which is
// stored in the chain index: never reorder, only append.
const (
	Wasabi1       Kind = "wasabi1"
	Wasabi2       Kind = "wasabi2"
	Whirlpool     Kind = "whirlpool"
	WhirlpoolTx0  Kind = "whirlpool-tx0"
	JoinMarket    Kind = "joinmarket"
	CoinJoin      Kind = "coinjoin"
	Stonewall     Kind = "stonewall"
	Peel          Kind = "peel"
	Consolidation Kind = "consolidation"
	Batch         Kind = "batch"
	Coinbase      Kind = "coinbase"
)

// Kinds lists every kind in bit order.
var Kinds = []Kind{Wasabi1, Wasabi2, Whirlpool, WhirlpoolTx0, JoinMarket, CoinJoin, Stonewall, Peel, Consolidation, Batch, Coinbase}

// RulesVersion identifies the rules: it is recorded in the chain index with
// the kinds it stored, and bumped whenever a rule changes what it finds, so
// an index classified by older rules is known to need `classify --rebuild`.
// v2: JoinMarket needs a change output for every maker but one. v3: the
// generic rule is Dumplings' other-CoinJoin rule or BlockSci's; Stonewall
// co-occurs; no postage threshold. v4: a Stonewall-shaped spend of a
// Whirlpool postmix coin is a Stonewall only.
const RulesVersion uint32 = 4

// Set is a set of kinds as a bitmask (bit i is Kinds[i]). It is the value the
// chain index stores per tx: classify.Set(raw) wraps the index's uint32.
type Set uint32

// Bit returns the set holding only k (0 for an unknown kind).
func (k Kind) Bit() Set {
	for i, x := range Kinds {
		if x == k {
			return 1 << i
		}
	}
	return 0
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return k.Bit() != 0 }

// ParseKind checks s is a kind name.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return "", fmt.Errorf("unknown kind %q (one of %s)", s, strings.Join(names, ", "))
	}
	return k, nil
}

// SetOf returns the set of ks.
func SetOf(ks ...Kind) Set {
	var s Set
	for _, k := range ks {
		s |= k.Bit()
	}
	return s
}

// coinJoinKinds are the kinds of which a CoinJoin carries exactly one.
var coinJoinKinds = SetOf(Wasabi1, Wasabi2, Whirlpool, JoinMarket, CoinJoin)

// multiParty are the kinds whose inputs belong to several owners.
var multiParty = coinJoinKinds | Stonewall.Bit()

// Has reports whether s holds k.
func (s Set) Has(k Kind) bool { return s&k.Bit() != 0 }

// IsCoinJoin reports whether s holds one of the five CoinJoin kinds.
func (s Set) IsCoinJoin() bool { return s&coinJoinKinds != 0 }

// MultiParty reports whether the tx's inputs may belong to several owners
// (a CoinJoin or a Stonewall): the common-input-ownership heuristic must not
// merge them. A Whirlpool Tx0 is single-owner.
func (s Set) MultiParty() bool { return s&multiParty != 0 }

// Kinds returns the kinds in s, in bit order.
func (s Set) Kinds() []Kind {
	var out []Kind
	for i, k := range Kinds {
		if s&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// String lists the kinds joined by "+" ("-" for none).
func (s Set) String() string {
	ks := s.Kinds()
	if len(ks) == 0 {
		return "-"
	}
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, "+")
}

// Result is one kind found in a tx, with how sure the rule is, the rule's
// name and the facts it saw. Its JSON is part of the contract.
type Result struct {
	Kind       Kind    `json:"kind"`
	Confidence float64 `json:"confidence"`
	Rule       string  `json:"rule"`
	Evidence   string  `json:"evidence"`
}

// SetOfResults returns the kinds of rs.
func SetOfResults(rs []Result) Set {
	var s Set
	for _, r := range rs {
		s |= r.Kind.Bit()
	}
	return s
}
