package labels

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvColumns are the columns the CSV reader knows. address is required; the
// others may come from Defaults (a file with other columns, such as the
// BitcoinHeist data set, imports with --category and --source).
var csvColumns = []string{"address", "label", "category", "source", "confidence", "actor", "abuse", "currency"}

// readCSV reads a CSV with a header row, streaming. Columns it does not know
// are ignored and returned, so the summary can name them. columnMap renames
// file columns to known ones (file name → known name).
func readCSV(file string, r io.Reader, columnMap map[string]string, emit func(record) error) (n int, ignored []string, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return 0, nil, &InputError{File: file, Line: 1, Err: errors.New("empty file: want a header row (address,label,category,source,confidence)")}
	}
	if err != nil {
		return 0, nil, csvError(file, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if m, ok := columnMap[h]; ok {
			h = m
		}
		known := false
		for _, c := range csvColumns {
			known = known || c == h
		}
		if !known {
			ignored = append(ignored, h)
			continue
		}
		if _, dup := col[h]; dup {
			return 0, nil, &InputError{File: file, Line: 1, Field: h, Err: errors.New("column given twice")}
		}
		col[h] = i
	}
	for from, to := range columnMap {
		if _, ok := col[to]; !ok {
			return 0, nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("--column %s=%s: the file has no column %q", from, to, from)}
		}
	}
	if _, ok := col["address"]; !ok {
		return 0, nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no address column in header %q: want address,label,category,source,confidence", strings.Join(head, ","))}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, ignored, nil
		}
		if err != nil {
			return n, ignored, csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(head) {
			return n, ignored, &InputError{File: file, Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(head))}
		}
		n++
		if err := emit(record{line: line, address: get(rec, "address"), label: get(rec, "label"),
			category: get(rec, "category"), source: get(rec, "source"), confidence: get(rec, "confidence"),
			actor: get(rec, "actor"), abuse: get(rec, "abuse"), currency: get(rec, "currency")}); err != nil {
			return n, ignored, err
		}
	}
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: file, Line: pe.Line, Err: fmt.Errorf("malformed CSV: %v", pe.Err)}
	}
	return &InputError{File: file, Err: err}
}
