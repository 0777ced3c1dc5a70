package sanctions

import "fmt"

// ParseFile reads a list in the given format. name names a watchlist
// (format watchlist); it is ignored otherwise.
func ParseFile(format, path, name string) (*Parsed, error) {
	switch format {
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
