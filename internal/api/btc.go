package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/chaintrace/chaintrace/internal/index"
)

// btcConfig holds the chain index the /v1/btc and /v1/stats routes read.
type btcConfig struct {
	// Chain is the chain index, opened by serve; nil when the data folder has none
	// (the routes then answer 503).
	Chain *index.Index
	// PendingChain, used when Chain is nil, is asked for the index on each request:
	// an index that could not be opened at start (another process holds it) is
	// served once it can be. While it returns an error the routes answer 503 with it.
	PendingChain func() (*index.Index, error)
}

// Paging of address histories.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// registerBTC registers the chain routes.
func (s *Server) registerBTC() {
	s.mux.HandleFunc("GET /v1/stats", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		writeJSON(w, http.StatusOK, StatsOf(ix))
	}))
	s.mux.HandleFunc("GET /v1/btc/blocks/{id}", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		id := r.PathValue("id")
		height, hash, err := ParseBlockID(id)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		var v any
		if hash != nil {
			v, err = ix.BlockByHash(*hash)
		} else {
			v, err = ix.BlockByHeight(height)
		}
		answer(w, v, err, "block "+clip(id))
	}))
	s.mux.HandleFunc("GET /v1/btc/txs/{txid}", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		txid, err := ParseHash("txid", r.PathValue("txid"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		v, err := ix.Tx(txid)
		if err != nil {
			answer(w, nil, err, "transaction "+txid.String())
			return
		}
		t, _ := ix.TxNumOf(txid)
		answer(w, TxWithKinds{v, TxKinds(ix, t)}, nil, "transaction "+txid.String())
	}))
	s.mux.HandleFunc("GET /v1/btc/addresses/{address}", s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		addr := r.PathValue("address")
		offset, limit, err := ParsePage(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		v, err := ix.Address(addr, offset, limit)
		if err != nil {
			answer(w, nil, err, "address "+clip(addr))
			return
		}
		ans, err := s.decorateAddress(r.Context(), v)
		answer(w, ans, err, "address "+clip(addr))
	}))
}

// chain wraps a handler that needs the chain index, answering 503 without one.
func (s *Server) chain(h func(http.ResponseWriter, *http.Request, *index.Index)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ix := s.cfg.Chain
		if ix == nil && s.cfg.PendingChain != nil {
			var err error
			if ix, err = s.cfg.PendingChain(); err != nil {
				writeError(w, http.StatusServiceUnavailable, err.Error())
				return
			}
		}
		if ix == nil {
			writeError(w, http.StatusServiceUnavailable, "no chain index in the data folder: run chaintrace ingest first")
			return
		}
		h(w, r, ix)
	}
}

// answer writes v, or 400 for index.ErrBadAddress, 404 for index.ErrNotFound, or 500.
func answer(w http.ResponseWriter, v any, err error, what string) {
	switch {
	case errors.Is(err, index.ErrBadAddress):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, index.ErrNotFound):
		writeError(w, http.StatusNotFound, what+" not found in the index")
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// StatsOf returns the index's counts and tip, the JSON of /v1/stats and `chaintrace stats --json`.
func StatsOf(ix *index.Index) index.Stats { return ix.Stats() }

// ParseHash parses a 64-hex-digit block hash or txid (as shown, byte-reversed).
func ParseHash(what, s string) (chainhash.Hash, error) {
	if len(s) != 2*chainhash.HashSize {
		return chainhash.Hash{}, fmt.Errorf("bad %s %q: want %d hex digits", what, clip(s), 2*chainhash.HashSize)
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("bad %s %q: %v", what, clip(s), err)
	}
	return *h, nil
}

// ParseBlockID parses a block height (decimal) or hash (64 hex digits).
func ParseBlockID(s string) (height int64, hash *chainhash.Hash, err error) {
	if len(s) == 2*chainhash.HashSize {
		h, err := ParseHash("block hash", s)
		if err != nil {
			return 0, nil, err
		}
		return 0, &h, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, nil, fmt.Errorf("bad block %q: want a height (a non-negative integer) or a hash (64 hex digits)", clip(s))
	}
	return n, nil, nil
}

// ParsePage parses offset and limit query values ("" means the default).
func ParsePage(offset, limit string) (int, int, error) {
	o, l := 0, DefaultLimit
	if offset != "" {
		n, err := strconv.Atoi(offset)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("bad offset %q: want a non-negative integer", clip(offset))
		}
		o = n
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return 0, 0, fmt.Errorf("bad limit %q: want an integer from 1 to %d", clip(limit), MaxLimit)
		}
		l = n
	}
	return o, l, nil
}
