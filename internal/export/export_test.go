package export

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/parquet-go/parquet-go"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// build indexes blk_0_to_14131.dat and returns the index and the blocks as wire data.
func build(t *testing.T) (*index.Index, []*wire.MsgBlock) {
	t.Helper()
	path := testutil.SharedFile(t, "data/btc/blkfiles/blk_0_to_14131.dat")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	files, err := source.ScanFiles([]string{path}, source.FileOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	var blocks []*wire.MsgBlock
	for _, e := range files.Entries() {
		b, err := files.ReadBlock(e)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := b.DecodeChecked()
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, m)
	}
	ix, err := index.Open(filepath.Join(t.TempDir(), "chain"), index.Options{Network: files.Network(), CacheBytes: 32 << 20, Kinds: classify.IndexHook()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ingest.Blocks(context.Background(), ingest.FromIndex(ix), ingest.FileCandidates(files), ingest.Options{Params: files.Network(), Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	return ix, blocks
}

func readParquet[T any](t *testing.T, path string) []T {
	t.Helper()
	rows, err := parquet.ReadFile[T](path)
	if err != nil {
		t.Fatalf("read %s back: %v", path, err)
	}
	return rows
}

// TestParquetBack exports the whole index as Parquet, reads every table back with a Go
// Parquet reader and checks its counts against Stats and its sums against the raw blocks.
func TestParquetBack(t *testing.T) {
	ix, blocks := build(t)
	out := t.TempDir()
	s, err := Run(ix, Options{Format: "parquet", Out: out, To: -1})
	if err != nil {
		t.Fatal(err)
	}
	st := ix.Stats()
	txs := readParquet[Tx](t, filepath.Join(out, "txs.parquet"))
	ins := readParquet[Input](t, filepath.Join(out, "inputs.parquet"))
	outs := readParquet[Output](t, filepath.Join(out, "outputs.parquet"))
	addrs := readParquet[Address](t, filepath.Join(out, "addresses.parquet"))
	if uint64(len(txs)) != st.Txs || uint64(len(ins)) != st.Inputs || uint64(len(outs)) != st.Outputs || uint64(len(addrs)) != st.Addresses {
		t.Fatalf("rows read back: %d txs, %d inputs, %d outputs, %d addresses; stats %+v", len(txs), len(ins), len(outs), len(addrs), st)
	}
	if s.Txs != int64(len(txs)) || s.Addresses != int64(len(addrs)) {
		t.Fatalf("summary %+v disagrees with the files", s)
	}

	// Independent sums from the wire data.
	var outValue, addrValue, coinbases, fees int64
	spent := map[wire.OutPoint]int64{}
	for _, b := range blocks {
		for i, tx := range b.Transactions {
			var in, o int64
			for _, ti := range tx.TxIn {
				in += spent[ti.PreviousOutPoint]
			}
			for n, to := range tx.TxOut {
				o += to.Value
				spent[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(n)}] = to.Value
				if _, as := chain.ParseScript(to.PkScript, nil); len(as) > 0 {
					addrValue += to.Value
				}
			}
			outValue += o
			if i == 0 {
				coinbases++
			} else {
				fees += in - o
			}
		}
	}
	var gotOut, gotAddrOut, gotFees, gotCoinbase, gotRecv, gotSpentIn int64
	for _, o := range outs {
		gotOut += o.Value
		if o.Address != nil {
			gotAddrOut += o.Value
		}
	}
	for _, tx := range txs {
		if tx.Fee != nil {
			gotFees += *tx.Fee
		}
	}
	for _, in := range ins {
		if in.Coinbase {
			gotCoinbase++
		}
		if in.Value != nil {
			gotSpentIn += *in.Value
		}
	}
	for _, a := range addrs {
		gotRecv += a.Received
	}
	if gotOut != outValue || gotAddrOut != addrValue || gotFees != fees || gotCoinbase != coinbases || gotRecv != addrValue {
		t.Fatalf("sums: outputs %d (blocks %d), to addresses %d (blocks %d), received by addresses %d, fees %d (blocks %d), coinbase inputs %d (blocks %d)",
			gotOut, outValue, gotAddrOut, addrValue, gotRecv, gotFees, fees, gotCoinbase, coinbases)
	}
	// Spent outputs and the inputs spending them carry the same value.
	var spentOut int64
	for _, o := range outs {
		if o.SpentByTxid != nil {
			spentOut += o.Value
		}
	}
	if spentOut != gotSpentIn {
		t.Fatalf("spent outputs sum to %d, inputs' values to %d", spentOut, gotSpentIn)
	}
	// Kinds (classify's hook at ingest): every coinbase is a "coinbase", nothing else is.
	for _, tx := range txs {
		if classify.Set(tx.Kinds).Has(classify.Coinbase) != tx.Coinbase {
			t.Fatalf("tx %s: kinds %q, coinbase %v", tx.Txid, tx.KindNames, tx.Coinbase)
		}
	}
	// The genesis coinbase comes first.
	if txs[0].BlockHeight != 0 || txs[0].Txid != blocks[0].Transactions[0].TxHash().String() || !txs[0].Coinbase {
		t.Fatalf("first tx row %+v", txs[0])
	}
}

// TestCSVRange exports a height range as CSV: a header and one row per tx of those blocks.
func TestCSVRange(t *testing.T) {
	ix, blocks := build(t)
	out := t.TempDir()
	if _, err := Run(ix, Options{Format: "csv", Out: out, From: 9000, To: 9999}); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, b := range blocks[9000:10000] {
		want += len(b.Transactions)
	}
	f, err := os.Open(filepath.Join(out, "txs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "txid" || len(recs)-1 != want {
		t.Fatalf("txs.csv: header %v, %d rows; blocks 9000–9999 hold %d txs", recs[0], len(recs)-1, want)
	}
	if recs[1][2] != "9000" || recs[len(recs)-1][2] != "9999" {
		t.Fatalf("heights %s…%s", recs[1][2], recs[len(recs)-1][2])
	}
	if _, err := Run(ix, Options{Format: "xml", Out: out}); err == nil {
		t.Fatal("format xml accepted")
	}
}
