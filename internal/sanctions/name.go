package sanctions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
)

// ErrEmptyName is returned by ScreenName for an empty or blank query.
var ErrEmptyName = errors.New("sanctions: empty name")

// NameOptions narrow a name screen (see namematch.Options: MinScore,
// Limit, Types, Programs, Lists, Countries, DOB, DOBYearTolerance).
type NameOptions = namematch.Options

// NameMatch is one listed party matching a screened name.
type NameMatch struct {
	List        string                `json:"list"`
	EntityID    string                `json:"entity_id"`
	Name        string                `json:"name"`         // primary name as listed
	MatchedName string                `json:"matched_name"` // the name (primary or alias) that matched
	Type        string                `json:"type"`
	Programs    []string              `json:"programs"`
	Score       float64               `json:"score"`
	Explanation namematch.Explanation `json:"explanation"`
}

// NameResult is the answer to a name screen, matches sorted by score.
type NameResult struct {
	Query       string      `json:"query"`
	ListVersion string      `json:"list_version"`
	Matches     []NameMatch `json:"matches"`
}

// nameIndex is the name index over the versions in force at one moment.
type nameIndex struct {
	label    string // versions the index holds
	builtFor string // the store's in-force label when it was built
	ix       *namematch.Index
	entities []Entity
}

// nameIndexes caches one name index per Store; it is rebuilt when the
// versions in force change. Keys are weak so that a dropped Store's index
// goes with it.
var nameIndexes sync.Map // weak.Pointer[Store] -> *nameCache

type nameCache struct {
	build sync.Mutex // held while an index is built
	cur   atomic.Pointer[nameIndex]
}

// nameIndex returns the name index over the versions in force, building it
// on first use and again whenever the versions in force change (an import,
// a Reload). While one caller rebuilds it, the others keep answering from
// the previous index (its list_version says which), unless wait is set.
func (s *Store) nameIndex(ctx context.Context, wait bool) (*nameIndex, error) {
	key := weak.Make(s)
	v, ok := nameIndexes.Load(key) // no new cache allocated per screen
	if !ok {
		var loaded bool
		v, loaded = nameIndexes.LoadOrStore(key, &nameCache{})
		if !loaded {
			runtime.AddCleanup(s, func(k weak.Pointer[Store]) { nameIndexes.Delete(k) }, key)
		}
	}
	c := v.(*nameCache)
	want := s.InForceLabel()
	cur := c.cur.Load()
	if cur != nil && cur.builtFor == want {
		return cur, nil
	}
	if cur != nil && !wait {
		if !c.build.TryLock() {
			return cur, nil
		}
	} else {
		c.build.Lock()
	}
	defer c.build.Unlock()
	if cur := c.cur.Load(); cur != nil && cur.builtFor == want {
		return cur, nil
	}
	start := time.Now()
	vs, err := s.InForce(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	var ents []Entity
	if len(ids) > 0 {
		if ents, err = s.Entities(ctx, ids...); err != nil {
			return nil, err
		}
	}
	ni := &nameIndex{label: VersionLabel(vs), builtFor: want, ix: namematch.Build(NameRecords(ents)), entities: ents}
	_, names := ni.ix.Len()
	slog.Info("sanctions: name index built", "versions", ni.label, "entities", len(ents), "names", names, "took", time.Since(start).Round(time.Millisecond))
	c.cur.Store(ni)
	return ni, nil
}

// WarmNameIndex builds the name index over the versions now in force, waiting
// for a build another caller has under way, so that screens after it see them.
func (s *Store) WarmNameIndex(ctx context.Context) error {
	_, err := s.nameIndex(ctx, true)
	return err
}

// ScreenName screens a name against the entities of the versions in force.
func (s *Store) ScreenName(ctx context.Context, query string, opts NameOptions) (*NameResult, error) {
	if strings.TrimSpace(query) == "" {
		return nil, ErrEmptyName
	}
	ni, err := s.nameIndex(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("sanctions: name index: %w", err)
	}
	return ni.screen(query, opts), nil
}

func (ni *nameIndex) screen(query string, opts NameOptions) *NameResult {
	res := &NameResult{Query: query, ListVersion: ni.label, Matches: []NameMatch{}}
	for _, h := range ni.ix.Search(query, opts) {
		e := &ni.entities[h.RecordIndex]
		progs := e.Programs
		if progs == nil {
			progs = []string{}
		}
		res.Matches = append(res.Matches, NameMatch{
			List: e.List, EntityID: e.ID, Name: e.Name, MatchedName: h.MatchedName,
			Type: e.Type, Programs: progs, Score: h.Score, Explanation: h.Explanation,
		})
	}
	return res
}

var yearRE = regexp.MustCompile(`\b(1[89]\d\d|20\d\d)\b`)

// dobYears returns the years a listed date of birth stands for: "12 Mar
// 1964" is 1964; a range ("1951 to 1953", "circa 1979-1982") is every year
// of it (up to 30).
func dobYears(d string) []string {
	ys := yearRE.FindAllString(d, -1)
	if len(ys) == 2 {
		a, _ := strconv.Atoi(ys[0])
		b, _ := strconv.Atoi(ys[1])
		if a < b && b-a <= 30 {
			ys = ys[:0]
			for y := a; y <= b; y++ {
				ys = append(ys, strconv.Itoa(y))
			}
		}
	}
	return ys
}

// NameRecords turns entities into name matching records, one per entity in
// the same order: the primary name, the aliases (weak ones marked weak),
// nationalities and address countries, and the years of the dates of birth.
func NameRecords(ents []Entity) []namematch.Record {
	recs := make([]namematch.Record, len(ents))
	for i := range ents {
		e := &ents[i]
		r := namematch.Record{ID: e.ID, List: e.List, Type: e.Type, Programs: e.Programs}
		r.Names = append(r.Names, namematch.Name{Text: e.Name, Kind: namematch.Primary})
		for _, a := range e.Aliases {
			kind := namematch.Alias
			if a.Quality == QualityWeak {
				kind = namematch.Weak
			}
			r.Names = append(r.Names, namematch.Name{Text: a.Name, Kind: kind})
		}
		r.Countries = append(append(r.Countries, e.Nationalities...), e.Countries...)
		for _, d := range e.DatesOfBirth {
			r.DatesOfBirth = append(r.DatesOfBirth, dobYears(d)...)
		}
		recs[i] = r
	}
	return recs
}

// NameIndex returns the name index over the versions in force and their
// label (for evaluation and benchmarks).
func (s *Store) NameIndex(ctx context.Context) (*namematch.Index, string, error) {
	ni, err := s.nameIndex(ctx, false)
	if err != nil {
		return nil, "", err
	}
	return ni.ix, ni.label, nil
}
