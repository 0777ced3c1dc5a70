package source

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/chaintrace/chaintrace/internal/btcdtest"
)

// TestRPCBtcd runs the client against a real btcd node.
func TestRPCBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	ctx := context.Background()
	c := NewRPC(n.RPCURL, n.User, n.Pass)
	p, err := c.Network(ctx)
	if err != nil || p != &chaincfg.RegressionNetParams {
		t.Fatalf("Network = %v, %v; want regtest", p, err)
	}
	mined := n.Generate(5)
	count, err := c.BlockCount(ctx)
	if err != nil || count != 5 {
		t.Fatalf("BlockCount = %d, %v; want 5", count, err)
	}
	best, err := c.BestBlockHash(ctx)
	if err != nil || best != mined[4] {
		t.Fatalf("BestBlockHash = %s, %v; want %s", best, err, mined[4])
	}
	prev := *chaincfg.RegressionNetParams.GenesisHash
	for h := int64(1); h <= count; h++ {
		hash, err := c.BlockHash(ctx, h)
		if err != nil || hash != mined[h-1] {
			t.Fatalf("BlockHash(%d) = %s, %v; want %s", h, hash, err, mined[h-1])
		}
		b, err := c.Block(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := b.DecodeChecked()
		if err != nil {
			t.Fatal(err)
		}
		if m.BlockHash() != hash || m.Header.PrevBlock != prev || !strings.HasPrefix(b.Origin, "rpc http://127.0.0.1:") {
			t.Fatalf("block %d: hash %s prev %s origin %q", h, m.BlockHash(), m.Header.PrevBlock, b.Origin)
		}
		prev = hash
	}
	// One batch for many heights.
	hs, err := c.BlockHashes(ctx, 1, 5)
	if err != nil || len(hs) != 5 {
		t.Fatalf("BlockHashes: %v", err)
	}
	for i := range hs {
		if hs[i] != mined[i] {
			t.Errorf("BlockHashes[%d] = %s, want %s", i, hs[i], mined[i])
		}
	}
	if _, err := c.BlockHashes(ctx, 3, 10); !errors.As(err, new(*RPCError)) || !strings.Contains(err.Error(), "getblockhash batch 3..12") {
		t.Errorf("BlockHashes past the tip: %v", err)
	}
	// Errors name the node and the method, and carry the node's error.
	_, err = c.BlockHash(ctx, 99)
	var re *RPCError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), n.RPCURL) || !strings.Contains(err.Error(), "getblockhash") {
		t.Errorf("BlockHash(99): %v", err)
	}
	_, err = c.Block(ctx, chainhash.Hash{1})
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "getblock") {
		t.Errorf("Block(unknown): %v", err)
	}
	// Wrong password.
	_, err = NewRPC(n.RPCURL, n.User, "wrong").BlockCount(ctx)
	if err == nil || !strings.Contains(err.Error(), "user and password") {
		t.Errorf("wrong password: %v", err)
	}
	// Credentials in the URL are used and not shown.
	u := strings.Replace(n.RPCURL, "http://", "http://"+n.User+":"+n.Pass+"@", 1)
	cu := NewRPC(u, "", "")
	if _, err := cu.BlockCount(ctx); err != nil || strings.Contains(cu.URL(), n.Pass) {
		t.Errorf("credentials in URL: %v, shown as %s", err, cu.URL())
	}
	// The node goes away: a prompt error naming the node, not a hang.
	n.Stop()
	start := time.Now()
	_, err = c.BlockCount(ctx)
	if err == nil || !strings.Contains(err.Error(), n.RPCURL) || time.Since(start) > 10*time.Second {
		t.Errorf("after stop: %v after %v", err, time.Since(start))
	}
}

// fakeNode serves JSON-RPC with handler, counting calls.
func fakeNode(t *testing.T, handler func(method string, params []json.RawMessage) (status int, body string)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		body, _ := io.ReadAll(r.Body)
		if bytes.HasPrefix(body, []byte("[")) {
			req.Method = "(batch)"
		} else if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("bad request %q", body)
		}
		status, out := handler(req.Method, req.Params)
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRPCNodeDialects covers answers of other nodes: Bitcoin Core's HTTP 500
// with a JSON error, old Core wanting a bool verbosity, garbage, a hang.
func TestRPCNodeDialects(t *testing.T) {
	ctx := context.Background()
	genesis := chaincfg.MainNetParams.GenesisBlock
	var buf bytes.Buffer
	genesis.Serialize(&buf)
	hexBlock := `"` + hex.EncodeToString(buf.Bytes()) + `"`

	// Old Core: refuses an integer verbosity, accepts false.
	calls := 0
	srv := fakeNode(t, func(method string, params []json.RawMessage) (int, string) {
		calls++
		if method != "getblock" {
			return 500, `{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}`
		}
		if string(params[1]) != "false" {
			return 500, `{"result":null,"error":{"code":-1,"message":"JSON value is not a boolean as expected"},"id":1}`
		}
		return 200, `{"result":` + hexBlock + `,"error":null,"id":1}`
	})
	c := NewRPC(srv.URL, "u", "p")
	for i := 0; i < 2; i++ {
		b, err := c.Block(ctx, *chaincfg.MainNetParams.GenesisHash)
		if err != nil || b.Hash != *chaincfg.MainNetParams.GenesisHash {
			t.Fatalf("old-Core getblock: %v", err)
		}
	}
	if calls != 3 {
		t.Errorf("%d calls for two blocks, want 3 (the bool form is remembered)", calls)
	}
	// Core's errors come with HTTP 500 and a JSON body.
	_, err := c.BlockCount(ctx)
	var re *RPCError
	if !errors.As(err, &re) || re.Code != -32601 || !strings.Contains(err.Error(), "getblockcount") {
		t.Errorf("method not found: %v", err)
	}
	// A block whose hash is not the one asked for.
	srv = fakeNode(t, func(string, []json.RawMessage) (int, string) {
		return 200, `{"result":` + hexBlock + `,"error":null,"id":1}`
	})
	if _, err := NewRPC(srv.URL, "", "").Block(ctx, chainhash.Hash{7}); err == nil || !strings.Contains(err.Error(), "block hash") {
		t.Errorf("wrong block: %v", err)
	}
	// Garbage answers.
	for _, body := range []string{`<html>busy</html>`, `{"result":"zz","error":null}`, `{"result":12,"error":null}`, ``} {
		srv = fakeNode(t, func(string, []json.RawMessage) (int, string) { return 200, body })
		c := NewRPC(srv.URL, "", "")
		if _, err := c.Block(ctx, chainhash.Hash{}); err == nil {
			t.Errorf("garbage %q accepted by Block", body)
		}
		if _, err := c.BestBlockHash(ctx); err == nil {
			t.Errorf("garbage %q accepted by BestBlockHash", body)
		}
	}
	// Batch answers come back in any order and are matched by id.
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqs []struct {
			ID     json.RawMessage   `json:"id"`
			Params []json.RawMessage `json:"params"`
		}
		json.NewDecoder(r.Body).Decode(&reqs)
		var out []string
		for i := len(reqs) - 1; i >= 0; i-- {
			h := chainhash.Hash{byte(reqs[i].Params[0][0] - '0')}
			out = append(out, `{"id":`+string(reqs[i].ID)+`,"result":"`+h.String()+`","error":null}`)
		}
		io.WriteString(w, "["+strings.Join(out, ",")+"]")
	}))
	defer srv.Close()
	hs, err := NewRPC(srv.URL, "", "").BlockHashes(ctx, 1, 3)
	if err != nil || hs[0] != (chainhash.Hash{1}) || hs[2] != (chainhash.Hash{3}) {
		t.Errorf("reordered batch: %v %v", hs, err)
	}
	// A node without batches.
	srv2 := fakeNode(t, func(string, []json.RawMessage) (int, string) {
		return 500, `{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}`
	})
	if _, err := NewRPC(srv2.URL, "", "").BlockHashes(ctx, 1, 3); !errors.As(err, new(*RPCError)) {
		t.Errorf("no batch support: %v", err)
	}
	// A node that never answers: the timeout and the context end the call.
	hang := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	c = NewRPC(srv.URL, "", "")
	c.Timeout = 200 * time.Millisecond
	start := time.Now()
	if _, err := c.BlockCount(ctx); err == nil || !strings.Contains(err.Error(), "in time") || time.Since(start) > 5*time.Second {
		t.Errorf("hanging node: %v after %v", err, time.Since(start))
	}
	c.Timeout = 0
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := c.BlockCount(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
	// Nothing listening.
	if _, err := NewRPC("127.0.0.1:1", "", "").BlockCount(ctx); err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:1") {
		t.Errorf("nothing listening: %v", err)
	}
}

func TestCookieAuth(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, ".cookie", []byte("__cookie__:0123abcd\n"))
	u, pw, err := CookieAuth(p)
	if err != nil || u != "__cookie__" || pw != "0123abcd" {
		t.Errorf("CookieAuth = %q, %q, %v", u, pw, err)
	}
	if _, _, err := CookieAuth(writeFile(t, dir, "bad", []byte("nocolon"))); err == nil {
		t.Error("cookie without a colon accepted")
	}
	if _, _, err := CookieAuth(dir + "/missing"); err == nil {
		t.Error("missing cookie accepted")
	}
}

// TestRegtestFilesFromNode writes the blocks of a real regtest node in Core's
// framing, obfuscated, and reads them back: the network comes from the
// regtest magic and every block is the node's.
func TestRegtestFilesFromNode(t *testing.T) {
	n := btcdtest.Start(t)
	mined := n.Generate(20)
	ctx := context.Background()
	c := NewRPC(n.RPCURL, n.User, n.Pass)
	var file []byte
	want := []chainhash.Hash{*chaincfg.RegressionNetParams.GenesisHash}
	want = append(want, mined...)
	for _, h := range want {
		b, err := c.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		file = append(file, frame(chaincfg.RegressionNetParams.Net, b.Raw)...)
	}
	file = append(file, make([]byte, 4096)...) // preallocation
	key := []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04}
	dir := t.TempDir()
	writeFile(t, dir, "blk00000.dat", xorBytes(file, key))
	writeFile(t, dir, "xor.dat", key)
	f, err := ScanFiles([]string{dir}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Network() != &chaincfg.RegressionNetParams || len(f.Warnings()) != 0 {
		t.Fatalf("network %v, warnings %v", f.Network().Name, f.Warnings())
	}
	es := f.Entries()
	if len(es) != len(want) {
		t.Fatalf("%d blocks, want %d", len(es), len(want))
	}
	for i, e := range es {
		if e.Hash != want[i] {
			t.Fatalf("block %d: %s, node says %s", i, e.Hash, want[i])
		}
		b, err := f.ReadBlock(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.DecodeChecked(); err != nil {
			t.Fatal(err)
		}
	}
}
