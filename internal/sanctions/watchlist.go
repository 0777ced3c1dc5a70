package sanctions

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
)

// WatchlistEntry is one row of a firm's own list: a name, an address, or
// both. Rows sharing an ID form one entity.
type WatchlistEntry struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Ticker   string `json:"ticker"`
	Category string `json:"category"` // the entity's category (scam, case, fraud, …), also kept as its program
	Source   string `json:"source"`   // free text kept in Remarks
}

var watchlistNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ParseWatchlist reads a watchlist as CSV (a header row naming the columns
// name, address, ticker, category, source, id in any order; name or address
// required) or JSON (an array of WatchlistEntry, or {"entries": [...]}).
// The list is "watchlist:NAME". Every address must be well formed.
func ParseWatchlist(path, name string) (*Parsed, error) {
	if !watchlistNameRe.MatchString(name) {
		return nil, fmt.Errorf("watchlist: name %q: want letters, digits, '.', '_' or '-' (up to 64)", name)
	}
	t, err := openText(path, nil)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	defer t.Close()
	list := WatchlistPrefix + name
	p := &Parsed{List: list, Source: path, Format: FormatWatchlist, SHA256: t.SHA256, Warnings: t.Warnings}
	byID := map[string]int{}
	named := map[string]bool{} // entities whose Name is a real name, not the id placeholder
	row := 0
	add := func(r WatchlistEntry, where string) error {
		row++
		r.Name, r.Address, r.Ticker = strings.TrimSpace(r.Name), strings.TrimSpace(r.Address), strings.ToUpper(strings.TrimSpace(r.Ticker))
		r.ID, r.Category, r.Source = strings.TrimSpace(r.ID), strings.TrimSpace(r.Category), strings.TrimSpace(r.Source)
		if r.Name == "" && r.Address == "" {
			return fmt.Errorf("watchlist: %s: %s: needs a name or an address", path, where)
		}
		if r.Address != "" {
			if _, err := ParseAddress(r.Address); err != nil {
				return fmt.Errorf("watchlist: %s: %s: address %q: %w", path, where, clip(r.Address), err)
			}
		}
		if len(r.ID) > maxIDBytes {
			return fmt.Errorf("watchlist: %s: %s: id %q is longer than %d bytes", path, where, clip(r.ID), maxIDBytes)
		}
		id := r.ID
		if id == "" {
			id = fmt.Sprintf("row%d", row)
		}
		k, ok := byID[id]
		if !ok {
			p.Entities = append(p.Entities, Entity{ID: list + ":" + id, List: list, Type: TypeEntity, Name: id})
			k = len(p.Entities) - 1
			byID[id] = k
		}
		e := &p.Entities[k]
		switch {
		case r.Name == "":
		case !named[id]:
			e.Name, named[id] = r.Name, true // the first name given is the primary one
		case r.Name != e.Name:
			e.Aliases = append(e.Aliases, Alias{Name: r.Name, Quality: QualityStrong})
		}
		if r.Category != "" {
			e.Programs = appendUnique(e.Programs, r.Category)
			if e.Category == "" {
				e.Category = r.Category // the first category given is the entity's
			}
		}
		if r.Source != "" && !strings.Contains(e.Remarks, r.Source) {
			if e.Remarks != "" {
				e.Remarks += "; "
			}
			e.Remarks += r.Source
		}
		if r.Address != "" {
			e.CryptoAddresses = append(e.CryptoAddresses, CryptoAddress{Ticker: r.Ticker, Address: r.Address})
		}
		return nil
	}
	br := bufio.NewReaderSize(t, 1<<16)
	first := byte(0)
	for {
		c, err := br.ReadByte()
		if err != nil {
			break
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			first = c
			br.UnreadByte()
			break
		}
	}
	if first == '[' || first == '{' || strings.EqualFold(filepath.Ext(path), ".json") {
		err = watchlistJSON(path, br, add)
	} else {
		err = watchlistCSV(path, br, add)
	}
	if err != nil {
		return nil, err
	}
	p.finish()
	return p, nil
}

// watchlistJSON streams the entries of a JSON watchlist (an array, or
// {"entries": [...]}) to add.
func watchlistJSON(path string, r io.Reader, add func(WatchlistEntry, string) error) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	fail := func(err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("watchlist: %s: offset %d: %s", path, se.Offset, clipErr(err))
		case errors.As(err, &te):
			return fmt.Errorf("watchlist: %s: offset %d: field %s: %s", path, te.Offset, clip(te.Field), clipErr(err))
		case errors.Is(err, io.EOF):
			return fmt.Errorf("watchlist: %s: offset %d: unexpected end of JSON (truncated?)", path, dec.InputOffset())
		}
		return fmt.Errorf("watchlist: %s: offset %d: %s", path, dec.InputOffset(), clipErr(err))
	}
	want := func(d json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if tok != d {
			return fmt.Errorf("watchlist: %s: offset %d: want %q, found %s", path, dec.InputOffset(), d, clip(fmt.Sprint(tok)))
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	wrapped := tok == json.Delim('{')
	if wrapped {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if tok != "entries" {
			return fmt.Errorf("watchlist: %s: offset %d: unknown field %s (want {\"entries\": [...]})", path, dec.InputOffset(), clip(fmt.Sprint(tok)))
		}
		if err := want('['); err != nil {
			return err
		}
	} else if tok != json.Delim('[') {
		return fmt.Errorf("watchlist: %s: offset 0: want a JSON array of entries or {\"entries\": [...]}", path)
	}
	for n := 1; dec.More(); n++ {
		var e WatchlistEntry
		if err := dec.Decode(&e); err != nil {
			return fail(err)
		}
		if err := add(e, fmt.Sprintf("entry %d", n)); err != nil {
			return err
		}
	}
	if err := want(']'); err != nil {
		return err
	}
	if wrapped {
		if err := want('}'); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("watchlist: %s: offset %d: data after the list", path, dec.InputOffset())
	}
	return nil
}

// watchlistCSV streams the rows of a CSV watchlist to add.
func watchlistCSV(path string, r io.Reader, add func(WatchlistEntry, string) error) error {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("watchlist: %s: header: %s", path, clipErr(err))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "name", "address", "ticker", "category", "source", "id":
			col[h] = i
		default:
			return fmt.Errorf("watchlist: %s: line 1: unknown column %q (want name, address, ticker, category, source, id)", path, clip(h))
		}
	}
	if _, ok := col["name"]; !ok {
		if _, ok := col["address"]; !ok {
			return fmt.Errorf("watchlist: %s: line 1: needs a name or an address column", path)
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watchlist: %s: %s", path, clipErr(err))
		}
		line, _ := cr.FieldPos(0)
		e := WatchlistEntry{ID: get(rec, "id"), Name: get(rec, "name"), Address: get(rec, "address"),
			Ticker: get(rec, "ticker"), Category: get(rec, "category"), Source: get(rec, "source")}
		if err := add(e, fmt.Sprintf("line %d", line)); err != nil {
			return err
		}
	}
}
