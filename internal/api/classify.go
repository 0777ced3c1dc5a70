package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/index"
)

// The classification routes: the kinds of an indexed tx (added to
// GET /v1/btc/txs/{txid}), the indexed txs of a kind, and classifying
// posted Esplora JSON.

// TxWithKinds is a tx view with its kinds, the JSON of GET /v1/btc/txs/{txid}.
type TxWithKinds struct {
	*index.TxView
	Kinds []classify.Result `json:"kinds"`
}

// ClassifyResult is one classified tx: {"txid","kinds":[…]} (kinds is []
// when none).
type ClassifyResult struct {
	Txid  string            `json:"txid"`
	Kinds []classify.Result `json:"kinds"`
}

// NewClassifyResult builds a result, with [] for no kinds.
func NewClassifyResult(txid string, rs []classify.Result) ClassifyResult {
	if rs == nil {
		rs = []classify.Result{}
	}
	return ClassifyResult{txid, rs}
}

// KindTxsView is a page of the indexed txs of one kind, the JSON of
// GET /v1/btc/txs?kind=K and `chaintrace txs --kind K --json`.
type KindTxsView struct {
	Kind       string   `json:"kind"`
	Txs        []KindTx `json:"txs"`
	NextCursor *string  `json:"next_cursor"`
}

// KindTx is one tx of a KindTxsView.
type KindTx struct {
	Txid        string  `json:"txid"`
	BlockHeight int64   `json:"block_height"`
	Confidence  float64 `json:"confidence"`
}

// ParseCursor parses a page cursor ("" is the start).
func ParseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad cursor %q: pass the next_cursor of the previous page", s)
	}
	return n, nil
}

// ParseHeights parses from and to query values ("" = the index's ends).
func ParseHeights(from, to string) (int64, int64, error) {
	f, t := int64(0), int64(math.MaxInt64)
	for _, p := range []struct {
		s   string
		dst *int64
		n   string
	}{{from, &f, "from"}, {to, &t, "to"}} {
		if p.s == "" {
			continue
		}
		n, err := strconv.ParseInt(p.s, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("bad %s height %q: want a non-negative integer", p.n, p.s)
		}
		*p.dst = n
	}
	if f > t {
		return 0, 0, fmt.Errorf("from height %d is above to height %d", f, t)
	}
	return f, t, nil
}

// TxsOfKind returns a page of the indexed txs whose stored kinds hold k, in
// chain order, from heights [from, to], starting at cursor, at most limit
// (0: all); each with the confidence of the rule that finds k.
func TxsOfKind(ctx context.Context, ix *index.Index, k classify.Kind, from, to int64, cursor uint64, limit int) (*KindTxsView, error) {
	p, err := ix.TxsOfKind(ctx, uint32(k.Bit()), from, to, cursor, limit)
	if err != nil {
		return nil, err
	}
	v := &KindTxsView{Kind: string(k), Txs: make([]KindTx, 0, len(p.Txs))}
	for _, t := range p.Txs {
		h, _ := ix.TxHash(t)
		height, _ := ix.TxHeight(t)
		conf := 0.0
		rs, _ := classify.Indexed(ix, t)
		for _, r := range rs {
			if r.Kind == k {
				conf = r.Confidence
			}
		}
		v.Txs = append(v.Txs, KindTx{h.String(), height, conf})
	}
	if p.More {
		c := strconv.FormatUint(p.Next, 10)
		v.NextCursor = &c
	}
	return v, nil
}

// TxKinds classifies the indexed tx txid (nil when it is not indexed).
func TxKinds(ix *index.Index, t uint64) []classify.Result {
	rs, _ := classify.Indexed(ix, t)
	if rs == nil {
		rs = []classify.Result{}
	}
	return rs
}

// ClassifyEsplora classifies Esplora JSON (one object, an array of them,
// or one object per line); an error names the bad record's line.
func ClassifyEsplora(r io.Reader) (results []ClassifyResult, array bool, err error) {
	br := bufioPeek(r)
	array = br.first == '['
	er := classify.NewEsploraReader(br)
	var c classify.Classifier
	for {
		e, err := er.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, array, err
		}
		results = append(results, NewClassifyResult(e.Txid, c.Classify(&e.Tx, nil)))
	}
	if results == nil {
		results = []ClassifyResult{}
	}
	return results, array, nil
}

type peeked struct {
	io.Reader
	first byte
}

// bufioPeek reads the first non-space byte of r without losing it.
func bufioPeek(r io.Reader) peeked {
	var head []byte
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		head = append(head, buf[:n]...)
		if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 {
			return peeked{io.MultiReader(bytes.NewReader(head), r), t[0]}
		}
		if err != nil {
			return peeked{bytes.NewReader(head), 0}
		}
	}
}

func (s *Server) registerClassify() {
	s.mux.HandleFunc("GET /v1/btc/txs", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		q := r.URL.Query()
		k, err := classify.ParseKind(q.Get("kind"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "kind: "+err.Error())
			return
		}
		from, to, err := ParseHeights(q.Get("from"), q.Get("to"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		_, limit, err := ParsePage("", q.Get("limit"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		cursor, err := ParseCursor(q.Get("cursor"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		v, err := TxsOfKind(r.Context(), ix, k, from, to, cursor, limit)
		answer(w, v, err, "kind "+string(k))
	}))
	s.mux.HandleFunc("POST /v1/classify", func(w http.ResponseWriter, r *http.Request) {
		results, array, err := ClassifyEsplora(http.MaxBytesReader(w, r.Body, maxBatchBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooBig.Limit))
		case err != nil:
			writeError(w, http.StatusBadRequest, err.Error())
		case len(results) == 0:
			writeError(w, http.StatusBadRequest, "no transaction in the body: send one Esplora transaction object or an array of them")
		case array:
			writeJSON(w, http.StatusOK, results)
		case len(results) == 1:
			writeJSON(w, http.StatusOK, results[0])
		default:
			writeJSON(w, http.StatusOK, results)
		}
	})
}
