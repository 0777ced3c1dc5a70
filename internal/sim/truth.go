package sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Ground truth is written as two files in the output folder:
//
//   - truth.json: one JSON object (Header), written when the run ends: the
//     run's parameters, the tip, the actors, the theft, the cash-outs, the
//     mixer's ledger and the investigator's starting labels. Its size does
//     not grow with the chain.
//   - truth.jsonl: one JSON object per line, streamed as the chain is built:
//     "addr" records (every address and its owner), then per block a "block"
//     record followed by its "tx" records in block order (coinbase first).
//
// docs/simulator.md documents every field.

// Names of the ground-truth files.
const (
	TruthHeaderFile  = "truth.json"
	TruthRecordsFile = "truth.jsonl"
)

// Header is the content of truth.json.
type Header struct {
	Format    int                `json:"format"` // 1
	Network   string             `json:"network"`
	Scenario  string             `json:"scenario"`
	Seed      uint64             `json:"seed"`
	Scale     float64            `json:"scale"`
	Fast      bool               `json:"fast"`
	Signed    bool               `json:"signed"`
	TipHash   string             `json:"tip_hash"`
	TipHeight int32              `json:"tip_height"`
	Blocks    int                `json:"blocks"` // blocks written, genesis excluded
	Txs       int64              `json:"txs"`    // transactions written, coinbases included
	Addresses int64              `json:"addresses"`
	StartTime int64              `json:"start_time"` // unix seconds of the first block
	EndTime   int64              `json:"end_time"`
	Actors    []Actor            `json:"actors"`
	TxKinds   map[string]int64   `json:"tx_kinds"`
	Theft     *Theft             `json:"theft,omitempty"`
	CashOuts  []CashOut          `json:"cash_outs,omitempty"`
	Mixer     []MixerDeposit     `json:"mixer_ledger,omitempty"`
	Labels    InvestigatorLabels `json:"investigator_labels"`
}

// Actor is one participant of the economy.
type Actor struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // user, exchange, merchant, processor, miner, coordinator, mixer, thief
	Name string `json:"name"`
	// Profile names a user's wallet behaviour (see docs/simulator.md).
	Profile string `json:"profile,omitempty"`
}

// Theft describes the theft transaction.
type Theft struct {
	Txid   string `json:"txid"`
	Height int32  `json:"height"`
	Victim string `json:"victim"` // actor id of the robbed exchange
	Amount int64  `json:"amount"` // stolen satoshis (sum of the loot outputs)
	// Outputs are the indexes of the theft tx's outputs that the thief got.
	Outputs []uint32 `json:"outputs"`
	Thief   string   `json:"thief"`
}

// CashOut is a deposit of loot at a service (an exchange) by the thief.
type CashOut struct {
	Txid     string `json:"txid"`
	Vout     uint32 `json:"vout"`
	Height   int32  `json:"height"`
	Exchange string `json:"exchange"` // actor id
	Address  string `json:"address"`
	Value    int64  `json:"value"`
	Loot     int64  `json:"loot"`
	Via      string `json:"via"` // peel, mixer, coinjoin:…, direct
}

// MixerDeposit is one custodial-mixer order: a deposit and the payouts that
// settled it (value − fee), by the mixer's own books.
type MixerDeposit struct {
	Mixer    string   `json:"mixer"` // actor id of the mixer
	Customer string   `json:"customer"`
	Txid     string   `json:"txid"`
	Vout     uint32   `json:"vout"`
	Value    int64    `json:"value"`
	Loot     int64    `json:"loot"`
	Fee      int64    `json:"fee"`
	Payouts  []string `json:"payouts"` // "txid:vout" of each payout output
	PaidOut  int64    `json:"paid_out"`
}

// InvestigatorLabels is what an investigator knows at the start. Address
// labels are on the "addr" records (field label) because their number grows
// with the chain.
type InvestigatorLabels struct {
	Theft    *LabelTheft   `json:"theft,omitempty"`
	Entities []LabelEntity `json:"entities"`
}

// LabelTheft is the reported theft: the tx, the victim and the amount.
type LabelTheft struct {
	Txid   string `json:"txid"`
	Victim string `json:"victim"` // the victim's label, e.g. "exchange: Northbank"
	Amount int64  `json:"amount"`
}

// LabelEntity is an attributed entity; its addresses carry Label on their
// addr records.
type LabelEntity struct {
	Label string `json:"label"` // e.g. "exchange: Kestrel", "mixer: Blendr"
	Kind  string `json:"kind"`
	Actor string `json:"actor"`
	// Addresses is how many of the entity's addresses carry the label.
	Addresses int64 `json:"addresses"`
}

// Record is one line of truth.jsonl. Type is "addr", "block" or "tx"; the
// other fields are set according to it.
type Record struct {
	Type string `json:"t"`

	// addr
	Addr       string `json:"addr,omitempty"`
	Actor      string `json:"actor,omitempty"` // addr: owner; tx: the actor who made it
	Wallet     string `json:"wallet,omitempty"`
	ScriptType string `json:"type,omitempty"`
	Role       string `json:"role,omitempty"`
	Customer   string `json:"customer,omitempty"` // deposit addresses: whose
	Label      string `json:"label,omitempty"`

	// block
	Height int32  `json:"height,omitempty"`
	Hash   string `json:"hash,omitempty"`
	Time   int64  `json:"time,omitempty"`
	NTx    int    `json:"n_tx,omitempty"`

	// tx
	Txid    string   `json:"txid,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Fee     int64    `json:"fee,omitempty"`
	InValue int64    `json:"in_value,omitempty"`
	NIn     int      `json:"n_in,omitempty"`
	Out     []int64  `json:"out,omitempty"`
	Change  []uint32 `json:"change,omitempty"`
	Subsidy int64    `json:"subsidy,omitempty"`
	Loot    *TxLoot  `json:"loot,omitempty"`

	hash *chainhash.Hash // writer fast path for Txid
}

// TxLoot is a transaction's stolen-satoshi bookkeeping (the thief's view):
//
//	In + Stolen + CustodyOut = Σ Out + Fee + CustodyIn
//
// In is the loot of the inputs; Stolen the satoshis taken from the victim (the
// theft tx only); CustodyOut the loot a custodian (the mixer) pays back out of
// its books; Out the loot of each output; Fee the part of the mining fee paid
// with loot; CustodyIn the loot that entered a service's books when the
// service spent a coin it had received from the thief.
type TxLoot struct {
	In         int64      `json:"in,omitempty"`
	Stolen     int64      `json:"stolen,omitempty"`
	CustodyOut int64      `json:"custody_out,omitempty"`
	Out        [][2]int64 `json:"out,omitempty"` // [vout, loot]
	Fee        int64      `json:"fee,omitempty"`
	CustodyIn  int64      `json:"custody_in,omitempty"`
}

const hexDigits = "0123456789abcdef"

// ReadHeader reads dir/truth.json.
func ReadHeader(dir string) (*Header, error) {
	p := filepath.Join(dir, TruthHeaderFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &h, nil
}

// InvestigatorAddressLabels returns the investigator's starting address
// labels of dir: address → label ("exchange: Kestrel", "mixer: Blendr", …)
// from the "addr" records that carry one. It is what the simulator hands an
// investigator, not its hidden books.
func InvestigatorAddressLabels(dir string) (map[string]string, error) {
	labels := map[string]string{}
	err := ReadRecords(dir, func(r *Record) error {
		if r.Type == "addr" && r.Label != "" {
			labels[r.Addr] = r.Label
		}
		return nil
	})
	return labels, err
}

// ReadRecords calls fn for every record of dir/truth.jsonl, in order.
func ReadRecords(dir string, fn func(*Record) error) error {
	p := filepath.Join(dir, TruthRecordsFile)
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(b) > 0 {
			var rec Record
			if err := json.Unmarshal(b, &rec); err != nil {
				return fmt.Errorf("%s:%d: %w", p, line, err)
			}
			if err := fn(&rec); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", p, line, err)
		}
	}
}

// recordWriter streams truth.jsonl. It encodes by hand: at millions of
// records encoding/json would dominate the simulator's run time.
type recordWriter struct {
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	pend []byte // tx records of the block being assembled
	err  error
}

func newRecordWriter(path string) (*recordWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &recordWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (rw *recordWriter) flushLine() {
	rw.buf = append(rw.buf, '}', '\n')
	if rw.err == nil {
		_, rw.err = rw.w.Write(rw.buf)
	}
	rw.buf = rw.buf[:0]
}

func (rw *recordWriter) str(key, v string) {
	if v == "" {
		return
	}
	rw.buf = append(rw.buf, ',', '"')
	rw.buf = append(rw.buf, key...)
	rw.buf = append(rw.buf, '"', ':')
	rw.buf = appendJSONString(rw.buf, v)
}

// appendJSONString appends v as a JSON string: as is when it has no byte
// that needs escaping (every id and address), else through encoding/json.
func appendJSONString(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(v)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, v...)
	return append(dst, '"')
}

func (rw *recordWriter) num(key string, v int64) {
	if v == 0 {
		return
	}
	rw.buf = append(rw.buf, ',', '"')
	rw.buf = append(rw.buf, key...)
	rw.buf = append(rw.buf, '"', ':')
	rw.buf = strconv.AppendInt(rw.buf, v, 10)
}

func (rw *recordWriter) begin(t string) {
	rw.buf = append(rw.buf, `{"t":"`...)
	rw.buf = append(rw.buf, t...)
	rw.buf = append(rw.buf, '"')
}

func (rw *recordWriter) addr(r *Record) {
	rw.begin("addr")
	rw.str("addr", r.Addr)
	rw.str("actor", r.Actor)
	rw.str("wallet", r.Wallet)
	rw.str("type", r.ScriptType)
	rw.str("role", r.Role)
	rw.str("customer", r.Customer)
	rw.str("label", r.Label)
	rw.flushLine()
}

func (rw *recordWriter) block(r *Record) {
	rw.begin("block")
	rw.num("height", int64(r.Height))
	rw.str("hash", r.Hash)
	rw.num("time", r.Time)
	rw.num("n_tx", int64(r.NTx))
	rw.flushLine()
}

func (rw *recordWriter) tx(r *Record) {
	rw.txEncode(r)
	if rw.err == nil {
		_, rw.err = rw.w.Write(rw.buf)
	}
	rw.buf = rw.buf[:0]
}

// txEncode encodes a tx record into rw.buf (with its newline).
func (rw *recordWriter) txEncode(r *Record) {
	rw.begin("tx")
	if r.hash != nil {
		rw.buf = append(rw.buf, `,"txid":"`...)
		for i := len(r.hash) - 1; i >= 0; i-- {
			rw.buf = append(rw.buf, hexDigits[r.hash[i]>>4], hexDigits[r.hash[i]&15])
		}
		rw.buf = append(rw.buf, '"')
	} else {
		rw.str("txid", r.Txid)
	}
	rw.num("height", int64(r.Height))
	rw.str("kind", r.Kind)
	rw.str("actor", r.Actor)
	rw.num("fee", r.Fee)
	rw.num("in_value", r.InValue)
	rw.num("n_in", int64(r.NIn))
	rw.num("subsidy", r.Subsidy)
	rw.buf = append(rw.buf, `,"out":[`...)
	for i, v := range r.Out {
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = strconv.AppendInt(rw.buf, v, 10)
	}
	rw.buf = append(rw.buf, ']')
	if len(r.Change) > 0 {
		rw.buf = append(rw.buf, `,"change":[`...)
		for i, v := range r.Change {
			if i > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = strconv.AppendUint(rw.buf, uint64(v), 10)
		}
		rw.buf = append(rw.buf, ']')
	}
	if l := r.Loot; l != nil {
		rw.buf = append(rw.buf, `,"loot":{"in":`...)
		rw.buf = strconv.AppendInt(rw.buf, l.In, 10)
		rw.num("stolen", l.Stolen)
		rw.num("custody_out", l.CustodyOut)
		rw.num("fee", l.Fee)
		rw.num("custody_in", l.CustodyIn)
		rw.buf = append(rw.buf, `,"out":[`...)
		for i, o := range l.Out {
			if i > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = append(rw.buf, '[')
			rw.buf = strconv.AppendInt(rw.buf, o[0], 10)
			rw.buf = append(rw.buf, ',')
			rw.buf = strconv.AppendInt(rw.buf, o[1], 10)
			rw.buf = append(rw.buf, ']')
		}
		rw.buf = append(rw.buf, ']', '}')
	}
	rw.buf = append(rw.buf, '}', '\n')
}

// txPending encodes a tx record into the current block's buffer; flushBlock
// writes it after the block and coinbase records.
func (rw *recordWriter) txPending(r *Record) {
	rw.txEncode(r)
	rw.pend = append(rw.pend, rw.buf...)
	rw.buf = rw.buf[:0]
}

func (rw *recordWriter) flushBlock() {
	if rw.err == nil {
		_, rw.err = rw.w.Write(rw.pend)
	}
	rw.pend = rw.pend[:0]
}

func (rw *recordWriter) close() error {
	if rw.err == nil {
		rw.err = rw.w.Flush()
	}
	if rw.err == nil {
		rw.err = rw.f.Sync()
	}
	if err := rw.f.Close(); rw.err == nil {
		rw.err = err
	}
	return rw.err
}

// writeHeader writes truth.json (after the run, so it holds the tip).
func (w *world) writeHeader() error {
	b, err := json.MarshalIndent(&w.hdr, "", " ")
	if err != nil {
		return err
	}
	p := filepath.Join(w.cfg.OutDir, TruthHeaderFile)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	return f.Close()
}
