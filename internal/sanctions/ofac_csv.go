package sanctions

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// OFAC legacy CSV files. None has a header row; "-0-" (often "-0- ") marks
// an empty field.
const (
	ofacSDNFile      = "sdn.csv"
	ofacAddFile      = "add.csv"
	ofacAltFile      = "alt.csv"
	ofacCommentsFile = "sdn_comments.csv"
)

// ParseOFACCSV reads the OFAC SDN legacy CSV set. path is the folder or its
// sdn.csv; add.csv, alt.csv and sdn_comments.csv are read from beside it
// when present (a warning otherwise). Remarks cut at 1,000 characters are
// completed from sdn_comments.csv before anything is extracted from them.
func ParseOFACCSV(path string) (*Parsed, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ofac csv: %w", err) // names path, not a made-up path/sdn.csv
	}
	dir, sdnPath := path, filepath.Join(path, ofacSDNFile)
	if !st.IsDir() {
		dir, sdnPath = filepath.Dir(path), path
	}
	p := &Parsed{List: ListOFAC, Source: sdnPath, Format: FormatOFACCSV}
	// Each file is read twice, streaming (a check and checksum pass, then
	// the parse); the version checksum covers the files in this order.
	sum := newSum()
	widths := map[string]int{ofacSDNFile: 12, ofacAddFile: 6, ofacAltFile: 5, ofacCommentsFile: 2}
	files := map[string]*textFile{}
	paths := map[string]string{}
	for _, name := range []string{ofacSDNFile, ofacAddFile, ofacAltFile, ofacCommentsFile} {
		file := filepath.Join(dir, name)
		if name == ofacSDNFile {
			file = sdnPath
		}
		paths[name] = file
		t, err := openText(file, sum)
		if errors.Is(err, fs.ErrNotExist) && name != ofacSDNFile {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: missing; imported without it", file))
			continue
		}
		if err != nil {
			for _, t := range files {
				t.Close()
			}
			return nil, fmt.Errorf("ofac csv: %w", err)
		}
		defer t.Close()
		p.Warnings = append(p.Warnings, t.Warnings...)
		if !t.EOFMarker {
			// OFAC's files end with a DOS end-of-file byte; a file cut at a
			// row boundary parses cleanly, so say so (the entry-count rule
			// catches large cuts).
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: no end-of-file marker (0x1A) as OFAC's files have: possibly truncated", file))
		}
		files[name] = t
	}
	p.SHA256 = sumHex(sum)
	// rows streams the rows of one file, checked: width and ent_num.
	rows := func(name string, fn func(r []string)) error {
		t := files[name]
		if t == nil {
			return nil
		}
		return readOFACCSV(paths[name], t, func(row int, r []string) error {
			if len(r) != widths[name] {
				return fmt.Errorf("ofac csv: %s: row %d: %d fields, want %d", paths[name], row, len(r), widths[name])
			}
			if _, err := strconv.Atoi(strings.TrimSpace(r[0])); err != nil {
				return fmt.Errorf("ofac csv: %s: row %d: ent_num %q is not a number", paths[name], row, clip(r[0]))
			}
			fn(r)
			return nil
		})
	}
	comments := map[string]string{}
	if err := rows(ofacCommentsFile, func(r []string) {
		comments[field(r[0])] += r[1] // the continuation text, verbatim
	}); err != nil {
		return nil, err
	}
	adds := map[string][]PostalAddress{}
	if err := rows(ofacAddFile, func(r []string) {
		a := PostalAddress{Street: field(r[2]), City: field(r[3]), Country: field(r[4]), Note: field(r[5])}
		if a != (PostalAddress{}) {
			adds[field(r[0])] = append(adds[field(r[0])], a)
		}
	}); err != nil {
		return nil, err
	}
	alts := map[string][]Alias{}
	if err := rows(ofacAltFile, func(r []string) {
		if n := field(r[3]); n != "" {
			alts[field(r[0])] = append(alts[field(r[0])], Alias{Name: n, Quality: QualityStrong, Type: strings.ToLower(field(r[2]))})
		}
	}); err != nil {
		return nil, err
	}
	err = rows(ofacSDNFile, func(r []string) {
		num := field(r[0])
		e := Entity{ID: "ofac:" + num, List: ListOFAC, Name: field(r[1]), Type: ofacType(field(r[2]))}
		e.Programs = splitPrograms(field(r[3]))
		if t := field(r[4]); t != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Type: "Title", Number: t})
		}
		if c := field(r[5]); c != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Type: "Call Sign", Number: c})
		}
		if f := field(r[9]); f != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Type: "Vessel Flag", Number: f})
		}
		if o := field(r[10]); o != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Type: "Vessel Owner", Number: o})
		}
		// Concatenate verbatim: the cut can fall just after a space
		// ("…Address - XBT " + "1Abc…"), which trimming would destroy.
		rem := r[11]
		if field(rem) == "" {
			rem = ""
		}
		cont, continued := comments[num]
		e.Remarks = strings.TrimSpace(rem + cont)
		delete(comments, num)
		e.Aliases = alts[num]
		e.Addresses = adds[num]
		applyOFACRemarks(&e)
		if len(rem) >= ofacRemarksCut && !continued {
			p.dropCutAddress(&e)
		}
		p.Entities = append(p.Entities, e)
	})
	if err != nil {
		return nil, err
	}
	for num := range comments {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: comment for ent_num %s, which sdn.csv does not list", ofacCommentsFile, num))
	}
	p.finish()
	return p, nil
}

// ofacRemarksCut is the length at which OFAC cuts Remarks in sdn.csv.
const ofacRemarksCut = 1000

// dropCutAddress handles a remark cut at 1,000 characters whose
// continuation is unavailable (sdn_comments.csv missing): a crypto address
// at the very end of the text is probably a fragment; when it also fails its
// checksum it is dropped with a warning rather than listed.
func (p *Parsed) dropCutAddress(e *Entity) {
	n := len(e.CryptoAddresses)
	if n == 0 {
		return
	}
	last := e.CryptoAddresses[n-1]
	if !strings.HasSuffix(strings.TrimRight(e.Remarks, ".;, "), last.Address) {
		return
	}
	if _, err := ParseAddress(last.Address); err == nil {
		return
	}
	e.CryptoAddresses = e.CryptoAddresses[:n-1]
	p.Warnings = append(p.Warnings, fmt.Sprintf("%s: remarks cut at %d characters with no sdn_comments.csv continuation: dropped the %s fragment %q",
		e.ID, ofacRemarksCut, last.Ticker, last.Address))
}

// readOFACCSV streams the rows of one headerless OFAC CSV file to fn (row
// numbers count the non-blank rows from 1).
func readOFACCSV(name string, r io.Reader, fn func(row int, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for row := 1; ; {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("ofac csv: %s: line %d, column %d: %v (truncated or not a CSV list?)", name, pe.StartLine, pe.Column, pe.Err)
			}
			return fmt.Errorf("ofac csv: %s: %w", name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if err := fn(row, rec); err != nil {
			return err
		}
		row++
	}
}

// field trims a CSV field and maps OFAC's "-0-" placeholder to "".
func field(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

func ofacType(t string) string {
	switch strings.ToLower(t) {
	case "individual":
		return TypeIndividual
	case "vessel":
		return TypeVessel
	case "aircraft":
		return TypeAircraft
	}
	return TypeEntity
}

// splitPrograms splits "DPRK3] [CYBER2" (the CSV drops the outer brackets)
// or "[DPRK3] [CYBER2]" into program tags.
func splitPrograms(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '[' || r == ']' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

var (
	cryptoRe  = regexp.MustCompile(`Digital Currency Address - ([A-Za-z0-9]+)[ :]+([^\s;,]+)`)
	quotedRe  = regexp.MustCompile(`^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.*)'\.?$`)
	countryRe = regexp.MustCompile(`^(.*?)\s*\(([^()]*)\)\.?$`)
)

// ofacIDTypes are Remarks prefixes read as identifiers (longest first wins).
var ofacIDTypes = []string{
	"Passport", "National ID No.", "Tax ID No.", "Registration Number", "Registration ID", "Cedula No.",
	"Identification Number", "C.U.R.P.", "R.F.C.", "NIT #", "SWIFT/BIC", "MMSI",
	"Vessel Registration Identification", "Email Address", "Website", "Phone Number", "Telephone",
	"Legal Entity Number", "D-U-N-S Number", "Business Registration Number", "Company Number",
	"V.A.T. Number", "RUC #", "Driver's License No.", "Aircraft Manufacturer's Serial Number (MSN)",
	"Aircraft Tail Number", "Unified Social Credit Code (USCC)", "Matricula Mercantil No",
	"Commercial Registry Number", "Trade License No.", "Folio Mercantil No.", "Economic Register Number (CBLS)",
	"Chamber of Commerce Number", "D.N.I.", "RIF #", "BIK (RU)", "Electoral Registry No.", "Personal ID Card",
	"Residency Number", "Birth Certificate Number", "Government Gazette Number", "Public Security and Immigration No.",
	"Fax", "Stateless Person ID Card", "Kenyan ID No.", "Social Security Number", "US FEIN", "Citizen's Card Number",
	"Credencial electoral", "Pasaporte", "Serial No.", "License", "Certificate of Incorporation Number",
}

// applyOFACRemarks extracts crypto addresses, weak aliases, dates and places
// of birth, nationalities and identifiers from the (merged) remarks.
func applyOFACRemarks(e *Entity) {
	for _, m := range cryptoRe.FindAllStringSubmatch(e.Remarks, -1) {
		addr := strings.TrimRight(m[2], ".,)'\"")
		if addr != "" {
			e.CryptoAddresses = append(e.CryptoAddresses, CryptoAddress{Ticker: strings.ToUpper(m[1]), Address: addr})
		}
	}
	for _, part := range strings.Split(e.Remarks, "; ") {
		part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "alt. "))
		switch {
		case quotedRe.MatchString(part):
			m := quotedRe.FindStringSubmatch(part)
			kind := strings.ReplaceAll(m[1], ".", "")
			e.Aliases = append(e.Aliases, Alias{Name: m[2], Quality: QualityWeak, Type: kind})
		case strings.HasPrefix(part, "DOB "):
			e.DatesOfBirth = append(e.DatesOfBirth, strings.TrimSuffix(strings.TrimPrefix(part, "DOB "), "."))
		case strings.HasPrefix(part, "POB "):
			e.PlacesOfBirth = append(e.PlacesOfBirth, strings.TrimSuffix(strings.TrimPrefix(part, "POB "), "."))
		case strings.HasPrefix(part, "nationality "):
			e.Nationalities = appendUnique(e.Nationalities, strings.TrimSuffix(strings.TrimPrefix(part, "nationality "), "."))
		case strings.HasPrefix(part, "citizen "):
			e.Nationalities = appendUnique(e.Nationalities, strings.TrimSuffix(strings.TrimPrefix(part, "citizen "), "."))
		default:
			best := ""
			for _, t := range ofacIDTypes {
				if strings.HasPrefix(part, t+" ") && len(t) > len(best) {
					best = t
				}
			}
			if best == "" {
				continue
			}
			id := Identifier{Type: best, Number: strings.TrimSpace(strings.TrimPrefix(part, best))}
			if m := countryRe.FindStringSubmatch(id.Number); m != nil && m[1] != "" {
				id.Number, id.Country = m[1], m[2]
			}
			id.Number = strings.TrimSuffix(id.Number, ".")
			e.Identifiers = append(e.Identifiers, id)
		}
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
