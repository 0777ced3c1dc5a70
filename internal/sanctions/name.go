package sanctions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/chaintrace/chaintrace/internal/country"
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
	Category    string                `json:"category"`   // CategorySanctions, or the watchlist's category
	Sanctioned  bool                  `json:"sanctioned"` // listed on an official sanctions list
	Programs    []string              `json:"programs"`
	Score       float64               `json:"score"`
	Explanation namematch.Explanation `json:"explanation"`
	Entity      *EntityDetails        `json:"entity"` // the listed party's details
}

// NameResult is the answer to a name screen, matches sorted by score.
type NameResult struct {
	Query       string      `json:"query"`
	ListVersion string      `json:"list_version"`
	Matches     []NameMatch `json:"matches"`
	// Filtered says how many matches (at or above the threshold) each
	// filter removed; omitted when none did.
	Filtered []namematch.Removed `json:"filtered,omitempty"`
}

// ErrBadFilter is wrapped by the error for a filter value that names no
// list, program or country (the message names the valid values).
var ErrBadFilter = errors.New("bad filter")

// NameScreenTimeout bounds a name screen whose context has no deadline.
const NameScreenTimeout = 5 * time.Second

// nameIndex is the name index over the versions in force at one moment.
type nameIndex struct {
	label    string // versions the index holds
	builtFor string // the store's in-force label when it was built
	ix       *namematch.Index
	entities []Entity
	// filter values present, case-folded -> as listed
	lists, programs map[string]string
	versionOf       map[string]string               // list -> its version label
	details         []atomic.Pointer[EntityDetails] // per entity, made at its first match
	countries       map[string]bool                 // country keys of the records (codes, or folded names)
}

// newNameIndex indexes entities.
func newNameIndex(ctx context.Context, label, builtFor string, ents []Entity) (*nameIndex, error) {
	ni := &nameIndex{label: label, builtFor: builtFor, entities: ents,
		lists: map[string]string{}, programs: map[string]string{}, countries: map[string]bool{}, versionOf: map[string]string{},
		details: make([]atomic.Pointer[EntityDetails], len(ents))}
	for _, l := range strings.Split(label, ",") {
		if i := strings.LastIndexByte(l, '@'); i > 0 {
			ni.versionOf[l[:i]] = l
		}
	}
	recs := NameRecords(ents)
	for i := range recs {
		ni.lists[strings.ToLower(recs[i].List)] = recs[i].List
		for _, p := range recs[i].Programs {
			ni.programs[strings.ToLower(p)] = p
		}
		for _, c := range recs[i].Countries {
			ni.countries[c] = true
		}
	}
	var err error
	ni.ix, err = namematch.BuildContext(ctx, recs)
	return ni, err
}

// countryKey is how records and filters compare countries: the ISO 3166
// alpha-2 code when the name resolves, the normalised name otherwise
// ("Region: Crimea" -> "crimea").
func countryKey(s string) string {
	if c, ok := country.Code(s); ok {
		return c
	}
	return country.Normalize(s)
}

// splitCountries reads comma-separated country filters without breaking a
// name that holds a comma ("Korea, North"): a value that is one country as
// a whole is kept whole.
func splitCountries(vals []string) []string {
	var out []string
	for _, v := range vals {
		if _, ok := country.Code(v); ok {
			out = append(out, strings.TrimSpace(v))
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// SplitCountries splits country filter values on commas, except within a
// country name that holds one ("Korea, North").
func SplitCountries(vals ...string) []string { return splitCountries(vals) }

// checkFilters resolves the filters of opts against the lists in force: an
// unknown list or program, or a country that is neither an ISO 3166 code
// nor a known name, is an error naming the valid values. Countries become
// their comparison keys.
func (ni *nameIndex) checkFilters(opts *NameOptions) error {
	for i, l := range opts.Lists {
		v, ok := ni.lists[strings.ToLower(strings.TrimSpace(l))]
		if !ok {
			return fmt.Errorf("%w: list %q is not in force (lists: %s)", ErrBadFilter, clip(l), strings.Join(sortedValues(ni.lists), ", "))
		}
		opts.Lists[i] = v
	}
	for i, p := range opts.Programs {
		v, ok := ni.programs[strings.ToLower(strings.TrimSpace(p))]
		if !ok {
			return fmt.Errorf("%w: program %q: no listed entity is under it (programs: %s)", ErrBadFilter, clip(p), strings.Join(sortedValues(ni.programs), ", "))
		}
		opts.Programs[i] = v
	}
	for i, c := range opts.Countries {
		code, ok := country.Code(c)
		if !ok {
			if k := country.Normalize(c); ni.countries[k] {
				opts.Countries[i] = k
				continue
			}
			return fmt.Errorf("%w: country %q: want an ISO 3166 alpha-2 or alpha-3 code or a country name (e.g. KP, PRK, North Korea, \"Korea, North\")", ErrBadFilter, clip(c))
		}
		opts.Countries[i] = code
	}
	return nil
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// ClipQuote cuts bad input quoted back in an error to a readable length
// (200 bytes and the size of the whole).
func ClipQuote(s string) string { return clip(s) }

// clip cuts a user-given value quoted in an error to a readable length.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return truncUTF8(s, max) + fmt.Sprintf("…(%d bytes)", len(s))
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
	ni, err := newNameIndex(ctx, VersionLabel(vs), want, ents)
	if err != nil {
		return nil, fmt.Errorf("name index build stopped: %w", err)
	}
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
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, NameScreenTimeout)
		defer cancel()
	}
	return ni.screen(ctx, query, opts)
}

func (ni *nameIndex) screen(ctx context.Context, query string, opts NameOptions) (*NameResult, error) {
	given := strings.Join(opts.Countries, ",")
	opts.Lists = slices.Clone(opts.Lists)
	opts.Programs = slices.Clone(opts.Programs)
	opts.Countries = splitCountries(opts.Countries)
	if err := ni.checkFilters(&opts); err != nil {
		return nil, err
	}
	hits, removed, err := ni.ix.SearchContext(ctx, query, opts)
	if err != nil {
		return nil, fmt.Errorf("sanctions: name screen of %q stopped: %w", clip(query), err)
	}
	res := &NameResult{Query: query, ListVersion: ni.label, Matches: []NameMatch{}}
	for _, r := range removed {
		if r.Filter == "country" {
			r.Value = given
		}
		res.Filtered = append(res.Filtered, r)
	}
	for _, h := range hits {
		e := &ni.entities[h.RecordIndex]
		progs := e.Programs
		if progs == nil {
			progs = []string{}
		}
		res.Matches = append(res.Matches, NameMatch{
			List: e.List, EntityID: e.ID, Name: e.Name, MatchedName: h.MatchedName,
			Type: e.Type, Category: e.CategoryOf(), Sanctioned: IsOfficial(e.List), Programs: progs, Score: h.Score, Explanation: h.Explanation,
			Entity: ni.detailsOf(h.RecordIndex),
		})
	}
	return res, nil
}

// detailsOf returns the details of entity i, made once and shared.
func (ni *nameIndex) detailsOf(i int) *EntityDetails {
	if d := ni.details[i].Load(); d != nil {
		return d
	}
	e := &ni.entities[i]
	d := e.Details(ni.versionOf[e.List])
	if ni.details[i].CompareAndSwap(nil, d) {
		return d
	}
	return ni.details[i].Load()
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
		for _, c := range append(slices.Clone(e.Nationalities), e.Countries...) {
			if k := countryKey(c); k != "" && !slices.Contains(r.Countries, k) {
				r.Countries = append(r.Countries, k)
			}
		}
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
