package sanctions

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	text, warns, err := textOf(path, b)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	var rows []WatchlistEntry
	var lines []int // CSV: the line of each row, for messages
	trimmed := strings.TrimSpace(text)
	if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{") || strings.EqualFold(filepath.Ext(path), ".json") {
		rows, err = watchlistJSON(path, []byte(trimmed))
	} else {
		rows, lines, err = watchlistCSV(path, text)
	}
	if err != nil {
		return nil, err
	}
	sum := newSum()
	sum.Write(b)
	list := WatchlistPrefix + name
	p := &Parsed{List: list, Source: path, Format: FormatWatchlist, SHA256: sumHex(sum), Warnings: warns}
	byID := map[string]int{}
	named := map[string]bool{} // entities whose Name is a real name, not the id placeholder
	for i, r := range rows {
		row := i + 1
		where := fmt.Sprintf("entry %d", row)
		if i < len(lines) {
			where = fmt.Sprintf("line %d", lines[i])
		}
		r.Name, r.Address, r.Ticker = strings.TrimSpace(r.Name), strings.TrimSpace(r.Address), strings.ToUpper(strings.TrimSpace(r.Ticker))
		r.ID, r.Category, r.Source = strings.TrimSpace(r.ID), strings.TrimSpace(r.Category), strings.TrimSpace(r.Source)
		if r.Name == "" && r.Address == "" {
			return nil, fmt.Errorf("watchlist: %s: %s: needs a name or an address", path, where)
		}
		if r.Address != "" {
			if _, err := ParseAddress(r.Address); err != nil {
				return nil, fmt.Errorf("watchlist: %s: %s: address %q: %w", path, where, r.Address, err)
			}
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
	}
	p.finish()
	return p, nil
}

func watchlistJSON(path string, b []byte) ([]WatchlistEntry, error) {
	var rows []WatchlistEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var err error
	if bytes.HasPrefix(b, []byte("{")) {
		var wrap struct {
			Entries []WatchlistEntry `json:"entries"`
		}
		err = dec.Decode(&wrap)
		rows = wrap.Entries
	} else {
		err = dec.Decode(&rows)
	}
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("watchlist: %s: offset %d: %v", path, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("watchlist: %s: offset %d: field %s: %v", path, te.Offset, te.Field, err)
		}
		return nil, fmt.Errorf("watchlist: %s: %w", path, err)
	}
	return rows, nil
}

func watchlistCSV(path, text string) ([]WatchlistEntry, []int, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("watchlist: %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "name", "address", "ticker", "category", "source", "id":
			col[h] = i
		default:
			return nil, nil, fmt.Errorf("watchlist: %s: line 1: unknown column %q (want name, address, ticker, category, source, id)", path, h)
		}
	}
	if _, ok := col["name"]; !ok {
		if _, ok := col["address"]; !ok {
			return nil, nil, fmt.Errorf("watchlist: %s: line 1: needs a name or an address column", path)
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var rows []WatchlistEntry
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("watchlist: %s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		lines = append(lines, line)
		rows = append(rows, WatchlistEntry{ID: get(rec, "id"), Name: get(rec, "name"), Address: get(rec, "address"),
			Ticker: get(rec, "ticker"), Category: get(rec, "category"), Source: get(rec, "source")})
	}
	return rows, lines, nil
}
