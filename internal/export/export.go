// Package export writes the chain index as flat tables — txs, inputs, outputs, addresses — in
// Parquet or CSV for the tools people scale analyses out with (Spark, DuckDB, PostgreSQL COPY).
// The schema is in docs/export.md.
package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/parquet-go/parquet-go"
)

// Tx is one row of txs.
type Tx struct {
	Txid        string `parquet:"txid"`
	TxIndex     uint64 `parquet:"tx_index"`
	BlockHeight int64  `parquet:"block_height"`
	BlockHash   string `parquet:"block_hash"`
	BlockTime   int64  `parquet:"block_time"`
	Size        int32  `parquet:"size"`
	Vsize       int32  `parquet:"vsize"`
	Weight      int32  `parquet:"weight"`
	Version     int32  `parquet:"version"`
	LockTime    int64  `parquet:"lock_time"`
	Fee         *int64 `parquet:"fee,optional"`
	InputCount  int32  `parquet:"input_count"`
	OutputCount int32  `parquet:"output_count"`
	Coinbase    bool   `parquet:"coinbase"`
	Kinds       int64  `parquet:"kinds"`      // classify.Set bitmask (0: none, or not classified)
	KindNames   string `parquet:"kind_names"` // its kinds joined by "+" ("" for none)
}

// Input is one row of inputs.
type Input struct {
	Txid        string  `parquet:"txid"`
	TxIndex     uint64  `parquet:"tx_index"`
	BlockHeight int64   `parquet:"block_height"`
	Vin         int32   `parquet:"vin"`
	PrevTxid    string  `parquet:"prev_txid"`
	PrevVout    int64   `parquet:"prev_vout"`
	Value       *int64  `parquet:"value,optional"`
	Address     *string `parquet:"address,optional"`
	Coinbase    bool    `parquet:"coinbase"`
}

// Output is one row of outputs.
type Output struct {
	Txid        string  `parquet:"txid"`
	TxIndex     uint64  `parquet:"tx_index"`
	BlockHeight int64   `parquet:"block_height"`
	Vout        int32   `parquet:"vout"`
	Value       int64   `parquet:"value"`
	ScriptType  string  `parquet:"script_type"`
	Address     *string `parquet:"address,optional"`
	AddressID   *int64  `parquet:"address_id,optional"`
	SpentByTxid *string `parquet:"spent_by_txid,optional"`
	SpentByVin  *int32  `parquet:"spent_by_vin,optional"`
}

// Address is one row of addresses: an address first seen in the exported range, with its
// totals over the whole index.
type Address struct {
	AddressID       int64  `parquet:"address_id"`
	Address         string `parquet:"address"`
	Type            string `parquet:"type"`
	FirstSeenHeight int64  `parquet:"first_seen_height"`
	TxCount         int64  `parquet:"tx_count"`
	Received        int64  `parquet:"received"`
	Sent            int64  `parquet:"sent"`
}

// Options select what Run writes.
type Options struct {
	Format   string // "parquet" or "csv"
	Out      string // folder, created if absent
	From, To int64  // heights, inclusive; To < 0 means the tip
	// Progress, when set, is called after each block with its height.
	Progress func(height int64)
}

// Summary counts the rows written per table.
type Summary struct {
	From, To                        int64
	Txs, Inputs, Outputs, Addresses int64
	Files                           []string
}

// table writes rows of one type to one file.
type table[T any] struct {
	f    *os.File
	pq   *parquet.GenericWriter[T]
	cw   *csv.Writer
	rec  func(T) []string
	rows int64
}

func newTable[T any](dir, name, format string, header []string, rec func(T) []string) (*table[T], error) {
	path := filepath.Join(dir, name+"."+format)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	t := &table[T]{f: f, rec: rec}
	if format == "parquet" {
		t.pq = parquet.NewGenericWriter[T](f, parquet.Compression(&parquet.Zstd))
	} else {
		t.cw = csv.NewWriter(f)
		if err := t.cw.Write(header); err != nil {
			f.Close()
			return nil, err
		}
	}
	return t, nil
}

func (t *table[T]) write(rows []T) error {
	t.rows += int64(len(rows))
	if t.pq != nil {
		_, err := t.pq.Write(rows)
		return err
	}
	for _, r := range rows {
		if err := t.cw.Write(t.rec(r)); err != nil {
			return err
		}
	}
	return nil
}

func (t *table[T]) close() error {
	var err error
	if t.pq != nil {
		err = t.pq.Close()
	} else {
		t.cw.Flush()
		err = t.cw.Error()
	}
	if e := t.f.Sync(); err == nil {
		err = e
	}
	if e := t.f.Close(); err == nil {
		err = e
	}
	return err
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }
func optI64(v *int64) string {
	if v == nil {
		return ""
	}
	return i64(*v)
}
func optStr(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}
func bstr(b bool) string { return strconv.FormatBool(b) }

// Run writes txs, inputs, outputs and addresses of blocks From…To of ix into opt.Out.
func Run(ix *index.Index, opt Options) (Summary, error) {
	if opt.Format != "parquet" && opt.Format != "csv" {
		return Summary{}, fmt.Errorf("export: format %q: want parquet or csv", opt.Format)
	}
	tip, ok := ix.Tip()
	if !ok {
		return Summary{}, errors.New("export: the chain index is empty")
	}
	base, _, _ := ix.Base()
	from, to := max(opt.From, base), opt.To
	if to < 0 || to > tip.Height {
		to = tip.Height
	}
	if from > to {
		return Summary{}, fmt.Errorf("export: --from %d is after --to %d (the index holds heights %d–%d)", opt.From, to, base, tip.Height)
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return Summary{}, fmt.Errorf("export: %w", err)
	}
	sum := Summary{From: from, To: to}
	txs, err := newTable(opt.Out, "txs", opt.Format, []string{"txid", "tx_index", "block_height", "block_hash", "block_time", "size", "vsize", "weight", "version", "lock_time", "fee", "input_count", "output_count", "coinbase", "kinds", "kind_names"},
		func(r Tx) []string {
			return []string{r.Txid, strconv.FormatUint(r.TxIndex, 10), i64(r.BlockHeight), r.BlockHash, i64(r.BlockTime), i64(int64(r.Size)), i64(int64(r.Vsize)), i64(int64(r.Weight)), i64(int64(r.Version)), i64(r.LockTime), optI64(r.Fee), i64(int64(r.InputCount)), i64(int64(r.OutputCount)), bstr(r.Coinbase), i64(r.Kinds), r.KindNames}
		})
	if err != nil {
		return sum, fmt.Errorf("export: %w", err)
	}
	ins, err := newTable(opt.Out, "inputs", opt.Format, []string{"txid", "tx_index", "block_height", "vin", "prev_txid", "prev_vout", "value", "address", "coinbase"},
		func(r Input) []string {
			return []string{r.Txid, strconv.FormatUint(r.TxIndex, 10), i64(r.BlockHeight), i64(int64(r.Vin)), r.PrevTxid, i64(r.PrevVout), optI64(r.Value), optStr(r.Address), bstr(r.Coinbase)}
		})
	if err != nil {
		return sum, fmt.Errorf("export: %w", err)
	}
	outs, err := newTable(opt.Out, "outputs", opt.Format, []string{"txid", "tx_index", "block_height", "vout", "value", "script_type", "address", "address_id", "spent_by_txid", "spent_by_vin"},
		func(r Output) []string {
			vin := ""
			if r.SpentByVin != nil {
				vin = i64(int64(*r.SpentByVin))
			}
			return []string{r.Txid, strconv.FormatUint(r.TxIndex, 10), i64(r.BlockHeight), i64(int64(r.Vout)), i64(r.Value), r.ScriptType, optStr(r.Address), optI64(r.AddressID), optStr(r.SpentByTxid), vin}
		})
	if err != nil {
		return sum, fmt.Errorf("export: %w", err)
	}
	addrs, err := newTable(opt.Out, "addresses", opt.Format, []string{"address_id", "address", "type", "first_seen_height", "tx_count", "received", "sent"},
		func(r Address) []string {
			return []string{i64(r.AddressID), r.Address, r.Type, i64(r.FirstSeenHeight), i64(r.TxCount), i64(r.Received), i64(r.Sent)}
		})
	if err != nil {
		return sum, fmt.Errorf("export: %w", err)
	}
	closeAll := func() error {
		return errors.Join(txs.close(), ins.close(), outs.close(), addrs.close())
	}
	var (
		txRows   []Tx
		inRows   []Input
		outRows  []Output
		addrRows []Address
	)
	for h := from; h <= to; h++ {
		txRows, inRows, outRows, addrRows = txRows[:0], inRows[:0], outRows[:0], addrRows[:0]
		err := ix.View(func(g index.Graph) error {
			b, ok := g.Block(h)
			if !ok {
				return fmt.Errorf("block at height %d: %w", h, index.ErrNotFound)
			}
			return blockRows(g, h, b, &txRows, &inRows, &outRows, &addrRows)
		})
		if err == nil {
			err = errors.Join(txs.write(txRows), ins.write(inRows), outs.write(outRows), addrs.write(addrRows))
		}
		if err != nil {
			closeAll()
			return sum, fmt.Errorf("export block %d: %w", h, err)
		}
		if opt.Progress != nil {
			opt.Progress(h)
		}
	}
	if err := closeAll(); err != nil {
		return sum, fmt.Errorf("export: %w", err)
	}
	sum.Txs, sum.Inputs, sum.Outputs, sum.Addresses = txs.rows, ins.rows, outs.rows, addrs.rows
	for _, n := range []string{"txs", "inputs", "outputs", "addresses"} {
		sum.Files = append(sum.Files, filepath.Join(opt.Out, n+"."+opt.Format))
	}
	return sum, nil
}

// blockRows appends the rows of block b at height h.
func blockRows(g index.Graph, h int64, b index.BlockInfo, txRows *[]Tx, inRows *[]Input, outRows *[]Output, addrRows *[]Address) error {
	bh := b.Hash.String()
	names := map[uint64]string{}
	addrName := func(a uint64) (string, error) {
		if s, ok := names[a]; ok {
			return s, nil
		}
		s, err := g.AddressString(a)
		names[a] = s
		return s, err
	}
	for t := b.FirstTx; t < b.EndTx; t++ {
		txid := g.TxHash(t).String()
		r := g.TxRange(t)
		size, weight, version, lock := g.TxInfo(t)
		row := Tx{Txid: txid, TxIndex: t, BlockHeight: h, BlockHash: bh, BlockTime: b.Time, Size: int32(size), Vsize: int32((weight + 3) / 4),
			Weight: int32(weight), Version: version, LockTime: int64(lock), InputCount: int32(r.InEnd - r.InStart), OutputCount: int32(r.OutEnd - r.OutStart)}
		if fee, ok := g.TxFee(t); ok {
			row.Fee = &fee
		}
		if k := g.TxKinds(t); k != 0 {
			row.Kinds, row.KindNames = int64(k), classify.Set(k).String()
		}
		for i := r.InStart; i < r.InEnd; i++ {
			op, err := g.InputOutpoint(i)
			if err != nil {
				return err
			}
			in := Input{Txid: txid, TxIndex: t, BlockHeight: h, Vin: int32(i - r.InStart), PrevTxid: op.Hash.String(), PrevVout: int64(op.Index)}
			switch out := g.Input(i); out {
			case index.CoinbaseID:
				in.Coinbase, row.Coinbase = true, true
			case index.NoID:
			default:
				o := g.Output(out)
				v := o.Value
				in.Value = &v
				if o.Addr != index.NoID {
					s, err := addrName(o.Addr)
					if err != nil {
						return err
					}
					in.Address = &s
				}
			}
			*inRows = append(*inRows, in)
		}
		for o := r.OutStart; o < r.OutEnd; o++ {
			ov := g.Output(o)
			out := Output{Txid: txid, TxIndex: t, BlockHeight: h, Vout: int32(o - r.OutStart), Value: ov.Value, ScriptType: ov.Type.String()}
			if ov.Addr != index.NoID {
				s, err := addrName(ov.Addr)
				if err != nil {
					return err
				}
				id := int64(ov.Addr)
				out.Address, out.AddressID = &s, &id
			}
			if ov.SpentBy != index.NoID {
				st := g.TxOfInput(ov.SpentBy)
				sr := g.TxRange(st)
				s := g.TxHash(st).String()
				vin := int32(ov.SpentBy - sr.InStart)
				out.SpentByTxid, out.SpentByVin = &s, &vin
			}
			*outRows = append(*outRows, out)
		}
		*txRows = append(*txRows, row)
	}
	for a := b.FirstAddr; a < b.EndAddr; a++ {
		s, err := addrName(a)
		if err != nil {
			return err
		}
		n, recv, sent, err := g.AddressTotals(a)
		if err != nil {
			return err
		}
		typ := ""
		if k := g.AddressKey(a); len(k) > 0 {
			typ = chain.ScriptType(k[0]).String()
		}
		*addrRows = append(*addrRows, Address{AddressID: int64(a), Address: s, Type: typ, FirstSeenHeight: h, TxCount: n, Received: recv, Sent: sent})
	}
	return nil
}
