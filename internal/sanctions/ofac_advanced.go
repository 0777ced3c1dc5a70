package sanctions

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SDN_ADVANCED.XML is normalised: parties refer to reference values (feature
// types, countries, name-part types, …) by numeric ID, and the IDs differ
// between exports. Everything here is resolved through the file's own
// ReferenceValueSets by the value's TEXT ("Digital Currency Address - XBT",
// "Birthdate", "Last Name"), never by a hard-coded number.

type advRef struct {
	XMLName     xml.Name
	ID          string `xml:"ID,attr"`
	PartyTypeID string `xml:"PartyTypeID,attr"`
	Text        string `xml:",chardata"`
}

type advRefSets struct {
	Sets []struct {
		XMLName xml.Name
		Items   []advRef `xml:",any"`
	} `xml:",any"`
}

type advLocation struct {
	ID      string `xml:"ID,attr"`
	Country struct {
		ID string `xml:"CountryID,attr"`
	} `xml:"LocationCountry"`
	Parts []struct {
		TypeID string   `xml:"LocPartTypeID,attr"`
		Values []string `xml:"LocationPartValue>Value"`
	} `xml:"LocationPart"`
}

type advIDDoc struct {
	TypeID     string `xml:"IDRegDocTypeID,attr"`
	IdentityID string `xml:"IdentityID,attr"`
	CountryID  string `xml:"IssuedBy-CountryID,attr"`
	Number     string `xml:"IDRegistrationNo"`
}

type advDate struct {
	Year  string `xml:"Year"`
	Month string `xml:"Month"`
	Day   string `xml:"Day"`
}

type advFeature struct {
	TypeID   string `xml:"FeatureTypeID,attr"`
	Versions []struct {
		Details []struct {
			RefID string `xml:"DetailReferenceID,attr"`
			Text  string `xml:",chardata"`
		} `xml:"VersionDetail"`
		Locations []struct {
			ID string `xml:"LocationID,attr"`
		} `xml:"VersionLocation"`
		Periods []struct {
			Start struct {
				Approximate string  `xml:"Approximate,attr"`
				From        advDate `xml:"From"`
				To          advDate `xml:"To"`
			} `xml:"Start"`
			End struct {
				From advDate `xml:"From"`
				To   advDate `xml:"To"`
			} `xml:"End"`
		} `xml:"DatePeriod"`
	} `xml:"FeatureVersion"`
}

type advName struct {
	Parts []struct {
		GroupID string `xml:"NamePartGroupID,attr"`
		Text    string `xml:",chardata"`
	} `xml:"DocumentedNamePart>NamePartValue"`
}

type advIdentity struct {
	ID      string `xml:"ID,attr"`
	Aliases []struct {
		TypeID     string    `xml:"AliasTypeID,attr"`
		Primary    string    `xml:"Primary,attr"`
		LowQuality string    `xml:"LowQuality,attr"`
		Names      []advName `xml:"DocumentedName"`
	} `xml:"Alias"`
	Groups []struct {
		ID     string `xml:"ID,attr"`
		TypeID string `xml:"NamePartTypeID,attr"`
	} `xml:"NamePartGroups>MasterNamePartGroup>NamePartGroup"`
}

type advParty struct {
	FixedRef string `xml:"FixedRef,attr"`
	Profiles []struct {
		ID         string        `xml:"ID,attr"`
		SubTypeID  string        `xml:"PartySubTypeID,attr"`
		Identities []advIdentity `xml:"Identity"`
		Features   []advFeature  `xml:"Feature"`
	} `xml:"Profile"`
	Features []advFeature `xml:"Feature"` // tolerated outside Profile
}

type advEntry struct {
	ProfileID string `xml:"ProfileID,attr"`
	Measures  []struct {
		TypeID  string `xml:"SanctionsTypeID,attr"`
		Comment string `xml:"Comment"`
	} `xml:"SanctionsMeasure"`
}

// ParseOFACAdvanced stream-parses OFAC's SDN_ADVANCED.XML.
func ParseOFACAdvanced(path string) (*Parsed, error) {
	cf, err := openChecked(path)
	if err != nil {
		return nil, fmt.Errorf("ofac advanced xml: %w", err)
	}
	defer cf.Close()
	p := &Parsed{List: ListOFAC, Source: path, Format: FormatOFACAdvanced}
	dec := cf.xmlDecoder()
	refs := map[string]map[string]advRef{} // set element name → ID → value
	locs := map[string]advLocation{}
	docs := map[string][]advIDDoc{} // by IdentityID
	var parties []advParty
	programs := map[string][]advEntry{}
	root, sawEnd := "", false
	fail := func(off int64, err error) (*Parsed, error) {
		return nil, fmt.Errorf("ofac advanced xml: %s: offset %d: %s (truncated?)", path, off, clipErr(err))
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(dec.InputOffset(), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
				if root != "Sanctions" {
					return nil, fmt.Errorf("ofac advanced xml: %s: root element <%s>, want <Sanctions>", path, clip(root))
				}
				continue
			}
			off := dec.InputOffset()
			switch t.Name.Local {
			case "DateOfIssue":
				var d advDate
				if err := dec.DecodeElement(&d, &t); err != nil {
					return fail(off, err)
				}
				p.Published = formatAdvDate(d)
			case "ReferenceValueSets":
				var rs advRefSets
				if err := dec.DecodeElement(&rs, &t); err != nil {
					return fail(off, err)
				}
				for _, set := range rs.Sets {
					m := map[string]advRef{}
					for _, it := range set.Items {
						it.Text = strings.TrimSpace(it.Text)
						m[it.ID] = it
					}
					refs[set.XMLName.Local] = m
				}
			case "Location":
				var l advLocation
				if err := dec.DecodeElement(&l, &t); err != nil {
					return fail(off, err)
				}
				locs[l.ID] = l
			case "IDRegDocument":
				var d advIDDoc
				if err := dec.DecodeElement(&d, &t); err != nil {
					return fail(off, err)
				}
				docs[d.IdentityID] = append(docs[d.IdentityID], d)
			case "DistinctParty":
				var dp advParty
				if err := dec.DecodeElement(&dp, &t); err != nil {
					return fail(off, err)
				}
				parties = append(parties, dp)
			case "SanctionsEntry":
				var se advEntry
				if err := dec.DecodeElement(&se, &t); err != nil {
					return fail(off, err)
				}
				programs[se.ProfileID] = append(programs[se.ProfileID], se)
			}
		case xml.EndElement:
			if t.Name.Local == "Sanctions" {
				sawEnd = true
			}
		}
	}
	if root == "" {
		return nil, fmt.Errorf("ofac advanced xml: %s: no XML elements", path)
	}
	if !sawEnd {
		return nil, fmt.Errorf("ofac advanced xml: %s: offset %d: missing </Sanctions> (truncated)", path, dec.InputOffset())
	}
	if len(refs["FeatureTypeValues"]) == 0 {
		return nil, fmt.Errorf("ofac advanced xml: %s: no ReferenceValueSets/FeatureTypeValues; cannot resolve features", path)
	}
	r := advResolver{refs: refs, locs: locs, docs: docs}
	for _, dp := range parties {
		e, err := r.entity(dp, programs)
		if err != nil {
			return nil, fmt.Errorf("ofac advanced xml: %s: DistinctParty %s: %s", path, clip(dp.FixedRef), clipErr(err))
		}
		p.Entities = append(p.Entities, e)
	}
	if p.SHA256, err = cf.finish(); err != nil {
		return nil, fmt.Errorf("ofac advanced xml: %w", err)
	}
	p.finish()
	return p, nil
}

func formatAdvDate(d advDate) string {
	y, m, dd := strings.TrimSpace(d.Year), strings.TrimSpace(d.Month), strings.TrimSpace(d.Day)
	switch {
	case y == "":
		return ""
	case m == "":
		return y
	case dd == "":
		return fmt.Sprintf("%s-%02s", y, m)
	}
	return fmt.Sprintf("%s-%02s-%02s", y, pad2(m), pad2(dd))
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

type advResolver struct {
	refs map[string]map[string]advRef
	locs map[string]advLocation
	docs map[string][]advIDDoc
}

// text resolves a reference value by set and ID.
func (r advResolver) text(set, id string) string { return r.refs[set][id].Text }

func (r advResolver) location(id string) PostalAddress {
	l := r.locs[id]
	a := PostalAddress{Country: r.text("CountryValues", l.Country.ID)}
	var street []string
	for _, part := range l.Parts {
		v := ""
		if len(part.Values) > 0 {
			v = strings.TrimSpace(part.Values[0])
		}
		switch strings.ToUpper(r.text("LocPartTypeValues", part.TypeID)) {
		case "ADDRESS1", "ADDRESS2", "ADDRESS3":
			if v != "" {
				street = append(street, v)
			}
		case "CITY":
			a.City = v
		case "STATE/PROVINCE":
			a.State = v
		case "POSTAL CODE":
			a.Postal = v
		case "REGION":
			a.Note = v
		}
	}
	a.Street = strings.Join(street, ", ")
	return a
}

func (r advResolver) entity(dp advParty, programs map[string][]advEntry) (Entity, error) {
	if len(dp.Profiles) == 0 {
		return Entity{}, errors.New("no Profile")
	}
	prof := dp.Profiles[0]
	id := dp.FixedRef
	if id == "" {
		id = prof.ID
	}
	e := Entity{ID: "ofac:" + id, List: ListOFAC}
	sub := r.refs["PartySubTypeValues"][prof.SubTypeID]
	switch st := strings.ToLower(sub.Text); st {
	case "vessel", "aircraft":
		e.Type = st
	default:
		e.Type = ofacType(r.text("PartyTypeValues", sub.PartyTypeID))
	}
	for _, idn := range prof.Identities {
		groups := map[string]string{}
		for _, g := range idn.Groups {
			groups[g.ID] = r.text("NamePartTypeValues", g.TypeID)
		}
		for _, al := range idn.Aliases {
			for i, dn := range al.Names {
				name := advJoinName(dn, groups)
				if name == "" {
					continue
				}
				if al.Primary == "true" && e.Name == "" && i == 0 {
					e.Name = name
					continue
				}
				a := Alias{Name: name, Quality: QualityStrong}
				if al.LowQuality == "true" {
					a.Quality = QualityWeak
				}
				a.Type = strings.ReplaceAll(strings.ToLower(r.text("AliasTypeValues", al.TypeID)), ".", "")
				if a.Type == "name" {
					a.Type = "" // another script's spelling of the primary name
				}
				e.Aliases = append(e.Aliases, a)
			}
		}
		for _, d := range r.docs[idn.ID] {
			e.Identifiers = append(e.Identifiers, Identifier{Type: r.text("IDRegDocTypeValues", d.TypeID),
				Number: strings.TrimSpace(d.Number), Country: r.text("CountryValues", d.CountryID)})
		}
	}
	for _, f := range append(prof.Features, dp.Features...) {
		ft := r.text("FeatureTypeValues", f.TypeID)
		for _, v := range f.Versions {
			var detail string
			for _, d := range v.Details {
				if s := strings.TrimSpace(d.Text); s != "" {
					detail = s
				} else if d.RefID != "" {
					detail = r.text("DetailReferenceValues", d.RefID)
				}
			}
			switch {
			case strings.HasPrefix(ft, "Digital Currency Address - "):
				tk := strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(ft, "Digital Currency Address - ")))
				if detail != "" {
					e.CryptoAddresses = append(e.CryptoAddresses, CryptoAddress{Ticker: tk, Address: detail})
				}
			case ft == "Birthdate":
				for _, pd := range v.Periods {
					from, to := formatAdvDate(pd.Start.From), formatAdvDate(pd.End.To)
					s := from
					if to != "" && to != from {
						s = from + " to " + to
					}
					if pd.Start.Approximate == "true" {
						s = "circa " + s
					}
					if s != "" {
						e.DatesOfBirth = append(e.DatesOfBirth, s)
					}
				}
			case ft == "Place of Birth":
				if detail != "" {
					e.PlacesOfBirth = append(e.PlacesOfBirth, detail)
				}
			case ft == "Nationality Country" || ft == "Citizenship Country":
				c := detail
				for _, l := range v.Locations {
					if a := r.location(l.ID); a.Country != "" {
						c = a.Country
					}
				}
				if c != "" {
					e.Nationalities = appendUnique(e.Nationalities, c)
				}
			case ft == "Location":
				for _, l := range v.Locations {
					if a := r.location(l.ID); a != (PostalAddress{}) {
						e.Addresses = append(e.Addresses, a)
					}
				}
			default:
				if detail != "" && ft != "" {
					e.Identifiers = append(e.Identifiers, Identifier{Type: ft, Number: detail})
				}
			}
		}
	}
	for _, se := range programs[prof.ID] {
		for _, m := range se.Measures {
			if strings.EqualFold(r.text("SanctionsTypeValues", m.TypeID), "Program") {
				e.Programs = append(e.Programs, splitPrograms(m.Comment)...)
			}
		}
	}
	if e.Name == "" {
		return e, errors.New("no primary name")
	}
	return e, nil
}

// advJoinName spells a documented name like the CSV does: "LAST, First
// Middle" when it has a last name, the parts in order otherwise.
func advJoinName(dn advName, groups map[string]string) string {
	var last, rest []string
	for _, p := range dn.Parts {
		v := strings.TrimSpace(p.Text)
		if v == "" {
			continue
		}
		if groups[p.GroupID] == "Last Name" {
			last = append(last, v)
		} else {
			rest = append(rest, v)
		}
	}
	return ofacName(strings.Join(rest, " "), strings.Join(last, " "))
}
