package index

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
)

// TestRandomOps drives an index through random applies, undos (buffered and
// committed), flushes, automatic commits, dropped handles and commits that
// die at a random step, checking consistency along the way; the final index
// must equal a clean build.
func TestRandomOps(t *testing.T) {
	blocks := longChain(t)
	n := 6000
	want := cleanDigest(t, blocks, n)
	for seed := uint64(1); seed <= 2; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		dir := filepath.Join(t.TempDir(), "chain")
		ix := openTest(t, dir, &chaincfg.MainNetParams)
		ix.pendBudget = 30000 + rng.IntN(300000)
		next := 0 // height of the next block to apply
		reopen := func() {
			ix.Close()
			ix = openTest(t, dir, nil)
			ix.pendBudget = 30000 + rng.IntN(300000)
			next = 0
			if tip, ok := ix.Tip(); ok {
				next = int(tip.Height) + 1
			}
		}
		for op := 0; op < 60; op++ {
			switch r := rng.IntN(10); {
			case r < 5: // apply
				k := min(1+rng.IntN(600), n-next)
				applyAll(t, ix, blocks[next:next+k], int64(next))
				next += k
			case r < 7: // undo
				k := min(rng.IntN(80), next)
				for range k {
					if err := ix.Undo(); err != nil {
						t.Fatalf("seed %d op %d: %v", seed, op, err)
					}
				}
				next -= k
			case r < 8:
				if err := ix.Flush(); err != nil {
					t.Fatal(err)
				}
			case r < 9: // drop without flushing
				reopen()
			default: // a commit dies
				ix.crashAt = 1 + rng.IntN(4)
				if err := ix.Flush(); err != nil && !errors.Is(err, errCrash) {
					t.Fatal(err)
				}
				reopen()
			}
			if tip, ok := ix.Tip(); (ok && tip.Height != int64(next-1)) || (!ok && next != 0) {
				t.Fatalf("seed %d op %d: tip %d, expected next %d", seed, op, tip.Height, next)
			}
			if op%10 == 9 {
				verify(t, ix)
			}
		}
		applyAll(t, ix, blocks[next:n], int64(next))
		if got := verify(t, ix).Digest; got != want {
			t.Fatalf("seed %d: digest %s, clean build %s", seed, got, want)
		}
		ix.Close()
	}
}
