package sanctions

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OFAC SDN.XML (namespace varies between exports; elements are matched by
// local name).
type sdnEntry struct {
	UID       string   `xml:"uid"`
	FirstName string   `xml:"firstName"`
	LastName  string   `xml:"lastName"`
	Title     string   `xml:"title"`
	Type      string   `xml:"sdnType"`
	Remarks   string   `xml:"remarks"`
	Programs  []string `xml:"programList>program"`
	IDs       []struct {
		Type    string `xml:"idType"`
		Number  string `xml:"idNumber"`
		Country string `xml:"idCountry"`
	} `xml:"idList>id"`
	AKAs []struct {
		Type      string `xml:"type"`
		Category  string `xml:"category"`
		FirstName string `xml:"firstName"`
		LastName  string `xml:"lastName"`
	} `xml:"akaList>aka"`
	Addresses []struct {
		Address1 string `xml:"address1"`
		Address2 string `xml:"address2"`
		Address3 string `xml:"address3"`
		City     string `xml:"city"`
		State    string `xml:"stateOrProvince"`
		Postal   string `xml:"postalCode"`
		Country  string `xml:"country"`
	} `xml:"addressList>address"`
	Nationalities []string `xml:"nationalityList>nationality>country"`
	Citizenships  []string `xml:"citizenshipList>citizenship>country"`
	DOBs          []string `xml:"dateOfBirthList>dateOfBirthItem>dateOfBirth"`
	POBs          []string `xml:"placeOfBirthList>placeOfBirthItem>placeOfBirth"`
	Vessel        *struct {
		CallSign string `xml:"callSign"`
		Flag     string `xml:"vesselFlag"`
		Owner    string `xml:"vesselOwner"`
	} `xml:"vesselInfo"`
}

// ofacName joins OFAC's name parts the way the CSV spells them:
// "LAST, First" for individuals, the last name alone otherwise.
func ofacName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		return last
	}
	if last == "" {
		return first
	}
	return last + ", " + first
}

// ParseOFACXML stream-parses OFAC's SDN.XML. Digital currency addresses
// are id entries whose idType is "Digital Currency Address - TICKER". The
// entry count must equal publshInformation/Record_Count when present.
func ParseOFACXML(path string) (*Parsed, error) {
	cf, err := openChecked(path)
	if err != nil {
		return nil, fmt.Errorf("ofac xml: %w", err)
	}
	defer cf.Close()
	p := &Parsed{List: ListOFAC, Source: path, Format: FormatOFACXML}
	dec := cf.xmlDecoder()
	root, sawEnd, recordCount := "", false, -1
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ofac xml: %s: offset %d: %s (truncated?)", path, dec.InputOffset(), clipErr(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
				if root != "sdnList" {
					return nil, fmt.Errorf("ofac xml: %s: root element <%s>, want <sdnList>", path, clip(root))
				}
				continue
			}
			switch t.Name.Local {
			case "publshInformation", "publishInformation":
				var pi struct {
					Date  string `xml:"Publish_Date"`
					Count string `xml:"Record_Count"`
				}
				if err := dec.DecodeElement(&pi, &t); err != nil {
					return nil, fmt.Errorf("ofac xml: %s: offset %d: %s", path, dec.InputOffset(), clipErr(err))
				}
				p.Published = strings.TrimSpace(pi.Date)
				if n, err := strconv.Atoi(strings.TrimSpace(pi.Count)); err == nil {
					recordCount = n
				}
			case "sdnEntry":
				off := dec.InputOffset()
				var s sdnEntry
				if err := dec.DecodeElement(&s, &t); err != nil {
					return nil, fmt.Errorf("ofac xml: %s: offset %d: %s (truncated?)", path, off, clipErr(err))
				}
				if strings.TrimSpace(s.UID) == "" {
					return nil, fmt.Errorf("ofac xml: %s: offset %d: sdnEntry without uid", path, off)
				}
				p.Entities = append(p.Entities, s.entity())
			}
		case xml.EndElement:
			if t.Name.Local == "sdnList" {
				sawEnd = true
			}
		}
	}
	if root == "" {
		return nil, fmt.Errorf("ofac xml: %s: no XML elements", path)
	}
	if !sawEnd {
		return nil, fmt.Errorf("ofac xml: %s: offset %d: missing </sdnList> (truncated)", path, dec.InputOffset())
	}
	if recordCount >= 0 && recordCount != len(p.Entities) {
		return nil, fmt.Errorf("ofac xml: %s: %d sdnEntry elements but Record_Count says %d", path, len(p.Entities), recordCount)
	}
	if p.SHA256, err = cf.finish(); err != nil {
		return nil, fmt.Errorf("ofac xml: %w", err)
	}
	p.finish()
	return p, nil
}

func (s *sdnEntry) entity() Entity {
	t := strings.TrimSpace
	e := Entity{ID: "ofac:" + t(s.UID), List: ListOFAC, Type: ofacType(t(s.Type)), Name: ofacName(s.FirstName, s.LastName), Remarks: t(s.Remarks)}
	for _, pr := range s.Programs {
		e.Programs = append(e.Programs, splitPrograms(pr)...)
	}
	if t(s.Title) != "" {
		e.Identifiers = append(e.Identifiers, Identifier{Type: "Title", Number: t(s.Title)})
	}
	if v := s.Vessel; v != nil {
		for _, id := range []Identifier{{Type: "Call Sign", Number: t(v.CallSign)}, {Type: "Vessel Flag", Number: t(v.Flag)}, {Type: "Vessel Owner", Number: t(v.Owner)}} {
			if id.Number != "" {
				e.Identifiers = append(e.Identifiers, id)
			}
		}
	}
	for _, a := range s.AKAs {
		q := QualityStrong
		if strings.EqualFold(t(a.Category), "weak") {
			q = QualityWeak
		}
		e.Aliases = append(e.Aliases, Alias{Name: ofacName(a.FirstName, a.LastName), Quality: q, Type: strings.ReplaceAll(strings.ToLower(t(a.Type)), ".", "")})
	}
	for _, a := range s.Addresses {
		var street []string
		for _, l := range []string{a.Address1, a.Address2, a.Address3} {
			if l = t(l); l != "" {
				street = append(street, l)
			}
		}
		pa := PostalAddress{Street: strings.Join(street, ", "), City: t(a.City), State: t(a.State), Postal: t(a.Postal), Country: t(a.Country)}
		if pa != (PostalAddress{}) {
			e.Addresses = append(e.Addresses, pa)
		}
	}
	for _, id := range s.IDs {
		typ, num := t(id.Type), t(id.Number)
		if tk, ok := strings.CutPrefix(typ, "Digital Currency Address - "); ok {
			e.CryptoAddresses = append(e.CryptoAddresses, CryptoAddress{Ticker: strings.ToUpper(t(tk)), Address: num})
			continue
		}
		e.Identifiers = append(e.Identifiers, Identifier{Type: typ, Number: num, Country: t(id.Country)})
	}
	for _, n := range append(s.Nationalities, s.Citizenships...) {
		if n = t(n); n != "" {
			e.Nationalities = appendUnique(e.Nationalities, n)
		}
	}
	for _, d := range s.DOBs {
		if d = t(d); d != "" {
			e.DatesOfBirth = append(e.DatesOfBirth, d)
		}
	}
	for _, d := range s.POBs {
		if d = t(d); d != "" {
			e.PlacesOfBirth = append(e.PlacesOfBirth, d)
		}
	}
	return e
}
