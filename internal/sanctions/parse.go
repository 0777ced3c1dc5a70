package sanctions

import "fmt"

// ParseOptions are the settings of the formats that need them.
type ParseOptions struct {
	Name     string // watchlist and address-list name (list "watchlist:NAME")
	Ticker   string // address list: the ticker of every address
	Category string // address list: the category of its entity
}

// ParseFile reads a list in the given format. name names a watchlist
// (format watchlist); it is ignored otherwise.
func ParseFile(format, path, name string) (*Parsed, error) {
	return ParseFileWith(format, path, ParseOptions{Name: name})
}

// ParseFileWith reads a list in the given format with its options.
func ParseFileWith(format, path string, o ParseOptions) (*Parsed, error) {
	name := o.Name
	switch format {
	case FormatAddresses:
		return ParseAddressList(path, name, o.Ticker, o.Category)
	case FormatOFACCSV:
		return ParseOFACCSV(path)
	case FormatOFACXML:
		return ParseOFACXML(path)
	case FormatOFACAdvanced:
		return ParseOFACAdvanced(path)
	case FormatWatchlist:
		return ParseWatchlist(path, name)
	case FormatUNXML:
		return ParseUNXML(path)
	}
	return nil, fmt.Errorf("unknown list format %q (want one of %v)", format, Formats)
}
