package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// DiffCounts are the sizes of a list diff's parts, before any limit.
type DiffCounts struct {
	Added            int `json:"added"`
	Removed          int `json:"removed"`
	Changed          int `json:"changed"`
	AddedAddresses   int `json:"added_addresses"`
	RemovedAddresses int `json:"removed_addresses"`
}

// ListDiffAnswer is the JSON of GET /v1/lists/{name}/diff: the entries added,
// removed (delisted) and changed from one version of a list to another, as
// `chaintrace lists diff --json` prints them, with their counts.
type ListDiffAnswer struct {
	*sanctions.Diff
	Counts DiffCounts `json:"counts"`
	// Truncated: limit cut at least one part (the counts are whole).
	Truncated bool `json:"truncated"`
}

// maxDiffLimit bounds the limit parameter of a list diff.
const maxDiffLimit = 100_000

// diffCache keeps the last few list diffs: versions never change once
// imported, so a diff of two version ids stays true.
type diffCache struct {
	mu    sync.Mutex
	order [][2]int64
	m     map[[2]int64]*sanctions.Diff
}

const diffCacheSize = 4

func (c *diffCache) get(k [2]int64) *sanctions.Diff {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *diffCache) put(k [2]int64, d *sanctions.Diff) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[2]int64]*sanctions.Diff{}
	}
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) == diffCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, k)
	c.m[k] = d
}

// parseVersionID reads a version as `lists diff` does: 3, v3 or ofac-sdn@3.
func parseVersionID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s[strings.LastIndex(s, "@")+1:], "v"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("version %q: want a version id like 3 (see GET /v1/lists)", clip(s))
	}
	return id, nil
}

// GET /v1/lists/{name}/diff[?from=V1][&to=V2][&limit=N]
//
// to defaults to the version in force of the list, from to the version of
// the list before to.
func (s *Server) handleListDiff(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Sanctions == nil {
		writeError(w, http.StatusServiceUnavailable, "no sanctions store in the data directory")
		return
	}
	name := r.PathValue("name")
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxDiffLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to %d entries per part", clip(l), maxDiffLimit))
			return
		}
		limit = n
	}
	var ids [2]int64 // from, to
	for i, p := range []string{"from", "to"} {
		if v := q.Get(p); v != "" {
			id, err := parseVersionID(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, p+": "+err.Error())
				return
			}
			ids[i] = id
		}
	}
	vs, err := s.cfg.Sanctions.Versions(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var mine []sanctions.Version // of this list, oldest first
	lists := map[string]bool{}
	for _, v := range vs {
		lists[v.List] = true
		if v.List == name {
			mine = append(mine, v)
		}
	}
	if len(mine) == 0 {
		names := make([]string, 0, len(lists))
		for l := range lists {
			names = append(names, l)
		}
		sort.Strings(names)
		writeError(w, http.StatusNotFound, fmt.Sprintf("list %q has never been imported (lists: %s)", clip(name), strings.Join(names, ", ")))
		return
	}
	find := func(id int64) (int, error) {
		for i, v := range mine {
			if v.ID == id {
				return i, nil
			}
		}
		for _, v := range vs {
			if v.ID == id {
				return -1, fmt.Errorf("version %d is of list %s, not %s", id, v.List, name)
			}
		}
		return -1, nil
	}
	pos := [2]int{-1, len(mine) - 1}
	for i, p := range []string{"from", "to"} {
		if ids[i] == 0 {
			continue
		}
		at, err := find(ids[i])
		if err != nil {
			writeError(w, http.StatusBadRequest, p+": "+err.Error())
			return
		}
		if at < 0 {
			writeError(w, http.StatusNotFound, fmt.Sprintf("%s: %v: %d", p, sanctions.ErrNoVersion, ids[i]))
			return
		}
		pos[i] = at
	}
	if ids[0] == 0 {
		if pos[1] == 0 {
			writeError(w, http.StatusNotFound, fmt.Sprintf("%s is the first version of %s: nothing before it to compare with (give from)", mine[0].Label(), name))
			return
		}
		pos[0] = pos[1] - 1
	}
	key := [2]int64{mine[pos[0]].ID, mine[pos[1]].ID}
	d := s.diffs.get(key)
	if d == nil {
		d, err = s.cfg.Sanctions.Diff(r.Context(), key[0], key[1])
		if err != nil {
			screenError(w, err)
			return
		}
		s.diffs.put(key, d)
	}
	ans := ListDiffAnswer{Diff: &sanctions.Diff{}, Counts: DiffCounts{Added: len(d.Added), Removed: len(d.Removed),
		Changed: len(d.Changed), AddedAddresses: len(d.AddedAddresses), RemovedAddresses: len(d.RemovedAddresses)}}
	*ans.Diff = *d // a copy: the cached diff is shared
	ans.From.Source, ans.To.Source = publicSource(d.From.Source), publicSource(d.To.Source)
	ans.From.InForce, ans.To.InForce = mine[pos[0]].InForce, mine[pos[1]].InForce
	if limit > 0 {
		cut := func(n int) int {
			if n > limit {
				ans.Truncated = true
				return limit
			}
			return n
		}
		ans.Added = d.Added[:cut(len(d.Added))]
		ans.Removed = d.Removed[:cut(len(d.Removed))]
		ans.Changed = d.Changed[:cut(len(d.Changed))]
		ans.AddedAddresses = d.AddedAddresses[:cut(len(d.AddedAddresses))]
		ans.RemovedAddresses = d.RemovedAddresses[:cut(len(d.RemovedAddresses))]
	}
	writeJSON(w, http.StatusOK, ans)
}
