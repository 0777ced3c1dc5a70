package source

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/chaintrace/chaintrace/internal/chain"
)

// RPC is a JSON-RPC 1.0 client for a Bitcoin Core or btcd node (plain HTTP,
// basic auth). It is safe for concurrent use.
type RPC struct {
	url, user, pass string
	shown           string // url without credentials, for messages
	client          *http.Client
	id              atomic.Uint64

	// Timeout bounds each call (default 2 minutes) when the caller's
	// context has no earlier deadline.
	Timeout time.Duration

	verbMu   sync.Mutex
	verbBool bool // the node wants getblock's verbosity as a bool (old Core)
}

// RPCError is an error returned by the node itself.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("node error %d: %s", e.Code, e.Message) }

// maxResponse bounds a response body: a 4 MB block is 8 MB of hex.
const maxResponse = 32 << 20

// NewRPC returns a client for the node at url ("http://host:port"; a missing
// scheme means http). user and pass are sent with basic auth when user is set.
func NewRPC(rawURL, user, pass string) *RPC {
	u := rawURL
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	shown := u
	if pu, err := url.Parse(u); err == nil {
		if pu.User != nil {
			if user == "" {
				user = pu.User.Username()
				pass, _ = pu.User.Password()
			}
			pu.User = nil
		}
		shown = pu.String()
		u = shown
	}
	return &RPC{
		url: u, user: user, pass: pass, shown: shown,
		client: &http.Client{Transport: &http.Transport{
			Proxy:                 nil,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 10 * time.Minute,
		}},
		Timeout: 2 * time.Minute,
	}
}

// CookieAuth reads the user and password from a Bitcoin Core cookie file
// (<datadir>/.cookie, "__cookie__:<hex>"), for use with NewRPC when the node
// runs without rpcuser/rpcpassword.
func CookieAuth(path string) (user, pass string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read RPC cookie: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" {
		return "", "", fmt.Errorf("read RPC cookie %s: not of the form user:password", path)
	}
	return user, pass, nil
}

// URL returns the node's URL, without credentials.
func (c *RPC) URL() string { return c.shown }

// Call invokes method with params and unmarshals the result into result
// (unless result is nil). Errors name the node and the method; errors the
// node returned wrap *RPCError.
func (c *RPC) Call(ctx context.Context, method string, result any, params ...any) error {
	raw, err := c.call(ctx, method, params)
	if err != nil {
		return fmt.Errorf("rpc %s: %s: %w", c.shown, method, err)
	}
	if result != nil {
		if err := json.Unmarshal(raw, result); err != nil {
			return fmt.Errorf("rpc %s: %s: decode result: %w", c.shown, method, err)
		}
	}
	return nil
}

func (c *RPC) call(ctx context.Context, method string, params []any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      uint64 `json:"id"`
		Method  string `json:"method"`
		Params  []any  `json:"params"`
	}{"1.0", c.id.Add(1), method, params})
	if err != nil {
		return nil, err
	}
	data, status, err := c.post(ctx, body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		if status != http.StatusOK {
			return nil, fmt.Errorf("HTTP %d %s: %s", status, http.StatusText(status), snippet(data))
		}
		return nil, fmt.Errorf("not a JSON-RPC response: %s", snippet(data))
	}
	if r.Error != nil {
		return nil, r.Error
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d %s: %s", status, http.StatusText(status), snippet(data))
	}
	return r.Result, nil
}

// post sends one request body and returns the response body and status.
// Authentication failures are errors; other statuses are left to the caller,
// since Bitcoin Core reports RPC errors with HTTP 500 and a JSON body.
func (c *RPC) post(ctx context.Context, body []byte) ([]byte, int, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, fmt.Errorf("no answer in time: %w", err)
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxResponse {
		return nil, 0, fmt.Errorf("response larger than %d bytes", maxResponse)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, 0, fmt.Errorf("HTTP %s: check the RPC user and password", resp.Status)
	}
	return data, resp.StatusCode, nil
}

// batchCall sends one JSON-RPC batch of calls of method, one per params
// entry, and returns the results in the order of params. Any failed entry
// fails the batch (its error names the entry).
func (c *RPC) batchCall(ctx context.Context, method string, params [][]any) ([]json.RawMessage, error) {
	type req struct {
		JSONRPC string `json:"jsonrpc"`
		ID      uint64 `json:"id"`
		Method  string `json:"method"`
		Params  []any  `json:"params"`
	}
	reqs := make([]req, len(params))
	index := make(map[uint64]int, len(params))
	for i, p := range params {
		id := c.id.Add(1)
		reqs[i] = req{"1.0", id, method, p}
		index[id] = i
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return nil, err
	}
	data, status, err := c.post(ctx, body)
	if err != nil {
		return nil, err
	}
	var resps []struct {
		ID     uint64          `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(data, &resps); err != nil {
		// A node without batch support answers with a single error object.
		var single struct {
			Error *RPCError `json:"error"`
		}
		if json.Unmarshal(data, &single) == nil && single.Error != nil {
			return nil, single.Error
		}
		return nil, fmt.Errorf("HTTP %d: not a JSON-RPC batch response: %s", status, snippet(data))
	}
	out := make([]json.RawMessage, len(params))
	got := 0
	for _, r := range resps {
		i, ok := index[r.ID]
		if !ok || out[i] != nil {
			return nil, fmt.Errorf("batch response with unexpected id %d", r.ID)
		}
		if r.Error != nil {
			return nil, fmt.Errorf("%s %v: %w", method, params[i], r.Error)
		}
		if r.Result == nil {
			r.Result = json.RawMessage("null")
		}
		out[i] = r.Result
		got++
	}
	if got != len(params) {
		return nil, fmt.Errorf("batch of %d calls got %d answers", len(params), got)
	}
	return out, nil
}

// BlockHashes returns the hashes of the best chain's blocks at heights
// from .. from+count-1, asked in one JSON-RPC batch (Bitcoin Core and btcd
// both accept batches).
func (c *RPC) BlockHashes(ctx context.Context, from int64, count int) ([]chainhash.Hash, error) {
	if count <= 0 {
		return nil, nil
	}
	params := make([][]any, count)
	for i := range params {
		params[i] = []any{from + int64(i)}
	}
	res, err := c.batchCall(ctx, "getblockhash", params)
	if err != nil {
		return nil, fmt.Errorf("rpc %s: getblockhash batch %d..%d: %w", c.shown, from, from+int64(count)-1, err)
	}
	out := make([]chainhash.Hash, count)
	for i, r := range res {
		var s string
		if err := json.Unmarshal(r, &s); err != nil || len(s) != 64 {
			return nil, fmt.Errorf("rpc %s: getblockhash %d: bad hash %s", c.shown, from+int64(i), snippet(r))
		}
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			return nil, fmt.Errorf("rpc %s: getblockhash %d: bad hash %q", c.shown, from+int64(i), s)
		}
		out[i] = *h
	}
	return out, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// BlockCount returns the height of the node's best block (getblockcount).
func (c *RPC) BlockCount(ctx context.Context) (int64, error) {
	var n int64
	err := c.Call(ctx, "getblockcount", &n)
	return n, err
}

// BestBlockHash returns the hash of the node's best block (getbestblockhash).
func (c *RPC) BestBlockHash(ctx context.Context) (chainhash.Hash, error) {
	return c.hash(ctx, "getbestblockhash")
}

// BlockHash returns the hash of the best chain's block at height (getblockhash).
func (c *RPC) BlockHash(ctx context.Context, height int64) (chainhash.Hash, error) {
	return c.hash(ctx, "getblockhash", height)
}

func (c *RPC) hash(ctx context.Context, method string, params ...any) (chainhash.Hash, error) {
	var s string
	if err := c.Call(ctx, method, &s, params...); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chainhash.Hash{}, fmt.Errorf("rpc %s: %s: bad hash %q", c.shown, method, s)
	}
	return *h, nil
}

// Block fetches the serialized block with the given hash (getblock HASH 0)
// and checks that its header hashes to hash. Nodes that reject an integer
// verbosity (Bitcoin Core before 0.15) are asked again with verbose=false.
func (c *RPC) Block(ctx context.Context, hash chainhash.Hash) (*Block, error) {
	c.verbMu.Lock()
	asBool := c.verbBool
	c.verbMu.Unlock()
	var verbosity any = 0
	if asBool {
		verbosity = false
	}
	raw, err := c.call(ctx, "getblock", []any{hash.String(), verbosity})
	var rerr *RPCError
	if err != nil && !asBool && errors.As(err, &rerr) && wantsBool(rerr) {
		raw, err = c.call(ctx, "getblock", []any{hash.String(), false})
		if err == nil {
			c.verbMu.Lock()
			c.verbBool = true
			c.verbMu.Unlock()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("rpc %s: getblock %s: %w", c.shown, hash, err)
	}
	data, err := decodeHexString(raw)
	if err != nil {
		return nil, fmt.Errorf("rpc %s: getblock %s: %w", c.shown, hash, err)
	}
	return newBlock(data, "rpc "+c.shown, &hash)
}

// wantsBool reports whether a getblock error says the verbosity must be a bool.
func wantsBool(e *RPCError) bool {
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "bool") || strings.Contains(m, "expected type")
}

// decodeHexString decodes a JSON string of hex digits without an
// intermediate Go string.
func decodeHexString(raw json.RawMessage) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, fmt.Errorf("result is not a hex string: %s", snippet(raw))
	}
	h := raw[1 : len(raw)-1]
	out := make([]byte, hex.DecodedLen(len(h)))
	if _, err := hex.Decode(out, h); err != nil {
		return nil, fmt.Errorf("result is not a hex string: %w", err)
	}
	return out, nil
}

// Network identifies the node's network by its genesis block (getblockhash 0).
// Every signet shares one genesis, so any signet reports as signet.
func (c *RPC) Network(ctx context.Context) (*chaincfg.Params, error) {
	h, err := c.BlockHash(ctx, 0)
	if err != nil {
		return nil, err
	}
	p, ok := chain.NetworkByGenesis(h)
	if !ok {
		return nil, fmt.Errorf("rpc %s: genesis block %s is not of a known network (%s)", c.shown, h, strings.Join(chain.NetworkNames(), ", "))
	}
	return p, nil
}
