package classify

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"

	"errors"
	"fmt"
	gojson "github.com/goccy/go-json"
	"io"

	"github.com/chaintrace/chaintrace/internal/chain"
)

// EsploraTx is one transaction read from Esplora JSON (the shape of
// GET /api/tx/{txid} on Esplora and mempool.space).
type EsploraTx struct {
	Txid   string
	Label  string // the "label" key of an evaluation set, "" when absent
	Origin string // its "origin" key (where an evaluation row comes from)
	Line   int    // line its object starts on
	Tx     Tx
}

// RecordError is a bad transaction record: its line and what is wrong. A
// reader can go on after it (except after a JSON syntax error inside an
// array, which ends the array).
type RecordError struct {
	Line int
	Err  error
}

func (e *RecordError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// MaxRecordBytes bounds one line (one tx) of line-delimited input.
const MaxRecordBytes = 64 << 20

// EsploraReader reads transactions in Esplora JSON: one object per line, or
// one JSON array of objects. Required keys: txid, vin[].prevout.value and
// .scriptpubkey (prevout may be null: unknown), vout[].value and
// .scriptpubkey; unknown keys are ignored.
type EsploraReader struct {
	br      *bufio.Reader
	line    int // lines consumed (line mode)
	started bool
	arr     *arrayState
	done    bool
	raw     esploraJSON
	keys    []byte
}

type arrayState struct {
	data []byte
	dec  *json.Decoder
}

// NewEsploraReader reads from r.
func NewEsploraReader(r io.Reader) *EsploraReader {
	return &EsploraReader{br: bufio.NewReaderSize(r, 1<<20)}
}

type esploraJSON struct {
	Txid     *string       `json:"txid"`
	Version  int32         `json:"version"`
	Locktime uint32        `json:"locktime"`
	Label    string        `json:"label"`
	Origin   string        `json:"origin"`
	Vin      []esploraIn   `json:"vin"`
	Vout     []esploraOutJ `json:"vout"`
}

type esploraIn struct {
	IsCoinbase bool         `json:"is_coinbase"`
	Prevout    *esploraOutJ `json:"prevout"`
}

type esploraOutJ struct {
	Scriptpubkey *string `json:"scriptpubkey"`
	Value        *int64  `json:"value"`
}

// Next returns the next transaction; io.EOF after the last. A *RecordError
// reports a bad record; calling Next again goes on with the next one when
// the input allows it.
func (r *EsploraReader) Next() (*EsploraTx, error) {
	if r.done {
		return nil, io.EOF
	}
	if !r.started {
		r.started = true
		b, err := r.peekNonSpace()
		if err == io.EOF {
			r.done = true
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if b == '[' {
			data, err := io.ReadAll(r.br)
			if err != nil {
				return nil, err
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			if _, err := dec.Token(); err != nil {
				r.done = true
				return nil, &RecordError{lineAt(data, 0), fmt.Errorf("malformed JSON array: %v", err)}
			}
			r.arr = &arrayState{data: data, dec: dec}
		}
	}
	if r.arr != nil {
		return r.nextInArray()
	}
	for {
		line, err := r.readLine()
		if err == io.EOF && len(line) == 0 {
			r.done = true
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			r.done = true
			return nil, &RecordError{r.line, err}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				r.done = true
				return nil, io.EOF
			}
			continue
		}
		return r.parse(line, r.line)
	}
}

func (r *EsploraReader) peekNonSpace() (byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			if b[0] == '\n' {
				r.line++
			}
			r.br.Discard(1)
			continue
		}
		return b[0], nil
	}
}

// readLine returns the next line (without its newline), bounded by
// MaxRecordBytes.
func (r *EsploraReader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxRecordBytes {
			r.line++
			return nil, fmt.Errorf("record longer than %d bytes", MaxRecordBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil || len(buf) > 0 {
			r.line++
		}
		return bytes.TrimSuffix(buf, []byte{'\n'}), err
	}
}

func (r *EsploraReader) nextInArray() (*EsploraTx, error) {
	a := r.arr
	if !a.dec.More() {
		r.done = true
		if _, err := a.dec.Token(); err != nil {
			return nil, &RecordError{lineAt(a.data, int(a.dec.InputOffset())), fmt.Errorf("malformed JSON array: %v", err)}
		}
		return nil, io.EOF
	}
	start := int(a.dec.InputOffset())
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		r.done = true
		return nil, &RecordError{lineAt(a.data, start+skipSpaceComma(a.data[start:])), fmt.Errorf("malformed JSON: %v", err)}
	}
	return r.parse(raw, lineAt(a.data, start+skipSpaceComma(a.data[start:])))
}

func skipSpaceComma(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == ',') {
		i++
	}
	return i
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

func (r *EsploraReader) parse(b []byte, line int) (*EsploraTx, error) {
	r.raw = esploraJSON{}
	// go-json decodes several times faster; encoding/json words errors
	// better, so a record it rejects is decoded again to say why.
	if err := gojson.Unmarshal(b, &r.raw); err != nil {
		r.raw = esploraJSON{}
		if serr := json.Unmarshal(b, &r.raw); serr != nil {
			err = serr
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &RecordError{line, fmt.Errorf("malformed JSON at byte %d of the record: %v", se.Offset, err)}
		}
		return nil, &RecordError{line, fmt.Errorf("bad transaction: %v", err)}
	}
	t, err := r.convert(&r.raw)
	if err != nil {
		return nil, &RecordError{line, err}
	}
	t.Line = line
	return t, nil
}

func (r *EsploraReader) convert(j *esploraJSON) (*EsploraTx, error) {
	if j.Txid == nil {
		return nil, errors.New(`missing required field "txid"`)
	}
	if b, err := hex.DecodeString(*j.Txid); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("txid %q is not 64 hex digits", *j.Txid)
	}
	t := &EsploraTx{Txid: *j.Txid, Label: j.Label, Origin: j.Origin}
	t.Tx = Tx{Version: j.Version, LockTime: j.Locktime}
	// Address keys of the whole tx live in one buffer (no allocation per key).
	r.keys = r.keys[:0]
	type span struct{ off, n int }
	inKeys := make([]span, len(j.Vin))
	outKeys := make([]span, len(j.Vout))
	ins := make([]Input, len(j.Vin))
	var addrs []chain.Addr
	var sbuf []byte
	decode := func(in bool, i int, o *esploraOutJ) (chain.ScriptType, span, int64, error) {
		where := func() string {
			if in {
				return fmt.Sprintf("vin[%d].prevout", i)
			}
			return fmt.Sprintf("vout[%d]", i)
		}
		if o.Value == nil {
			return 0, span{}, 0, fmt.Errorf(`%s: missing required field "value"`, where())
		}
		if v := *o.Value; v < 0 || v > MaxMoney {
			return 0, span{}, 0, fmt.Errorf("%s.value %d is outside [0, 21,000,000 BTC]", where(), v)
		}
		if o.Scriptpubkey == nil {
			return 0, span{}, 0, fmt.Errorf(`%s: missing required field "scriptpubkey"`, where())
		}
		s := *o.Scriptpubkey
		if len(s)%2 != 0 {
			return 0, span{}, 0, fmt.Errorf("%s.scriptpubkey is not hex (odd length %d)", where(), len(s))
		}
		sbuf = sbuf[:0]
		sbuf = append(sbuf, make([]byte, len(s)/2)...)
		if _, err := hex.Decode(sbuf, []byte(s)); err != nil {
			return 0, span{}, 0, fmt.Errorf("%s.scriptpubkey is not hex: %v", where(), err)
		}
		var typ chain.ScriptType
		typ, addrs = chain.ParseScript(sbuf, addrs[:0])
		sp := span{-1, 0}
		if len(addrs) > 0 {
			sp.off = len(r.keys)
			r.keys = addrs[0].AppendKey(r.keys)
			sp.n = len(r.keys) - sp.off
		}
		return typ, sp, *o.Value, nil
	}
	for i := range j.Vin {
		in := &j.Vin[i]
		inKeys[i] = span{-1, 0}
		if in.IsCoinbase {
			t.Tx.Coinbase = len(j.Vin) == 1
			continue
		}
		if in.Prevout == nil {
			continue
		}
		typ, sp, v, err := decode(true, i, in.Prevout)
		if err != nil {
			return nil, err
		}
		ins[i] = Input{Known: true, Value: v, Type: typ}
		inKeys[i] = sp
	}
	outs := make([]Output, len(j.Vout))
	for i := range j.Vout {
		typ, sp, v, err := decode(false, i, &j.Vout[i])
		if err != nil {
			return nil, err
		}
		outs[i] = Output{Value: v, Type: typ}
		outKeys[i] = sp
	}
	keys := bytes.Clone(r.keys)
	for i, sp := range inKeys {
		if sp.off >= 0 {
			ins[i].Key = keys[sp.off : sp.off+sp.n : sp.off+sp.n]
		}
	}
	for i, sp := range outKeys {
		if sp.off >= 0 {
			outs[i].Key = keys[sp.off : sp.off+sp.n : sp.off+sp.n]
		}
	}
	t.Tx.Ins, t.Tx.Outs = ins, outs
	return t, nil
}
