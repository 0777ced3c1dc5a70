package sanctions

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
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
var Formats = []string{FormatOFACCSV, FormatOFACXML, FormatOFACAdvanced, FormatUNXML, FormatWatchlist, FormatAddresses}

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

// checkedFile is a list file opened for streaming: its first bytes were
// checked (not empty, not HTML) and everything read is hashed.
type checkedFile struct {
	name string
	f    *os.File
	r    *bufio.Reader
	sum  hash.Hash
}

// openChecked opens path for streaming parse.
func openChecked(path string) (*checkedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sum := newSum()
	r := bufio.NewReaderSize(io.TeeReader(f, sum), 1<<16)
	head, err := r.Peek(1024)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: empty file", path)
	}
	if isHTML(head) {
		f.Close()
		return nil, fmt.Errorf("%s: offset 0: an HTML page (error or challenge page?), not a sanctions list", path)
	}
	return &checkedFile{name: path, f: f, r: r, sum: sum}, nil
}

// finish drains the rest (so the checksum covers the whole file) and
// returns the hex SHA-256.
func (c *checkedFile) finish() (string, error) {
	if _, err := io.Copy(io.Discard, c.r); err != nil {
		return "", fmt.Errorf("%s: %w", c.name, err)
	}
	return sumHex(c.sum), nil
}

func (c *checkedFile) Close() error { return c.f.Close() }

// xmlDecoder returns a decoder over the file that accepts the encodings
// declared by list publishers (UTF-8, and ISO-8859-1/Windows-1252 as used by
// older exports).
func (c *checkedFile) xmlDecoder() *xml.Decoder {
	dec := xml.NewDecoder(c.r)
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q", label)
	}
	return dec
}
