package sim

import (
	"fmt"
	"testing"

	"github.com/chaintrace/chaintrace/internal/btcdtest"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// TestRealNodeAcceptsChain submits every simulated block of three lazarus
// seeds to a real btcd node: each must be accepted and the node's best block
// must be the simulator's tip.
func TestRealNodeAcceptsChain(t *testing.T) {
	testutil.BtcdPath(t) // skip early (before simulating) when there is no btcd
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			dir, h := simulate(t, ScenarioLazarus, seed, false)
			blocks := readBlocks(t, dir)
			n := btcdtest.Start(t)
			for i, b := range blocks {
				if i == 0 {
					continue // genesis, which the node has
				}
				if err := n.SubmitBlock(b.raw); err != nil {
					t.Fatalf("block %d (%s) rejected: %v", i, b.block.BlockHash(), err)
				}
			}
			raw, err := n.Call("getbestblockhash")
			if err != nil {
				t.Fatal(err)
			}
			if got := string(raw); got != `"`+h.TipHash+`"` {
				t.Fatalf("node tip %s, simulator tip %s", got, h.TipHash)
			}
			_, height := n.BestBlock()
			if height != int64(h.TipHeight) {
				t.Fatalf("node height %d, simulator %d", height, h.TipHeight)
			}
		})
	}
}
