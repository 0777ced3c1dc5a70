package sanctions

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Import formats.
const (
	FormatOFACCSV      = "ofac-csv"
	FormatOFACXML      = "ofac-xml"
	FormatOFACAdvanced = "ofac-advanced"
	FormatUNXML        = "un-xml"
	FormatWatchlist    = "watchlist"
)

// Formats lists the import formats ParseFile understands.
var Formats = []string{FormatOFACCSV, FormatOFACXML, FormatOFACAdvanced, FormatUNXML, FormatWatchlist}

// textOf checks raw file bytes and returns them as UTF-8 text: a trailing
// DOS end-of-file byte (0x1A, present in OFAC's CSV files) and a UTF-8 BOM
// are dropped, and bytes that are not valid UTF-8 are read as Windows-1252
// (the encoding of OFAC's legacy files when they carry accented names). It
// refuses empty input and HTML pages (an error or bot-challenge page served
// instead of the list).
func textOf(name string, b []byte) (string, []string, error) {
	var warns []string
	b = bytes.TrimSuffix(b, []byte{0x1a})
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return "", nil, fmt.Errorf("%s: empty file", name)
	}
	if isHTML(b) {
		return "", nil, fmt.Errorf("%s: offset 0: an HTML page (error or challenge page?), not a sanctions list", name)
	}
	if !utf8.Valid(b) {
		dec, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			return "", nil, fmt.Errorf("%s: decode Windows-1252: %w", name, err)
		}
		warns = append(warns, fmt.Sprintf("%s: not UTF-8; read as Windows-1252", name))
		b = dec
	}
	return string(b), warns, nil
}

// isHTML reports whether b starts like an HTML document.
func isHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 1024)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.HasPrefix(head, []byte("<head")) || bytes.HasPrefix(head, []byte("<body")) ||
		(bytes.HasPrefix(head, []byte("<")) && bytes.Contains(head, []byte("<html")))
}

// newSum returns the hash the version checksum is computed with.
func newSum() hash.Hash { return sha256.New() }

func sumHex(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
