package btcdtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func TestNode(t *testing.T) {
	n := Start(t)
	var count int64
	raw, err := n.Call("getblockcount")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &count); err != nil || count != 0 {
		t.Fatalf("fresh regtest node: getblockcount = %s, %v; want 0", raw, err)
	}
	hs := n.Generate(3)
	if len(hs) != 3 {
		t.Fatalf("generate 3 gave %d hashes", len(hs))
	}
	raw, _ = n.Call("getblockcount")
	if string(raw) != "3" {
		t.Fatalf("after generate 3: getblockcount = %s", raw)
	}
	// The block pays MiningAddr, and its raw bytes hash to the returned hash.
	raw, err = n.Call("getblock", hs[2].String(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	json.Unmarshal(raw, &s)
	b, _ := hex.DecodeString(s)
	var m wire.MsgBlock
	if err := m.Deserialize(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if m.BlockHash() != hs[2] {
		t.Fatalf("block hash %s, generate said %s", m.BlockHash(), hs[2])
	}
	// Resubmitting a known block is refused with a reason.
	if err := n.SubmitBlock(b); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("resubmitting a known block: %v, want a rejection naming the duplicate", err)
	}
	// A block with a bad merkle root is rejected with the reason.
	m.Header.MerkleRoot[0] ^= 1
	Solve(&m.Header)
	var buf bytes.Buffer
	m.Serialize(&buf)
	if err := n.SubmitBlock(buf.Bytes()); err == nil || !strings.Contains(strings.ToLower(err.Error()), "merkle") {
		t.Errorf("bad merkle root: %v, want a rejection naming it", err)
	}
	// Regtest genesis.
	raw, _ = n.Call("getblockhash", 0)
	if want := `"` + chaincfg.RegressionNetParams.GenesisHash.String() + `"`; string(raw) != want {
		t.Errorf("genesis %s, want %s", raw, want)
	}
	// The node goes away: calls fail fast with an error, no hang.
	n.Stop()
	if _, err := n.Call("getblockcount"); err == nil {
		t.Error("call after Stop succeeded")
	}
}

// TestReorg makes the node switch branches with submitblock, and checks
// btcd's invalidateblock and reconsiderblock.
func TestReorg(t *testing.T) {
	n := Start(t)
	a := n.Generate(3)
	b := n.MineOn(a[0], 3) // competing branch from height 1: heights 2..4
	if best, h := n.BestBlock(); best != b[2] || h != 4 {
		t.Fatalf("after a longer branch: best %s at %d, want %s at 4", best, h, b[2])
	}
	// An equally long branch does not displace the first one seen.
	c := n.MineOn(a[2], 1)
	if best, _ := n.BestBlock(); best != b[2] {
		t.Fatalf("equal-work branch %s became best", c[0])
	}
	// invalidateblock rolls the best chain back to the other branch.
	if _, err := n.Call("invalidateblock", b[0].String()); err != nil {
		t.Fatalf("invalidateblock: %v", err)
	}
	if best, h := n.BestBlock(); best != c[0] || h != 4 {
		t.Fatalf("after invalidateblock: best %s at %d, want %s at 4", best, h, c[0])
	}
	if _, err := n.Call("reconsiderblock", b[0].String()); err != nil {
		t.Fatalf("reconsiderblock: %v", err)
	}
	best, h := n.BestBlock()
	t.Logf("after reconsiderblock: best %s at %d (branch b tip %s, branch c tip %s)", best, h, b[2], c[0])
	if best != b[2] && best != c[0] {
		t.Fatalf("after reconsiderblock: best %s is on neither branch", best)
	}
}
