package labels

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// STIX 2.1 bundles are read in two streaming passes over the "objects"
// array, one object decoded at a time: the first collects the relationships
// and the named objects they point at (threat actors, intrusion sets,
// campaigns, malware, identities), the second turns each indicator whose
// pattern names wallet addresses into records.

// stixObject holds the fields of the STIX objects the reader uses.
type stixObject struct {
	Type           string   `json:"type"`
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	IndicatorTypes []string `json:"indicator_types"`
	Labels         []string `json:"labels"`
	Confidence     *float64 `json:"confidence"`
	CreatedByRef   string   `json:"created_by_ref"`
	ExternalRefs   []struct {
		SourceName string `json:"source_name"`
		URL        string `json:"url"`
		ExternalID string `json:"external_id"`
	} `json:"external_references"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
	MalwareTypes     []string `json:"malware_types"`
	// XCategory is chaintrace's custom property naming a label category.
	XCategory string `json:"x_chaintrace_category"`
}

// stixSummary counts what a bundle held besides the labels.
type stixSummary struct {
	indicators int
	skipped    map[string]int // skipped indicators by why: "ipv4-addr", "pattern_type snort", …
}

// stixContext is what the first pass collects.
type stixContext struct {
	named     map[string]stixObject // threat-actor, intrusion-set, campaign, malware, identity by id
	indicates map[string][]string   // indicator id → ids it indicates (or is attributed to)
}

// stixReader reads one bundle; the file is seekable so that it can be read
// twice and decoder offsets turned into lines.
type stixReader struct {
	file string
	r    io.ReadSeeker
	// lineOff, line: the last offset lineAt reached and its line.
	lineOff int64
	line    int
}

// forEachObject calls fn for every element of the bundle's "objects" array
// with its byte offset.
func (sr *stixReader) forEachObject(fn func(off int64, o *stixObject) error) error {
	if _, err := sr.r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sr.lineOff, sr.line = 0, 1
	dec := json.NewDecoder(bufio.NewReaderSize(sr.r, 64<<10))
	fail := func(off int64, err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
			err = fmt.Errorf("malformed JSON: %v", se)
		case errors.As(err, &te):
			off = te.Offset
			err = fmt.Errorf("field %s: %v", te.Field, te)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			err = errors.New("malformed JSON: unexpected end of file")
		}
		return &InputError{File: sr.file, Line: sr.lineAt(off), Err: err}
	}
	t, err := dec.Token()
	if err != nil {
		return fail(dec.InputOffset(), err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fail(0, errors.New("a STIX bundle is a JSON object {\"type\": \"bundle\", \"objects\": [...]}"))
	}
	sawType, sawObjects := false, false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail(dec.InputOffset(), err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			var typ string
			if err := dec.Decode(&typ); err != nil {
				return fail(dec.InputOffset(), err)
			}
			if typ != "bundle" {
				return fail(dec.InputOffset(), fmt.Errorf("type %q: want a STIX bundle (type \"bundle\")", typ))
			}
			sawType = true
		case "objects":
			sawObjects = true
			t, err := dec.Token()
			if err != nil {
				return fail(dec.InputOffset(), err)
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return fail(dec.InputOffset(), errors.New("objects: want a list"))
			}
			for dec.More() {
				off := dec.InputOffset()
				var o stixObject
				if err := dec.Decode(&o); err != nil {
					return fail(off, err)
				}
				if err := fn(off, &o); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fail(dec.InputOffset(), err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(dec.InputOffset(), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(dec.InputOffset(), err)
	}
	if !sawType || !sawObjects {
		return fail(0, errors.New("not a STIX bundle: want \"type\": \"bundle\" and \"objects\""))
	}
	return nil
}

// lineAt returns the line of the first byte at or after off that is not
// blank or a comma (an object's opening brace, for error messages and
// provenance). Offsets asked in increasing order are counted incrementally
// from the previous one, so a pass over a bundle reads it once more in all.
func (sr *stixReader) lineAt(off int64) int {
	ra, ok := sr.r.(io.ReaderAt)
	if !ok {
		return 0
	}
	if off < sr.lineOff {
		sr.lineOff, sr.line = 0, 1
	}
	if sr.line == 0 {
		sr.line = 1
	}
	buf := make([]byte, 32<<10)
	pos := sr.lineOff
	for {
		n, err := ra.ReadAt(buf, pos)
		for i := 0; i < n; i++ {
			c := buf[i]
			if pos+int64(i) >= off && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' {
				sr.lineOff = pos + int64(i)
				return sr.line
			}
			if c == '\n' {
				sr.line++
			}
		}
		pos += int64(n)
		if err != nil || n == 0 {
			sr.lineOff = pos
			return sr.line
		}
	}
}

// readSTIX reads a bundle, emitting one record per wallet address of each
// indicator.
func readSTIX(file string, r io.ReadSeeker, emit func(record) error) (stixSummary, error) {
	sr := &stixReader{file: file, r: r}
	ctx := stixContext{named: map[string]stixObject{}, indicates: map[string][]string{}}
	err := sr.forEachObject(func(off int64, o *stixObject) error {
		switch o.Type {
		case "threat-actor", "intrusion-set", "campaign", "malware", "identity":
			ctx.named[o.ID] = stixObject{Type: o.Type, ID: o.ID, Name: o.Name, MalwareTypes: o.MalwareTypes}
		case "relationship":
			if strings.HasPrefix(o.SourceRef, "indicator--") && (o.RelationshipType == "indicates" || o.RelationshipType == "attributed-to" || o.RelationshipType == "related-to") {
				ctx.indicates[o.SourceRef] = append(ctx.indicates[o.SourceRef], o.TargetRef)
			}
		}
		return nil
	})
	sum := stixSummary{skipped: map[string]int{}}
	if err != nil {
		return sum, err
	}
	err = sr.forEachObject(func(off int64, o *stixObject) error {
		if o.Type != "indicator" {
			return nil
		}
		sum.indicators++
		if o.PatternType != "" && o.PatternType != "stix" {
			sum.skipped["pattern_type "+o.PatternType]++
			return nil
		}
		addrs, others, err := walletAddresses(o.Pattern)
		if err != nil {
			return &InputError{File: file, Line: sr.lineAt(off), Field: "indicator " + o.ID + " pattern", Err: err}
		}
		if len(addrs) == 0 {
			sort.Strings(others)
			sum.skipped[others[0]]++
			return nil
		}
		rec := stixRecord(o, ctx)
		rec.line = sr.lineAt(off)
		for _, a := range addrs {
			rec.address = a
			if err := emit(rec); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}

// stixRecord fills a record's fields (not its address) from an indicator and
// what it indicates.
func stixRecord(o *stixObject, ctx stixContext) record {
	rec := record{label: o.Name, category: o.XCategory, ref: o.ID}
	for _, id := range ctx.indicates[o.ID] {
		t, ok := ctx.named[id]
		if !ok || t.Type == "identity" {
			continue
		}
		if t.Name != "" {
			rec.label, rec.actor = t.Name, t.Name
		}
		if rec.category == "" {
			switch {
			case t.Type == "malware" && containsFold(t.MalwareTypes, "ransomware"):
				rec.category = Ransomware
			default:
				rec.category = Perpetrator
			}
		}
		break
	}
	if rec.category == "" {
		for _, l := range o.Labels {
			if c, err := MapCategory(l, ""); err == nil && c != Other {
				rec.category = l
				break
			}
		}
	}
	if rec.category == "" && len(o.IndicatorTypes) > 0 && !containsFold(o.IndicatorTypes, "benign") {
		rec.category = Perpetrator
	}
	if rec.label == "" {
		rec.label = "STIX indicator " + o.ID
	}
	for _, ref := range o.ExternalRefs {
		if ref.URL != "" {
			rec.source = ref.URL
			break
		}
	}
	if rec.source == "" {
		if id, ok := ctx.named[o.CreatedByRef]; ok && id.Name != "" {
			rec.source = id.Name
		}
	}
	if o.Confidence != nil {
		rec.confidence = strconv.FormatFloat(*o.Confidence/100, 'f', -1, 64)
	}
	return rec
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
