package eval

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
)

// LoadOFACCSV reads the names of an OFAC SDN legacy CSV set (sdn.csv and,
// when present, alt.csv in dir) as records with IDs "ofac:ENT_NUM". Only
// what name matching needs is read; the full importer lives in package
// sanctions.
func LoadOFACCSV(dir string) ([]namematch.Record, error) {
	sdn := filepath.Join(dir, "sdn.csv")
	rows, err := readCSV(sdn)
	if err != nil {
		return nil, err
	}
	var recs []namematch.Record
	at := map[string]int{}
	for i, r := range rows {
		if len(r) < 4 {
			continue
		}
		if len(r) < 12 {
			return nil, fmt.Errorf("%s: row %d: %d fields, want 12", sdn, i+1, len(r))
		}
		typ := strings.TrimSpace(r[2])
		if typ == "-0-" || typ == "" {
			typ = "entity"
		}
		id := "ofac:" + strings.TrimSpace(r[0])
		at[id] = len(recs)
		recs = append(recs, namematch.Record{
			ID: id, List: "ofac-sdn", Type: typ,
			Names:    []namematch.Name{{Text: strings.TrimSpace(r[1]), Kind: namematch.Primary}},
			Programs: splitPrograms(r[3]),
		})
	}
	alt := filepath.Join(dir, "alt.csv")
	rows, err = readCSV(alt)
	if errors.Is(err, os.ErrNotExist) {
		return recs, nil
	}
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if len(r) < 4 {
			continue
		}
		id := "ofac:" + strings.TrimSpace(r[0])
		j, ok := at[id]
		if !ok {
			return nil, fmt.Errorf("%s: row %d: alias of unknown entity %s", alt, i+1, id)
		}
		kind := namematch.Alias
		if strings.TrimSpace(r[2]) == "weak" {
			kind = namematch.Weak
		}
		recs[j].Names = append(recs[j].Names, namematch.Name{Text: strings.TrimSpace(r[3]), Kind: kind})
	}
	return recs, nil
}

func splitPrograms(s string) []string {
	s = strings.NewReplacer("[", " ", "]", " ").Replace(s)
	return strings.Fields(s)
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The legacy files are Latin-1 (Windows-1252); names are ASCII in practice.
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

type unAlias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type unParty struct {
	Ref      string    `xml:"REFERENCE_NUMBER"`
	Regime   string    `xml:"UN_LIST_TYPE"`
	First    string    `xml:"FIRST_NAME"`
	Second   string    `xml:"SECOND_NAME"`
	Third    string    `xml:"THIRD_NAME"`
	Fourth   string    `xml:"FOURTH_NAME"`
	Original string    `xml:"NAME_ORIGINAL_SCRIPT"`
	IAliases []unAlias `xml:"INDIVIDUAL_ALIAS"`
	EAliases []unAlias `xml:"ENTITY_ALIAS"`
	Years    []string  `xml:"INDIVIDUAL_DATE_OF_BIRTH>YEAR"`
	Dates    []string  `xml:"INDIVIDUAL_DATE_OF_BIRTH>DATE"`
	Nat      []string  `xml:"NATIONALITY>VALUE"`
}

// LoadUNXML reads the names of the UN consolidated list as records with IDs
// "un:REFERENCE_NUMBER".
func LoadUNXML(path string) ([]namematch.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var doc struct {
		Individuals []unParty `xml:"INDIVIDUALS>INDIVIDUAL"`
		Entities    []unParty `xml:"ENTITIES>ENTITY"`
	}
	if err := xml.NewDecoder(f).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var recs []namematch.Record
	add := func(p unParty, typ string, aliases []unAlias) {
		name := strings.Join(strings.Fields(strings.Join([]string{p.First, p.Second, p.Third, p.Fourth}, " ")), " ")
		r := namematch.Record{ID: "un:" + strings.TrimSpace(p.Ref), List: "un", Type: typ, Programs: []string{strings.TrimSpace(p.Regime)}, Countries: p.Nat}
		r.Names = append(r.Names, namematch.Name{Text: name, Kind: namematch.Primary})
		if strings.TrimSpace(p.Original) != "" {
			r.Names = append(r.Names, namematch.Name{Text: p.Original, Kind: namematch.Alias})
		}
		for _, a := range aliases {
			if strings.TrimSpace(a.Name) == "" {
				continue
			}
			kind := namematch.Alias
			if strings.EqualFold(strings.TrimSpace(a.Quality), "low") {
				kind = namematch.Weak
			}
			r.Names = append(r.Names, namematch.Name{Text: a.Name, Kind: kind})
		}
		r.DatesOfBirth = append(append(r.DatesOfBirth, p.Years...), p.Dates...)
		recs = append(recs, r)
	}
	for _, p := range doc.Individuals {
		add(p, "individual", p.IAliases)
	}
	for _, p := range doc.Entities {
		add(p, "entity", p.EAliases)
	}
	return recs, nil
}
