package labels

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/sanctions"
)

// Label attributes one Bitcoin address, with its provenance.
type Label struct {
	// Address is the canonical spelling (bech32 in lower case).
	Address  string `json:"address"`
	Label    string `json:"label"`
	Category string `json:"category"` // one of Categories
	// Source is where the attribution comes from: the tag's source (a URL in
	// most TagPacks), the CSV's source column, the STIX indicator's reference,
	// or "ofac-sdn@3" for a sanctions list version.
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence"` // 0..1
	// ConfidenceName is the GraphSense confidence name the file gave, if any.
	ConfidenceName string `json:"confidence_name,omitempty"`
	// OriginalCategory is the category (and abuse, after "/") as the source
	// spelt it, e.g. "mixing_service" or "user/sanction".
	OriginalCategory string `json:"original_category,omitempty"`
	Actor            string `json:"actor,omitempty"`
	Abuse            string `json:"abuse,omitempty"`
	IsClusterDefiner bool   `json:"is_cluster_definer,omitempty"`
	// Dataset is the import the label came in with (the file's name, or the
	// name given to the import), Format its format, Line the line in it.
	Dataset string `json:"dataset,omitempty"`
	Format  string `json:"format,omitempty"`
	Line    int    `json:"line,omitempty"`
	// Ref is the record's id in its file (a STIX indicator id), or the
	// sanctions entity id.
	Ref string `json:"ref,omitempty"`
}

// Import formats.
const (
	FormatTagPack = "tagpack"
	FormatCSV     = "csv"
	FormatSTIX    = "stix"
	// FormatSanctions marks labels read from the sanctions store at look-up time.
	FormatSanctions = "sanctions"
)

// Formats lists the import formats.
var Formats = []string{FormatTagPack, FormatCSV, FormatSTIX}

// ErrInput is wrapped by every error about the content of an imported file.
var ErrInput = errors.New("bad label input")

// InputError locates a problem in an imported file.
type InputError struct {
	File  string
	Line  int    // 0 when unknown
	Field string // "" when not about one field
	Err   error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() []error { return []error{ErrInput, e.Err} }

// record is one attribution as a reader found it, before validation.
type record struct {
	line                                int
	address, label, category, abuse     string
	source, confidence, actor, currency string
	clusterDefiner                      bool
	ref                                 string
}

// Defaults fill fields a file leaves empty.
type Defaults struct {
	Category   string // e.g. "ransomware" for a CSV without a category column
	Source     string // default: the dataset name
	Confidence string // a number or GraphSense name; default "unknown" (0.05)
	Label      string // for records without a label
}

// isBitcoin reports whether a currency names Bitcoin ("" counts as Bitcoin).
func isBitcoin(cur string) bool {
	switch strings.ToUpper(strings.TrimSpace(cur)) {
	case "", "BTC", "XBT", "BITCOIN":
		return true
	}
	return false
}

// CanonicalAddress validates a Bitcoin address for network p (checksum,
// length, network) and returns its canonical spelling and binary key.
func CanonicalAddress(s string, p *chaincfg.Params) (string, []byte, error) {
	a, err := chain.ParseAddr(s, p)
	if err != nil {
		return "", nil, err
	}
	switch a.Type {
	case chain.P2PK, chain.NonStandard:
		return "", nil, fmt.Errorf("address %q: not a Bitcoin address (a public key or script hash)", s)
	}
	return a.String(p), a.Key(), nil
}

// resolve validates a record into a Label. A record of another currency is
// skipped (no error): skip names the currency, as stated, or as the address
// syntax shows when the file states none ("other:evm").
func (r *record) resolve(file, dataset, format string, d Defaults, p *chaincfg.Params) (l Label, key []byte, skip string, err error) {
	fail := func(field string, err error) (Label, []byte, string, error) {
		return Label{}, nil, "", &InputError{File: file, Line: r.line, Field: field, Err: err}
	}
	if !isBitcoin(r.currency) {
		return Label{}, nil, strings.ToUpper(strings.TrimSpace(r.currency)), nil
	}
	if strings.TrimSpace(r.address) == "" {
		return fail("address", errors.New("missing"))
	}
	addr, key, err := CanonicalAddress(r.address, p)
	if err != nil {
		// Unstated currency: a valid address of another chain is skipped; a
		// Bitcoin address of another network, or a string that is no valid
		// address at all (a bad checksum), is an error.
		if strings.TrimSpace(r.currency) == "" && !strings.Contains(err.Error(), "address is for") {
			if pa, perr := sanctions.ParseAddress(r.address); perr == nil {
				return Label{}, nil, "other:" + pa.Kind, nil
			}
		}
		return fail("address", err)
	}
	l = Label{Address: addr, Label: strings.TrimSpace(r.label), Actor: strings.TrimSpace(r.actor),
		Abuse: strings.TrimSpace(r.abuse), IsClusterDefiner: r.clusterDefiner,
		Dataset: dataset, Format: format, Line: r.line, Ref: r.ref}
	if l.Label == "" {
		l.Label = d.Label
	}
	if l.Label == "" && l.Actor != "" {
		l.Label = l.Actor
	}
	if l.Label == "" {
		return fail("label", errors.New("missing (give a label column or field, or --label)"))
	}
	cat, abuse := strings.TrimSpace(r.category), l.Abuse
	if cat == "" && abuse == "" {
		cat = d.Category
	}
	if l.Category, err = MapCategory(cat, abuse); err != nil {
		return fail("category", err)
	}
	l.OriginalCategory = cat
	if abuse != "" {
		l.OriginalCategory += "/" + abuse
	}
	if l.OriginalCategory == l.Category {
		l.OriginalCategory = ""
	}
	l.Source = strings.TrimSpace(r.source)
	if l.Source == "" {
		l.Source = d.Source
	}
	if l.Source == "" {
		l.Source = dataset
	}
	conf := strings.TrimSpace(r.confidence)
	if conf == "" {
		conf = d.Confidence
	}
	if conf == "" {
		conf = "unknown"
	}
	if l.Confidence, l.ConfidenceName, err = ParseConfidence(conf); err != nil {
		return fail("confidence", err)
	}
	return l, key, "", nil
}
