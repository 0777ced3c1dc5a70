package monitor

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// simChain is a small simulated lazarus chain (seed 5, scale 0.05), indexed
// once per test binary.
type simChain struct {
	dir string
	hdr *sim.Header
	ix  *index.Index
}

var (
	simOnce sync.Once
	simVal  *simChain
	simErr  error
)

func testChain(t *testing.T) *simChain {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kyt-sim-")
		if err != nil {
			simErr = err
			return
		}
		simDir := filepath.Join(dir, "sim")
		h, err := sim.Run(context.Background(), sim.Config{Scenario: sim.ScenarioLazarus, Seed: 5, Scale: 0.05, Fast: true, OutDir: simDir})
		if err != nil {
			simErr = err
			return
		}
		net := &chaincfg.RegressionNetParams
		files, err := source.ScanFiles([]string{filepath.Join(simDir, "blocks")}, source.FileOptions{Network: net})
		if err != nil {
			simErr = err
			return
		}
		defer files.Close()
		ix, err := index.Open(filepath.Join(dir, "index"), index.Options{Network: net, CacheBytes: 16 << 20, Kinds: classify.IndexHook()})
		if err != nil {
			simErr = err
			return
		}
		if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files),
			ingest.Options{Params: net, BlockHeight: chain.BlockHeight}); err != nil {
			simErr = err
			return
		}
		simVal = &simChain{dir: dir, hdr: h, ix: ix}
	})
	if simErr != nil {
		t.Fatalf("simulated chain: %v", simErr)
	}
	return simVal
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if err := childWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if simVal != nil {
		simVal.ix.Close()
		os.RemoveAll(simVal.dir)
	}
	os.Exit(code)
}

// tx returns an indexed tx.
func (c *simChain) tx(t *testing.T, txid string) *index.TxView {
	t.Helper()
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := c.ix.Tx(*h)
	if err != nil {
		t.Fatalf("tx %s: %v", txid, err)
	}
	return tv
}

// lootSpend returns the theft's first loot output's address and the tx
// that spends it (the thief paying onward): a transfer received from that
// tx has the thief's address as its sender.
func (c *simChain) lootSpend(t *testing.T) (lootAddr string, spend *index.TxView) {
	t.Helper()
	theft := c.tx(t, c.hdr.Theft.Txid)
	o := theft.Outputs[c.hdr.Theft.Outputs[0]]
	if o.Address == nil || o.SpentBy == nil {
		t.Fatalf("loot output %+v has no address or is unspent", o)
	}
	return *o.Address, c.tx(t, o.SpentBy.Txid)
}

// openSQLite opens a fresh SQLite store with a sanctions store on it.
func openSQLite(t *testing.T) (*store.DB, *sanctions.Store) {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sanctions.NewStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return db, st
}

// openPostgres opens a fresh schema on the test PostgreSQL server (skips
// without CHAINTRACE_TEST_POSTGRES) and returns a function opening further
// connection pools on it (another "process").
func openPostgres(t *testing.T) (*store.DB, func() *store.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := testutil.PostgresSchemaDSN(t)
	open := func() *store.DB {
		db, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open
}

// testPostgresDSN is the test server's DSN with search_path set to schema.
func testPostgresDSN(t *testing.T, schema string) string {
	u, err := url.Parse(testutil.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// importWatchlist imports a watchlist of (address, category) rows named name.
func importWatchlist(t *testing.T, st *sanctions.Store, name string, rows ...[2]string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".csv")
	text := "id,name,address,ticker,category,source\n"
	for i, r := range rows {
		text += fmt.Sprintf("e%d,Case entity %d,%s,XBT,%s,test case\n", i, i, r[0], r[1])
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := sanctions.ParseWatchlist(p, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Import(context.Background(), parsed, sanctions.ImportOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
}

// chainOf serves ix as the monitor's chain.
func chainOf(ix Chain) ChainSource { return func() (Chain, error) { return ix, nil } }

// laggingChain is the index as it was before block `height` arrived: later
// txs are not found and the tip is below them.
type laggingChain struct {
	*index.Index
	mu     sync.Mutex
	height int64
}

func (l *laggingChain) setHeight(h int64) { l.mu.Lock(); l.height = h; l.mu.Unlock() }

func (l *laggingChain) visible() int64 { l.mu.Lock(); defer l.mu.Unlock(); return l.height }

func (l *laggingChain) Tx(txid chainhash.Hash) (*index.TxView, error) {
	tv, err := l.Index.Tx(txid)
	if err == nil && tv.BlockHeight > l.visible() {
		return nil, index.ErrNotFound
	}
	return tv, err
}

func (l *laggingChain) Tip() (index.Tip, bool) {
	tip, ok := l.Index.Tip()
	if h := l.visible(); ok && tip.Height > h {
		tip.Height = h
	}
	return tip, ok
}
