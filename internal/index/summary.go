package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble"
)

// Address totals. Format v6 keeps them in addr_sum.col (postings.go); up
// to v5 they were Pebble merge operands under key 's' + address id. The
// merger stays registered so that Pebble opens an older index and Open can
// refuse it with its format version (Pebble refuses a database written with
// a merger it is not given).

type summary struct{ count, recv, sent int64 }

func (s summary) add(o summary) summary {
	return summary{s.count + o.count, s.recv + o.recv, s.sent + o.sent}
}

func (s summary) encode(dst []byte) []byte {
	dst = binary.AppendVarint(dst, s.count)
	dst = binary.AppendVarint(dst, s.recv)
	return binary.AppendVarint(dst, s.sent)
}

func decodeSummary(b []byte) (summary, error) {
	var s summary
	var n int
	for _, p := range []*int64{&s.count, &s.recv, &s.sent} {
		v, m := binary.Varint(b[n:])
		if m <= 0 {
			return summary{}, errors.New("bad address summary")
		}
		*p, n = v, n+m
	}
	if n != len(b) {
		return summary{}, errors.New("bad address summary: trailing bytes")
	}
	return s, nil
}

// summaryMerger is the Pebble merge operator adding summaries.
var summaryMerger = &pebble.Merger{
	Name: "chaintrace.addrsummary.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		s, err := decodeSummary(value)
		if err != nil {
			return nil, fmt.Errorf("key %x: %w", key, err)
		}
		return &summaryValue{s}, nil
	},
}

type summaryValue struct{ s summary }

func (m *summaryValue) MergeNewer(v []byte) error { return m.merge(v) }
func (m *summaryValue) MergeOlder(v []byte) error { return m.merge(v) }

func (m *summaryValue) merge(v []byte) error {
	o, err := decodeSummary(v)
	if err != nil {
		return err
	}
	m.s = m.s.add(o)
	return nil
}

func (m *summaryValue) Finish(bool) ([]byte, io.Closer, error) {
	return m.s.encode(nil), nil, nil
}
