package sim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStandardDenominations(t *testing.T) {
	ds := StandardDenominations()
	for i, d := range ds {
		if !isStandardDenom(d) {
			t.Errorf("%d is not a standard denomination", d)
		}
		if i > 0 && d >= ds[i-1] {
			t.Fatalf("not strictly descending at %d", i)
		}
	}
	// Count them independently: every candidate value of the six forms.
	n := 0
	for v := int64(5000); v <= 134_375_000_000; v++ {
		if v > 1_000_000 {
			break
		}
		if isStandardDenom(v) {
			n++
		}
	}
	small := 0
	for _, d := range ds {
		if d <= 1_000_000 {
			small++
		}
	}
	if n != small {
		t.Fatalf("%d denominations up to 0.01 BTC, brute force finds %d", small, n)
	}
}

func TestDecomposeWasabi2(t *testing.T) {
	for _, c := range []struct{ avail, cost int64 }{
		{12_340_000, 310}, {5_000, 0}, {4_999, 0}, {1_000_000_000, 3100}, {123_456_789, 31}, {7_777, 100},
	} {
		outs, left := DecomposeWasabi2(c.avail, c.cost, 10)
		var sum int64
		for i, o := range outs {
			if !isStandardDenom(o) {
				t.Errorf("%d: output %d is not standard", c.avail, o)
			}
			if i > 0 && o > outs[i-1] {
				t.Errorf("%d: outputs not descending", c.avail)
			}
			sum += o + c.cost
		}
		if sum+left != c.avail || left < 0 {
			t.Errorf("%d: outputs+costs %d + leftover %d ≠ available", c.avail, sum, left)
		}
		if len(outs) < 10 && left >= 5000+c.cost {
			t.Errorf("%d: leftover %d could still pay a 5000 sat denomination", c.avail, left)
		}
	}
}

func TestPlanTx0(t *testing.T) {
	fee := func(n int, change bool) int64 { return int64(100 + 31*n) }
	for _, c := range []struct {
		total int64
		pool  int
		ok    bool
		n     int
	}{
		{10_000_000, 0, true, 70}, // capped at 70 premix
		{1_000_000, 0, true, 9},
		{100_000, 0, false, 0},
		{3_000_000, 1, true, 2},
		{300_000_000, 2, true, 0},
	} {
		p, err := PlanTx0(c.total, WhirlpoolPools[c.pool], 1000, 70, dustLimit, fee)
		if (err == nil) != c.ok {
			t.Errorf("total %d pool %d: err %v, want ok=%v", c.total, c.pool, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		pool := WhirlpoolPools[c.pool]
		if c.n > 0 && p.NPremix != c.n {
			t.Errorf("total %d: %d premix, want %d", c.total, p.NPremix, c.n)
		}
		if p.NPremix > 70 || p.Premix < pool.Denom+100 || p.Premix > pool.Denom+110_000 {
			t.Errorf("total %d: premix %d × %d outside the pool's range", c.total, p.NPremix, p.Premix)
		}
		if got := int64(p.NPremix)*p.Premix + pool.Fee + p.Change + p.Fee; got != c.total {
			t.Errorf("total %d: premix+fee+change+mining = %d", c.total, got)
		}
	}
	if _, err := PlanTx0(1e8, WhirlpoolPools[0], 50, 70, dustLimit, fee); err == nil {
		t.Error("excess below 100 sat accepted")
	}
}

func TestPlanWasabi1(t *testing.T) {
	const denom = 10_000_000
	ps := make([]Wasabi1Participant, 14)
	for i := range ps {
		ps[i] = Wasabi1Participant{In: int64(11_000_000 + i*3_000_000), InCost: 680}
	}
	coord, err := PlanWasabi1(ps, denom, 310, 30, dustLimit, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	base := 0
	levels := map[int64]int{}
	var sumFee int64
	for _, p := range ps {
		if len(p.Outputs) == 0 || p.Outputs[0]%denom != 0 {
			t.Fatalf("participant output %v is not a 2^i multiple of the denomination", p.Outputs)
		}
		levels[p.Outputs[0]]++
		if p.Outputs[0] == denom {
			base++
		}
		var out int64
		for _, o := range p.Outputs {
			out += o
		}
		if out+p.CoordFee+p.InCost+2*310 > p.In {
			t.Errorf("participant pays out %d + fees > in %d", out, p.In)
		}
		sumFee += p.CoordFee
	}
	if base < 10 {
		t.Errorf("%d base-level outputs, want ≥ 10", base)
	}
	for v, n := range levels {
		if n < 2 {
			t.Errorf("level %d has a single participant", v)
		}
	}
	if sumFee != coord || coord <= 0 {
		t.Errorf("coordinator fee %d, participants paid %d", coord, sumFee)
	}
	if _, err := PlanWasabi1([]Wasabi1Participant{{In: 1000}, {In: 1000}}, denom, 310, 30, dustLimit, 2, 2); err == nil {
		t.Error("a participant who cannot pay the denomination was accepted")
	}
}

func TestPlanJoinMarket(t *testing.T) {
	p, err := PlanJoinMarket(50_000_000, 60_000_000, []int64{80_000_000, 51_000_000}, []int64{500, 700}, 3000, dustLimit)
	if err != nil {
		t.Fatal(err)
	}
	if p.MakerChange[0] != 30_000_500 || p.MakerChange[1] != 1_000_700 {
		t.Errorf("maker change %v", p.MakerChange)
	}
	if p.TakerChange != 60_000_000-50_000_000-1200-3000 {
		t.Errorf("taker change %d", p.TakerChange)
	}
	for _, c := range []struct {
		name          string
		amount, taker int64
		makers        []int64
	}{
		{"one maker", 1e6, 2e6, []int64{2e6}},
		{"maker short", 1e6, 2e6, []int64{2e6, 5e5}},
		{"taker short", 1e6, 1e6, []int64{2e6, 2e6}},
	} {
		if _, err := PlanJoinMarket(c.amount, c.taker, c.makers, make([]int64, len(c.makers)), 1000, dustLimit); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestRoundAmount(t *testing.T) {
	for _, c := range [][2]int64{{123_456, 100_000}, {260_000, 200_000}, {7_000_000, 5_000_000}, {1, 1}, {0, 0}, {999, 500}} {
		if got := roundAmount(c[0]); got != c[1] {
			t.Errorf("roundAmount(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(full, "keep.txt")
	if err := os.WriteFile(keep, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown scenario", Config{Scenario: "heist", OutDir: filepath.Join(tmp, "a")}, "valid scenarios are economy, lazarus"},
		{"negative scale", Config{Scale: -1, OutDir: filepath.Join(tmp, "b")}, "scale"},
		{"NaN scale", Config{Scale: math.NaN(), OutDir: filepath.Join(tmp, "c")}, "scale"},
		{"huge scale", Config{Scale: 1e9, OutDir: filepath.Join(tmp, "d")}, "scale"},
		{"no out", Config{}, "output folder"},
		{"non-empty out", Config{OutDir: full}, "not empty"},
		{"out is a file", Config{OutDir: keep}, keep},
	} {
		_, err := Run(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "precious" {
		t.Fatalf("existing file touched: %q %v", b, err)
	}
	ents, _ := os.ReadDir(full)
	if len(ents) != 1 {
		t.Fatalf("non-empty output folder now holds %d entries", len(ents))
	}
	// A cancelled run stops with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{OutDir: filepath.Join(tmp, "e"), Fast: true, Scale: testScale}); err == nil {
		t.Fatal("cancelled run succeeded")
	}
}

// TestEconomyHasNoTheft checks the background scenario: no thief, no loot,
// every actor kind present.
func TestEconomyHasNoTheft(t *testing.T) {
	dir, h := simulate(t, ScenarioEconomy, 3, true)
	if h.Theft != nil || len(h.CashOuts) > 0 || h.Labels.Theft != nil {
		t.Fatal("economy scenario has a theft")
	}
	if h.Signed || !h.Fast {
		t.Fatal("fast run not flagged unsigned")
	}
	kinds := map[string]bool{}
	for _, a := range h.Actors {
		kinds[a.Kind] = true
	}
	for _, k := range []string{kindUser, kindExchange, kindMerchant, kindProcessor, kindMiner, kindCoordinator, kindMaker, kindMixer} {
		if !kinds[k] {
			t.Errorf("no %s actor", k)
		}
	}
	if kinds[kindThief] {
		t.Error("thief in the economy scenario")
	}
	addrs := 0
	if err := ReadRecords(dir, func(r *Record) error {
		if r.Loot != nil {
			t.Fatalf("tx %s carries loot in the economy scenario", r.Txid)
		}
		if r.Type == "addr" {
			addrs++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if int64(addrs) != h.Addresses {
		t.Fatalf("%d addr records, header %d", addrs, h.Addresses)
	}
	for _, k := range []string{"payment", "spend", "batch", "sweep", "consolidation", "withdrawal", "cold-storage", KindMixerDeposit, KindMixerPayout, KindMixerConsolidation} {
		if h.TxKinds[k] == 0 {
			t.Errorf("no %s tx", k)
		}
	}
}
