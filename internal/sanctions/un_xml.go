package sanctions

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// UN consolidated list XML (https://scsanctions.un.org/resources/xml/en/consolidated.xml).
type unValues struct {
	Values []string `xml:"VALUE"`
}

type unAlias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type unAddress struct {
	Street  string `xml:"STREET"`
	City    string `xml:"CITY"`
	State   string `xml:"STATE_PROVINCE"`
	Zip     string `xml:"ZIP_CODE"`
	Country string `xml:"COUNTRY"`
	Note    string `xml:"NOTE"`
}

type unDOB struct {
	Type     string `xml:"TYPE_OF_DATE"`
	Date     string `xml:"DATE"`
	Year     string `xml:"YEAR"`
	FromYear string `xml:"FROM_YEAR"`
	ToYear   string `xml:"TO_YEAR"`
}

type unPOB struct {
	City    string `xml:"CITY"`
	State   string `xml:"STATE_PROVINCE"`
	Country string `xml:"COUNTRY"`
}

type unDocument struct {
	Type    string `xml:"TYPE_OF_DOCUMENT"`
	Type2   string `xml:"TYPE_OF_DOCUMENT2"`
	Number  string `xml:"NUMBER"`
	Issuing string `xml:"ISSUING_COUNTRY"`
	Country string `xml:"COUNTRY_OF_ISSUE"`
	Note    string `xml:"NOTE"`
}

// unEntry is an INDIVIDUAL or an ENTITY.
type unEntry struct {
	DataID        string       `xml:"DATAID"`
	First         string       `xml:"FIRST_NAME"`
	Second        string       `xml:"SECOND_NAME"`
	Third         string       `xml:"THIRD_NAME"`
	Fourth        string       `xml:"FOURTH_NAME"`
	ListType      string       `xml:"UN_LIST_TYPE"`
	Reference     string       `xml:"REFERENCE_NUMBER"`
	ListedOn      string       `xml:"LISTED_ON"`
	Comments      string       `xml:"COMMENTS1"`
	Original      string       `xml:"NAME_ORIGINAL_SCRIPT"`
	Nationality   unValues     `xml:"NATIONALITY"`
	IndAliases    []unAlias    `xml:"INDIVIDUAL_ALIAS"`
	EntAliases    []unAlias    `xml:"ENTITY_ALIAS"`
	IndAddresses  []unAddress  `xml:"INDIVIDUAL_ADDRESS"`
	EntAddresses  []unAddress  `xml:"ENTITY_ADDRESS"`
	DatesOfBirth  []unDOB      `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
	PlacesOfBirth []unPOB      `xml:"INDIVIDUAL_PLACE_OF_BIRTH"`
	Documents     []unDocument `xml:"INDIVIDUAL_DOCUMENT"`
}

// ParseUNXML stream-parses the UN Security Council consolidated list.
func ParseUNXML(path string) (*Parsed, error) {
	cf, err := openChecked(path)
	if err != nil {
		return nil, fmt.Errorf("un xml: %w", err)
	}
	defer cf.Close()
	name := path
	p := &Parsed{List: ListUN, Source: path, Format: FormatUNXML}
	dec := cf.xmlDecoder()
	sawRoot, sawEnd := false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("un xml: %s: offset %d: %s (truncated?)", name, dec.InputOffset(), clipErr(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !sawRoot {
				if t.Name.Local != "CONSOLIDATED_LIST" {
					return nil, fmt.Errorf("un xml: %s: root element <%s>, want <CONSOLIDATED_LIST>", name, clip(t.Name.Local))
				}
				sawRoot = true
				for _, a := range t.Attr {
					if a.Name.Local == "dateGenerated" {
						p.Published = a.Value
					}
				}
				continue
			}
			if t.Name.Local != "INDIVIDUAL" && t.Name.Local != "ENTITY" {
				continue
			}
			off := dec.InputOffset()
			var u unEntry
			if err := dec.DecodeElement(&u, &t); err != nil {
				return nil, fmt.Errorf("un xml: %s: offset %d: %s (truncated?)", name, off, clipErr(err))
			}
			if strings.TrimSpace(u.Reference) == "" {
				return nil, fmt.Errorf("un xml: %s: offset %d: %s without REFERENCE_NUMBER", name, off, t.Name.Local)
			}
			p.Entities = append(p.Entities, u.entity(t.Name.Local == "INDIVIDUAL"))
		case xml.EndElement:
			if t.Name.Local == "CONSOLIDATED_LIST" {
				sawEnd = true
			}
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("un xml: %s: no XML elements", name)
	}
	if !sawEnd {
		return nil, fmt.Errorf("un xml: %s: offset %d: missing </CONSOLIDATED_LIST> (truncated)", name, dec.InputOffset())
	}
	if p.SHA256, err = cf.finish(); err != nil {
		return nil, fmt.Errorf("un xml: %w", err)
	}
	p.finish()
	return p, nil
}

func (u *unEntry) entity(individual bool) Entity {
	t := strings.TrimSpace
	var parts []string
	for _, s := range []string{u.First, u.Second, u.Third, u.Fourth} {
		if s = t(s); s != "" {
			parts = append(parts, s)
		}
	}
	e := Entity{ID: "un:" + t(u.Reference), List: ListUN, Type: TypeEntity, Name: strings.Join(parts, " "),
		Remarks: t(u.Comments), Listed: t(u.ListedOn)}
	if lt := t(u.ListType); lt != "" {
		e.Programs = []string{lt}
	}
	aliases, addrs := u.EntAliases, u.EntAddresses
	if individual {
		e.Type = TypeIndividual
		aliases, addrs = u.IndAliases, u.IndAddresses
	}
	if o := t(u.Original); o != "" {
		e.Aliases = append(e.Aliases, Alias{Name: o, Quality: QualityStrong, Type: "original script"})
	}
	for _, a := range aliases {
		n := t(a.Name)
		if n == "" {
			continue
		}
		al := Alias{Name: n}
		switch q := t(a.Quality); q {
		case "Good":
			al.Quality = QualityStrong
		case "Low":
			al.Quality = QualityWeak
		case "a.k.a.":
			al.Quality, al.Type = QualityAKA, "aka"
		case "f.k.a.":
			al.Quality, al.Type = QualityFKA, "fka"
		default:
			al.Quality = q
		}
		e.Aliases = append(e.Aliases, al)
	}
	for _, a := range addrs {
		pa := PostalAddress{Street: t(a.Street), City: t(a.City), State: t(a.State), Postal: t(a.Zip), Country: t(a.Country), Note: t(a.Note)}
		if pa != (PostalAddress{}) {
			e.Addresses = append(e.Addresses, pa)
		}
	}
	for _, n := range u.Nationality.Values {
		if n = t(n); n != "" {
			e.Nationalities = appendUnique(e.Nationalities, n)
		}
	}
	for _, d := range u.DatesOfBirth {
		var s string
		switch {
		case t(d.Date) != "":
			s = t(d.Date)
		case t(d.Year) != "":
			s = t(d.Year)
		case t(d.FromYear) != "" || t(d.ToYear) != "":
			s = t(d.FromYear) + " to " + t(d.ToYear)
		default:
			continue
		}
		if t(d.Type) == "APPROXIMATELY" {
			s = "circa " + s
		}
		e.DatesOfBirth = append(e.DatesOfBirth, s)
	}
	for _, pob := range u.PlacesOfBirth {
		var parts []string
		for _, s := range []string{pob.City, pob.State, pob.Country} {
			if s = t(s); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			e.PlacesOfBirth = append(e.PlacesOfBirth, strings.Join(parts, ", "))
		}
	}
	for _, d := range u.Documents {
		num := t(d.Number)
		if num == "" {
			continue
		}
		typ := t(d.Type)
		if typ == "" {
			typ = t(d.Type2)
		}
		c := t(d.Issuing)
		if c == "" {
			c = t(d.Country)
		}
		e.Identifiers = append(e.Identifiers, Identifier{Type: typ, Number: num, Country: c})
	}
	return e
}
