// Package btcdtest starts a real btcd node in regtest on loopback for tests,
// and talks to it over JSON-RPC.
//
// The node runs with --notls, RPC and P2P on free 127.0.0.1 ports, a
// temporary data folder, --txindex, and --miningaddr set to a P2PKH address
// of MiningKey, so tests can spend the coinbases it mines.
//
// btcd v0.24.2 notes: "generate" mines blocks (regtest only); "submitblock"
// answers null on success and the string "rejected: <reason>" on failure;
// "getblock HASH 0" takes the verbosity as an integer (a bool is refused);
// "invalidateblock" and "reconsiderblock" exist.
package btcdtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// Node is a running btcd regtest node.
type Node struct {
	RPCURL     string // "http://127.0.0.1:PORT"
	User, Pass string
	P2PAddr    string // "127.0.0.1:PORT"
	MiningAddr string // regtest P2PKH address of MiningKey, paid by generated blocks
	MiningKey  *btcec.PrivateKey
	DataDir    string

	t       testing.TB
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	stopped atomic.Bool
	stopMu  sync.Mutex
	id      atomic.Uint64
	client  *http.Client
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts btcd (testutil.BtcdPath: skipped when it is absent) in regtest
// and waits until its RPC server answers. The node is stopped when the test
// ends; if the test failed, the tail of the node's log is reported.
func Start(t testing.TB) *Node {
	t.Helper()
	bin := testutil.BtcdPath(t)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		n, err := start(t, bin)
		if err == nil {
			return n
		}
		lastErr = err
	}
	t.Fatalf("btcdtest: start btcd: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string) (*Node, error) {
	key, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	params := &chaincfg.RegressionNetParams
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(key.PubKey().SerializeCompressed()), params)
	if err != nil {
		return nil, err
	}
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	p2pPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	n := &Node{
		RPCURL:     fmt.Sprintf("http://127.0.0.1:%d", rpcPort),
		User:       "chaintrace",
		Pass:       hex.EncodeToString(key.Serialize()[:8]),
		P2PAddr:    fmt.Sprintf("127.0.0.1:%d", p2pPort),
		MiningAddr: addr.EncodeAddress(),
		MiningKey:  key,
		DataDir:    filepath.Join(dir, "data"),
		t:          t,
		logPath:    filepath.Join(dir, "btcd.out"),
		exited:     make(chan struct{}),
		client:     &http.Client{Timeout: 60 * time.Second},
	}
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(n.logPath)
	if err != nil {
		return nil, err
	}
	n.cmd = exec.Command(bin,
		"--configfile="+conf,
		"--regtest",
		"--notls",
		"--rpcuser="+n.User,
		"--rpcpass="+n.Pass,
		"--rpclisten="+strings.TrimPrefix(n.RPCURL, "http://"),
		"--listen="+n.P2PAddr,
		"--datadir="+n.DataDir,
		"--logdir="+filepath.Join(dir, "logs"),
		"--miningaddr="+n.MiningAddr,
		"--txindex",
		"--nodnsseed",
		"--debuglevel=info",
	)
	n.cmd.Stdout = logFile
	n.cmd.Stderr = logFile
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		n.cmd.Wait()
		logFile.Close()
		close(n.exited)
	}()
	t.Cleanup(func() {
		n.Stop()
		if t.Failed() {
			t.Logf("btcdtest: btcd log (%s), last lines:\n%s", n.logPath, n.logTail(60))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := n.Call("getblockcount")
		if err == nil {
			return n, nil
		}
		select {
		case <-n.exited:
			return nil, fmt.Errorf("btcd exited before answering RPC: %v\n%s", err, n.logTail(30))
		default:
		}
		if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("btcd RPC did not answer within 30 s: %v\n%s", err, n.logTail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail returns the last k lines of the node's output.
func (n *Node) logTail(k int) string {
	f, err := os.Open(n.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > k {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// RPCError is an error answered by the node.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("btcd error %d: %s", e.Code, e.Message) }

// Call invokes an RPC method and returns its raw result. Errors answered by
// the node are *RPCError.
func (n *Node) Call(method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": n.id.Add(1), "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.RPCURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(n.User, n.Pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("btcd %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("btcd %s: %w", method, err)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("btcd %s: HTTP %s: %q", method, resp.Status, data)
	}
	if r.Error != nil {
		return nil, fmt.Errorf("btcd %s: %w", method, r.Error)
	}
	return r.Result, nil
}

// Generate mines k blocks paying MiningAddr and returns their hashes,
// failing the test on error.
func (n *Node) Generate(k int) []chainhash.Hash {
	n.t.Helper()
	raw, err := n.Call("generate", k)
	if err != nil {
		n.t.Fatalf("btcdtest: generate %d: %v", k, err)
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		n.t.Fatalf("btcdtest: generate %d: %v", k, err)
	}
	hs := make([]chainhash.Hash, len(ss))
	for i, s := range ss {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			n.t.Fatalf("btcdtest: generate %d: bad hash %q", k, s)
		}
		hs[i] = *h
	}
	return hs
}

// SubmitBlock submits a serialized block. btcd answers null when it accepts
// the block; its rejection reason is returned as the error otherwise.
func (n *Node) SubmitBlock(raw []byte) error {
	res, err := n.Call("submitblock", hex.EncodeToString(raw))
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(string(res)); s != "" && s != "null" {
		var reason string
		if json.Unmarshal(res, &reason) != nil {
			reason = s
		}
		return fmt.Errorf("btcd submitblock: %s", reason)
	}
	return nil
}

// Stop kills the node and waits for it to exit. It is safe to call more
// than once.
func (n *Node) Stop() {
	n.stopMu.Lock()
	defer n.stopMu.Unlock()
	if n.stopped.Swap(true) {
		return
	}
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
	}
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.t.Logf("btcdtest: btcd did not exit 20 s after kill")
	}
}

// Solve grinds header.Nonce (then the timestamp, if every nonce fails) until
// the header meets the target of its Bits. On regtest this takes about two
// tries.
func Solve(header *wire.BlockHeader) {
	target := blockchain.CompactToBig(header.Bits)
	for {
		for nonce := uint32(0); ; nonce++ {
			header.Nonce = nonce
			h := header.BlockHash()
			if blockchain.HashToBig(&h).Cmp(target) <= 0 {
				return
			}
			if nonce == ^uint32(0) {
				break
			}
		}
		header.Timestamp = header.Timestamp.Add(time.Second)
	}
}
