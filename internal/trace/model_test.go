package trace

import (
	"math/rand/v2"
	"testing"
)

// randomTx draws a valid tx shape: input values, output values and a fee
// with Σin = Σout + fee, and a taint on each input (FIFO spans inside it).
func randomTx(r *rand.Rand, m Model) (ins []taint, inVals, outVals []int64, fee int64) {
	nIn, nOut := 1+r.IntN(6), 1+r.IntN(6)
	var total int64
	for i := 0; i < nIn; i++ {
		v := 1 + r.Int64N(21e14/int64(nIn)) // up to the whole supply
		if r.IntN(3) == 0 {
			v = 1 + r.Int64N(10_000)
		}
		inVals = append(inVals, v)
		total += v
		var t taint
		switch r.IntN(3) {
		case 0: // clean
		case 1:
			t = full(m, v)
		default: // a part of it: one span somewhere inside
			lo := r.Int64N(v)
			hi := lo + 1 + r.Int64N(v-lo)
			t.amount = hi - lo
			if m == FIFO {
				t.spans = []span{{lo, hi}}
			}
		}
		ins = append(ins, t)
	}
	fee = r.Int64N(total/10 + 1)
	left := total - fee
	for j := 0; j < nOut; j++ {
		v := left
		if j < nOut-1 {
			v = r.Int64N(left + 1)
		}
		outVals = append(outVals, v)
		left -= v
	}
	return ins, inVals, outVals, fee
}

// TestConservation: under haircut, FIFO and TIHO what leaves a tx (outputs
// plus fee) equals the taint that entered it, to the satoshi, no output gets
// more taint than its value, and FIFO spans stay inside their coins.
func TestConservation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, m := range []Model{Haircut, FIFO, TIHO} {
		for n := 0; n < 20000; n++ {
			ins, inVals, outVals, fee := randomTx(r, m)
			var in int64
			for _, x := range ins {
				in += x.amount
			}
			outs, feeT := splitForward(m, ins, inVals, outVals, fee)
			got := feeT
			for j, o := range outs {
				if o.amount < 0 || o.amount > outVals[j] {
					t.Fatalf("%s: output %d taint %d outside [0, %d]", m, j, o.amount, outVals[j])
				}
				if m == FIFO && sumSpans(o.spans) != o.amount {
					t.Fatalf("fifo: output %d spans %v ≠ amount %d", j, o.spans, o.amount)
				}
				for _, s := range o.spans {
					if s.lo < 0 || s.hi > outVals[j] || s.lo >= s.hi {
						t.Fatalf("fifo: span %v outside output %d of %d", s, j, outVals[j])
					}
				}
				got += o.amount
			}
			if got != in {
				t.Fatalf("%s forward: in %d, out+fee %d (ins %v vals %v outs %v fee %d)", m, in, got, ins, inVals, outVals, fee)
			}
			if feeT < 0 || feeT > fee {
				t.Fatalf("%s: fee taint %d outside [0, %d]", m, feeT, fee)
			}
			// Backward from the outputs' taint gives the same total back.
			back := splitBackward(m, outs, outVals, inVals)
			var b, want int64
			for i, x := range back {
				if x.amount > inVals[i] {
					t.Fatalf("%s backward: input %d taint %d > value %d", m, i, x.amount, inVals[i])
				}
				b += x.amount
			}
			for _, o := range outs {
				want += o.amount
			}
			if b != want {
				t.Fatalf("%s backward: outputs %d, inputs %d", m, want, b)
			}
		}
	}
}

// TestPoisonTaintsAll: poison marks every output and the fee fully.
func TestPoisonTaintsAll(t *testing.T) {
	outs, fee := splitForward(Poison, []taint{{amount: 1}, {}}, []int64{10, 20}, []int64{5, 24}, 1)
	if outs[0].amount != 5 || outs[1].amount != 24 || fee != 1 {
		t.Fatalf("poison: %v fee %d", outs, fee)
	}
	outs, fee = splitForward(Poison, []taint{{}, {}}, []int64{10, 20}, []int64{5, 24}, 1)
	if outs[0].amount != 0 || outs[1].amount != 0 || fee != 0 {
		t.Fatalf("poison of clean inputs: %v fee %d", outs, fee)
	}
}

// TestModelsByHand checks each model on a tx worked out by hand: inputs 60
// (tainted) and 40 (clean), outputs 30, 65 and a fee of 5.
func TestModelsByHand(t *testing.T) {
	ins := func(m Model) []taint { return []taint{full(m, 60), {}} }
	cases := []struct {
		m    Model
		outs []int64
		fee  int64
	}{
		// 60 × 30/100 = 18, 60 × 65/100 = 39, 60 × 5/100 = 3.
		{Haircut, []int64{18, 39}, 3},
		// Satoshis 0–59 are tainted: output 0 takes 0–29, output 1 30–94.
		{FIFO, []int64{30, 30}, 0},
		// The largest output (65) takes all 60.
		{TIHO, []int64{0, 60}, 0},
		{Poison, []int64{30, 65}, 5},
	}
	for _, c := range cases {
		outs, fee := splitForward(c.m, ins(c.m), []int64{60, 40}, []int64{30, 65}, 5)
		for j, w := range c.outs {
			if outs[j].amount != w {
				t.Errorf("%s: output %d taint %d, want %d", c.m, j, outs[j].amount, w)
			}
		}
		if fee != c.fee {
			t.Errorf("%s: fee taint %d, want %d", c.m, fee, c.fee)
		}
	}
	// FIFO with the tainted input second: satoshis 40–99 are tainted; output
	// 0 (0–29) clean, output 1 (30–94) holds 55, the fee (95–99) 5.
	outs, fee := splitForward(FIFO, []taint{{}, full(FIFO, 60)}, []int64{40, 60}, []int64{30, 65}, 5)
	if outs[0].amount != 0 || outs[1].amount != 55 || fee != 5 {
		t.Errorf("fifo, tainted second: %v fee %d", outs, fee)
	}
}

// TestApportionExact: largest remainders give exact totals even near the
// int64 limit.
func TestApportionExact(t *testing.T) {
	got := apportion(2_100_000_000_000_000, []int64{2_099_999_999_999_999, 1, 3})
	var s int64
	for _, v := range got {
		s += v
	}
	if s != 2_100_000_000_000_000 {
		t.Fatalf("apportion: sum %d", s)
	}
	if g := apportion(10, []int64{1, 1, 1}); g[0]+g[1]+g[2] != 10 || g[0] != 4 {
		t.Fatalf("apportion(10, 1:1:1) = %v", g)
	}
}
