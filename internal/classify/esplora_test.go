package classify

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/chain"
)

const (
	txidA = "a253947c34a83c5f6bf669e63542b9a2e8f64757638c896d5dfe414130e2ff9d"
	spkW  = "0014ca0f0a71e439fb98d50d02865ce98873aaaabc3e"
)

func esploraTx(txid string, vin, vout string) string {
	return fmt.Sprintf(`{"txid":%q,"version":2,"locktime":0,"vin":[%s],"vout":[%s],"status":{"confirmed":true}}`, txid, vin, vout)
}

func prevout(v int64) string {
	return fmt.Sprintf(`{"txid":%q,"vout":0,"is_coinbase":false,"prevout":{"scriptpubkey":%q,"scriptpubkey_type":"v0_p2wpkh","value":%d},"sequence":4294967295}`, txidA, spkW, v)
}

func vout(v int64) string {
	return fmt.Sprintf(`{"scriptpubkey":%q,"value":%d,"extra":"ignored"}`, spkW, v)
}

func readAll(s string) ([]*EsploraTx, []error) {
	r := NewEsploraReader(strings.NewReader(s))
	var txs []*EsploraTx
	var errs []error
	for {
		t, err := r.Next()
		if errors.Is(err, io.EOF) {
			return txs, errs
		}
		if err != nil {
			errs = append(errs, err)
			var re *RecordError
			if !errors.As(err, &re) || len(errs) > 100 {
				return txs, errs
			}
			continue
		}
		txs = append(txs, t)
	}
}

func TestEsploraReader(t *testing.T) {
	good := esploraTx(txidA, prevout(1000)+","+`{"txid":"`+txidA+`","vout":1,"prevout":null}`, vout(400)+","+`{"scriptpubkey":"6a0401020304","value":0}`)
	tests := []struct {
		name    string
		in      string
		txs     int
		errs    []string // substrings, in order
		checkTx func(t *testing.T, tx *EsploraTx)
	}{
		{name: "one object per line, null prevout is unknown", in: good + "\n\n" + good + "\n", txs: 2, checkTx: func(t *testing.T, e *EsploraTx) {
			if len(e.Tx.Ins) != 2 || !e.Tx.Ins[0].Known || e.Tx.Ins[1].Known || e.Tx.Ins[0].Type != chain.P2WPKH || len(e.Tx.Ins[0].Key) != 21 {
				t.Errorf("inputs %+v", e.Tx.Ins)
			}
			if e.Tx.Outs[1].Type != chain.OpReturn || e.Tx.Outs[1].Key != nil || e.Tx.Version != 2 {
				t.Errorf("outputs %+v", e.Tx.Outs)
			}
		}},
		{name: "a JSON array over several lines", in: "[\n" + good + ",\n" + good + "\n]\n", txs: 2},
		{name: "empty file", in: "", txs: 0},
		{name: "blank lines only", in: "\n  \n", txs: 0},
		{name: "empty array", in: "[]", txs: 0},
		{name: "malformed JSON names its line", in: good + "\n" + `{"txid": "ab",` + "\n" + good, txs: 2, errs: []string{"line 2: malformed JSON"}},
		{name: "missing txid", in: `{"vin":[],"vout":[]}`, errs: []string{`line 1: missing required field "txid"`}},
		{name: "bad txid", in: esploraTx("xyz", "", ""), errs: []string{"not 64 hex digits"}},
		{name: "missing output value", in: esploraTx(txidA, prevout(1), `{"scriptpubkey":"`+spkW+`"}`), errs: []string{`vout[0]: missing required field "value"`}},
		{name: "missing prevout script", in: esploraTx(txidA, `{"prevout":{"value":5}}`, vout(1)), errs: []string{`vin[0].prevout: missing required field "scriptpubkey"`}},
		{name: "negative value", in: esploraTx(txidA, prevout(1), vout(-1)), errs: []string{"vout[0].value -1 is outside"}},
		{name: "more than 21 M BTC", in: esploraTx(txidA, prevout(2_100_000_000_000_001), vout(1)), errs: []string{"vin[0].prevout.value 2100000000000001 is outside"}},
		{name: "fractional value", in: esploraTx(txidA, prevout(1), `{"scriptpubkey":"`+spkW+`","value":1.5}`), errs: []string{"line 1: bad transaction"}},
		{name: "non-hex script", in: esploraTx(txidA, prevout(1), `{"scriptpubkey":"00zz","value":1}`), errs: []string{"vout[0].scriptpubkey is not hex"}},
		{name: "odd-length script", in: esploraTx(txidA, prevout(1), `{"scriptpubkey":"001","value":1}`), errs: []string{"odd length"}},
		{name: "not an object", in: "42\n" + good, txs: 1, errs: []string{"line 1: bad transaction"}},
		{name: "malformed array ends it with its line", in: "[\n" + good + ",\n{oops}\n]", txs: 1, errs: []string{"line 3: malformed JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			txs, errs := readAll(tc.in)
			if len(txs) != tc.txs {
				t.Errorf("%d txs, want %d (errors %v)", len(txs), tc.txs, errs)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v, want %d like %q", errs, len(tc.errs), tc.errs)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.errs[i]) {
					t.Errorf("error %q lacks %q", e, tc.errs[i])
				}
			}
			if tc.checkTx != nil && len(txs) > 0 {
				tc.checkTx(t, txs[0])
			}
		})
	}
}

// TestHugeTx classifies a 10,000-input, 10,000-output tx without trouble.
func TestHugeTx(t *testing.T) {
	var vin, vo strings.Builder
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			vin.WriteByte(',')
			vo.WriteByte(',')
		}
		vin.WriteString(prevout(int64(100_000 + i)))
		vo.WriteString(vout(50_000))
	}
	txs, errs := readAll(esploraTx(txidA, vin.String(), vo.String()))
	if len(errs) > 0 || len(txs) != 1 {
		t.Fatalf("txs %d, errors %v", len(txs), errs)
	}
	rs := Classify(&txs[0].Tx)
	// One address for every input: 10,000 equal outputs exceed the distinct
	// input addresses, so no CoinJoin rule fires.
	if SetOfResults(rs).IsCoinJoin() {
		t.Errorf("got %s", Describe(rs))
	}
}

// FuzzEsploraReader: any input gives txs or errors, never a panic, and a
// tx read is one the rules accept.
func FuzzEsploraReader(f *testing.F) {
	f.Add([]byte(esploraTx(txidA, prevout(1000), vout(400))))
	f.Add([]byte("[" + esploraTx(txidA, `{"is_coinbase":true,"prevout":null}`, vout(5)) + "]"))
	f.Add([]byte(`{"txid":"` + txidA + `","vin":[{"prevout":{"scriptpubkey":"","value":0}}],"vout":[]}` + "\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewEsploraReader(strings.NewReader(string(data)))
		var c Classifier
		for i := 0; i < 1000; i++ {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RecordError
			if err != nil && !errors.As(err, &re) {
				return
			}
			if err != nil {
				continue
			}
			rs := c.Classify(&e.Tx, nil)
			if c.Set(&e.Tx) != SetOfResults(rs) {
				t.Fatal("Set and Classify disagree")
			}
		}
	})
}
