// Package sanctions imports sanctions lists (OFAC SDN CSV and XML, the UN
// consolidated list, a firm's own watchlists) into versioned storage and
// screens crypto addresses against them. Name matching lives in the
// namematch subpackage and reads entities through Store.Entities.
//
// Every import is a Version of one list (OFAC SDN, UN, or a named watchlist).
// The version in force for a list is its newest one; an import that fails
// validation never creates a version, so the last good one stays in force.
package sanctions

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// List names.
const (
	ListOFAC = "ofac-sdn"
	ListUN   = "un"
	// WatchlistPrefix prefixes a firm's own lists: "watchlist:NAME".
	WatchlistPrefix = "watchlist:"
)

// Entity types.
const (
	TypeIndividual = "individual"
	TypeEntity     = "entity"
	TypeVessel     = "vessel"
	TypeAircraft   = "aircraft"
)

// Entity is one listed party as the list states it.
type Entity struct {
	// ID is list-scoped: "ofac:27307", "un:KPi.033", "watchlist:NAME:ID".
	ID   string `json:"id"`
	List string `json:"list"` // ListOFAC, ListUN or WatchlistPrefix+NAME
	Type string `json:"type"` // TypeIndividual, TypeEntity, TypeVessel, TypeAircraft
	Name string `json:"name"` // primary name as listed
	// Aliases are the other names, with the list's quality.
	Aliases         []Alias         `json:"aliases,omitempty"`
	Programs        []string        `json:"programs,omitempty"` // e.g. DPRK3, CYBER2; UN: the regime (DPRK)
	Addresses       []PostalAddress `json:"addresses,omitempty"`
	Identifiers     []Identifier    `json:"identifiers,omitempty"`
	DatesOfBirth    []string        `json:"dates_of_birth,omitempty"` // as listed: "1971", "12 Mar 1964", "1964-03-12"
	PlacesOfBirth   []string        `json:"places_of_birth,omitempty"`
	Nationalities   []string        `json:"nationalities,omitempty"`
	Countries       []string        `json:"countries,omitempty"` // countries of the postal addresses, deduplicated
	CryptoAddresses []CryptoAddress `json:"crypto_addresses,omitempty"`
	Remarks         string          `json:"remarks,omitempty"` // full remarks (OFAC spill-over merged)
	Listed          string          `json:"listed,omitempty"`  // listing date where the list gives one
	// Category is what a watchlist says the party is (scam, case, fraud,
	// …); official lists leave it empty (their category is CategorySanctions).
	Category string `json:"category,omitempty"`
}

// CategorySanctions is the category of the parties of the official
// sanctions lists (OFAC SDN, UN); CategoryWatchlist that of a watchlist
// entry that states none.
const (
	CategorySanctions = "sanctions"
	CategoryWatchlist = "watchlist"
)

// IsOfficial reports whether list is an official sanctions list (OFAC SDN,
// UN), the only ones whose hits are "sanctioned".
func IsOfficial(list string) bool { return list == ListOFAC || list == ListUN }

// CategoryOf is the category of a listed party: CategorySanctions on an
// official list; on a watchlist, the category its entry gives (stored
// versions before Category existed kept it as the first program), else
// CategoryWatchlist.
func (e *Entity) CategoryOf() string {
	switch {
	case IsOfficial(e.List):
		return CategorySanctions
	case e.Category != "":
		return e.Category
	case strings.HasPrefix(e.List, WatchlistPrefix) && len(e.Programs) > 0:
		return e.Programs[0]
	}
	return CategoryWatchlist
}

// Alias qualities.
const (
	QualityStrong = "strong" // OFAC alt.csv / XML category strong; UN QUALITY "Good"
	QualityWeak   = "weak"   // OFAC weak a.k.a. (quoted in remarks); UN QUALITY "Low"
	QualityAKA    = "a.k.a."
	QualityFKA    = "f.k.a."
	QualityNKA    = "n.k.a."
)

// Alias is another name of an entity.
type Alias struct {
	Name    string `json:"name"`
	Quality string `json:"quality,omitempty"` // QualityStrong, QualityWeak, QualityAKA, QualityFKA, QualityNKA
	Type    string `json:"type,omitempty"`    // "aka", "fka", "nka" where the list says so
}

// PostalAddress is a listed postal address.
type PostalAddress struct {
	Street  string `json:"street,omitempty"`
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Postal  string `json:"postal,omitempty"`
	Country string `json:"country,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Identifier is an identity document or registration number.
type Identifier struct {
	Type    string `json:"type"` // "Passport", "National ID No.", "Tax ID No.", …
	Number  string `json:"number"`
	Country string `json:"country,omitempty"`
}

// CryptoAddress is a listed digital currency address. Address is as listed
// (trailing punctuation removed); Normalized is the matching key (see
// NormalizeAddress).
type CryptoAddress struct {
	Ticker     string `json:"ticker"`
	Address    string `json:"address"`
	Normalized string `json:"normalized,omitempty"`
}

// Version is one import of one list.
type Version struct {
	ID        int64     `json:"id"`
	List      string    `json:"list"`
	Source    string    `json:"source"`              // file path or URL
	Format    string    `json:"format"`              // ofac-csv, ofac-xml, ofac-advanced, un-xml, watchlist
	Published string    `json:"published,omitempty"` // publish date stated in the file, if any
	Imported  time.Time `json:"imported"`
	SHA256    string    `json:"sha256"` // of the source bytes (all files of a set, in order)
	Entities  int       `json:"entities"`
	Addresses int       `json:"addresses"` // crypto addresses (unique ticker, address pairs)
	InForce   bool      `json:"in_force"`
}

// Label is "list@id", as used in list_version strings.
func (v Version) Label() string { return v.List + "@" + itoa(v.ID) }

// EntityDetails is a listed party as a match shows it, to judge the hit in
// place: everything the list states but the crypto addresses (counted), and
// the list version it comes from.
type EntityDetails struct {
	Entity
	ListVersion    string `json:"list_version"` // e.g. "ofac-sdn@3"
	CryptoAddressN int    `json:"crypto_address_count,omitempty"`
	// json is the encoding, made once: the details of a listed party are
	// shared by every answer that matches it and never change.
	json *onceJSON
}

type onceJSON struct {
	once sync.Once
	b    []byte
	err  error
}

// MarshalJSON encodes the details once and reuses the bytes.
func (d *EntityDetails) MarshalJSON() ([]byte, error) {
	type plain EntityDetails // without this method
	if d.json == nil {
		return json.Marshal((*plain)(d))
	}
	d.json.once.Do(func() { d.json.b, d.json.err = json.Marshal((*plain)(d)) })
	return d.json.b, d.json.err
}

// Details returns e as a match shows it, from version label. Callers share
// the result between answers (it must not be changed).
func (e *Entity) Details(label string) *EntityDetails {
	d := &EntityDetails{Entity: *e, ListVersion: label, CryptoAddressN: len(e.CryptoAddresses), json: &onceJSON{}}
	d.CryptoAddresses = nil
	d.Category = e.CategoryOf()
	return d
}

// Match is one listing of a screened address.
type Match struct {
	List     string   `json:"list"`
	EntityID string   `json:"entity_id"`
	Name     string   `json:"name"`
	Category string   `json:"category"` // CategorySanctions, or the watchlist's category (scam, case, …)
	Programs []string `json:"programs"`
	Ticker   string   `json:"ticker"`
	// Entity is the listed party's details (shared by its matches).
	Entity *EntityDetails `json:"entity"`
	// Unexported-in-JSON context for other renderings (Chainalysis shape).
	Remarks string `json:"-"`
	Version int64  `json:"-"`
	Listed  string `json:"-"` // the address as listed
}

// AddressResult is the answer to an address screen. Sanctioned is true only
// for a listing on an official sanctions list; a watchlist listing is a
// match with the watchlist's category.
type AddressResult struct {
	Address     string  `json:"address"`
	Sanctioned  bool    `json:"sanctioned"`
	ListVersion string  `json:"list_version"` // e.g. "ofac-sdn@3,un@2"
	Matches     []Match `json:"matches"`
}
