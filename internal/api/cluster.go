package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
)

// clusterConfig holds the address clustering the cluster routes read.
type clusterConfig struct {
	// Clusters is the data folder's cluster store (nil: the routes answer 503
	// and address views carry no cluster_id).
	Clusters *cluster.Store
	// ClusterLabels, when set, gives cluster views their labels.
	ClusterLabels cluster.LabelSource
}

// registerCluster registers the cluster routes and adds "cluster_id" to
// the address answer of /v1/btc/addresses/{address}.
func (s *Server) registerCluster() {
	if s.cfg.Clusters != nil {
		s.addressFields = append(s.addressFields, s.clusterIDField)
	}
	s.mux.HandleFunc("GET /v1/btc/addresses/{address}/cluster", s.clusters(func(w http.ResponseWriter, r *http.Request, ix *index.Index, cs *cluster.Store) {
		id, err := addressIDOf(ix, r.PathValue("address"))
		if err != nil {
			answer(w, nil, err, "address "+r.PathValue("address"))
			return
		}
		s.clusterView(w, r, ix, cs, id)
	}))
	s.mux.HandleFunc("GET /v1/btc/clusters/explain", s.clusters(func(w http.ResponseWriter, r *http.Request, ix *index.Index, cs *cluster.Store) {
		q := r.URL.Query()
		if q.Get("a") == "" || q.Get("b") == "" {
			writeError(w, http.StatusBadRequest, "explain needs ?a=ADDRESS&b=ADDRESS")
			return
		}
		a, err := addressIDOf(ix, q.Get("a"))
		if err != nil {
			answer(w, nil, err, "address "+q.Get("a"))
			return
		}
		b, err := addressIDOf(ix, q.Get("b"))
		if err != nil {
			answer(w, nil, err, "address "+q.Get("b"))
			return
		}
		v, err := cs.ExplainOf(ix, a, b)
		answer(w, v, err, "cluster")
	}))
	s.mux.HandleFunc("GET /v1/btc/clusters/{id}", s.clusters(func(w http.ResponseWriter, r *http.Request, ix *index.Index, cs *cluster.Store) {
		id, ok := clusterID(w, r, cs)
		if ok {
			s.clusterView(w, r, ix, cs, id)
		}
	}))
	s.mux.HandleFunc("GET /v1/btc/clusters/{id}/addresses", s.clusters(func(w http.ResponseWriter, r *http.Request, ix *index.Index, cs *cluster.Store) {
		id, ok := clusterID(w, r, cs)
		if !ok {
			return
		}
		page, err := parsePageNum(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		v, err := cs.ViewOf(ix, nil, id, page)
		if err != nil {
			answer(w, nil, err, "cluster")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"cluster_id": v.ClusterID, "size": v.Size, "page": v.Page, "page_size": v.PageSize, "addresses": v.Addresses})
	}))
}

func (s *Server) clusterView(w http.ResponseWriter, r *http.Request, ix *index.Index, cs *cluster.Store, id uint64) {
	page, err := parsePageNum(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	v, err := cs.ViewOf(ix, s.cfg.ClusterLabels, id, page)
	if errors.Is(err, cluster.ErrUnknown) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	answer(w, v, err, "cluster")
}

// clusters wraps a handler that needs the chain index and the cluster store.
func (s *Server) clusters(h func(http.ResponseWriter, *http.Request, *index.Index, *cluster.Store)) http.HandlerFunc {
	return s.chain(func(w http.ResponseWriter, r *http.Request, ix *index.Index) {
		if s.cfg.Clusters == nil {
			writeError(w, http.StatusServiceUnavailable, "no address clustering in the data folder: run chaintrace cluster --rebuild")
			return
		}
		h(w, r, ix, s.cfg.Clusters)
	})
}

// clusterID parses {id}: a cluster id (the id of any of its addresses;
// the answer names the current one).
func clusterID(w http.ResponseWriter, r *http.Request, cs *cluster.Store) (uint64, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("bad cluster id %q: want a decimal number", r.PathValue("id")))
		return 0, false
	}
	if _, _, ok := cs.ClusterOf(id); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("cluster %d not found", id))
		return 0, false
	}
	return id, true
}

func parsePageNum(r *http.Request) (int, error) {
	p := r.URL.Query().Get("page")
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad page %q: want a number ≥ 0", p)
	}
	return n, nil
}

// addressIDOf maps an address string to its index id (ErrBadAddress,
// ErrNotFound).
func addressIDOf(ix *index.Index, addr string) (uint64, error) {
	a, err := chain.ParseAddr(addr, ix.Network())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", index.ErrBadAddress, err)
	}
	id, ok := ix.AddressID(a.Key())
	if !ok {
		return 0, index.ErrNotFound
	}
	return id, nil
}

// clusterIDField is the "cluster_id" of an address answer: null while the
// address is not clustered yet.
func (s *Server) clusterIDField(_ context.Context, v *index.AddressView) (string, any, error) {
	var id *uint64
	if ix := s.cfg.Chain; ix != nil {
		if a, err := addressIDOf(ix, v.Address); err == nil {
			if c, _, ok := s.cfg.Clusters.ClusterOf(a); ok {
				id = &c
			}
		}
	}
	return "cluster_id", id, nil
}
