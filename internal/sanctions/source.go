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

// MaxListFileBytes is the largest list file an import reads unless raised
// (`lists import --max-size`): the official files are far smaller (OFAC
// sdn.csv about 5 MB, the UN XML 2 MB, SDN_ADVANCED.XML under 200 MB), and
// a list's entries are held in memory while it is imported (about 25 bytes
// of memory per byte of a watchlist of short rows, measured).
var MaxListFileBytes int64 = 256 << 20

// checkSize refuses a file larger than MaxListFileBytes.
func checkSize(path string, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Size() > MaxListFileBytes {
		return fmt.Errorf("%s: %s, larger than the %s a list file may be", path, byteSize(st.Size()), byteSize(MaxListFileBytes))
	}
	return nil
}

// byteSize renders n bytes for a message.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// openChecked opens path for streaming parse.
func openChecked(path string) (*checkedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := checkSize(path, f); err != nil {
		f.Close()
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

// textFile is a text list file read twice, each time streaming: a first
// pass checks the size, head and encoding and computes the checksum; the
// reader then yields UTF-8 text (a UTF-8 BOM and DOS end-of-file bytes 0x1A
// dropped, Windows-1252 decoded when the file is not valid UTF-8).
type textFile struct {
	r        io.Reader
	f        *os.File
	SHA256   string
	Warnings []string
	Size     int64
	// EOFMarker says the file ends with 0x1A (as OFAC's CSV files do).
	EOFMarker bool
}

// openText opens path as a text list (see textFile). The raw bytes are also
// written to also (when not nil), for a checksum over several files.
func openText(path string, also hash.Hash) (*textFile, error) {
	cf, err := openChecked(path)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	if also != nil {
		cf.r = bufio.NewReaderSize(io.TeeReader(cf.r, also), 1<<16)
	}
	valid := true
	var carry []byte // an incomplete UTF-8 sequence at a chunk's end
	var size int64
	var last byte
	buf := make([]byte, 1<<16)
	for {
		n, err := cf.r.Read(buf)
		if n > 0 {
			size += int64(n)
			last = buf[n-1]
			if valid {
				chunk := append(carry, buf[:n]...)
				cut := len(chunk)
				for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-3; i-- {
					if utf8.RuneStart(chunk[i]) {
						if !utf8.FullRune(chunk[i:]) {
							cut = i
						}
						break
					}
				}
				valid = utf8.Valid(chunk[:cut])
				carry = append(carry[:0], chunk[cut:]...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(carry) > 0 {
		valid = valid && utf8.Valid(carry)
	}
	t := &textFile{SHA256: sumHex(cf.sum), Size: size, EOFMarker: last == 0x1a}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t.f = f
	var r io.Reader = dropEOF{bufio.NewReaderSize(f, 1<<16)}
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(3); bytes.Equal(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	r = br
	if !valid {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%s: not UTF-8; read as Windows-1252", path))
		r = charmap.Windows1252.NewDecoder().Reader(r)
	}
	t.r = r
	return t, nil
}

func (t *textFile) Read(p []byte) (int, error) { return t.r.Read(p) }

func (t *textFile) Close() error { return t.f.Close() }

// dropEOF drops DOS end-of-file bytes (0x1A) from a text stream.
type dropEOF struct{ r io.Reader }

func (d dropEOF) Read(p []byte) (int, error) {
	for {
		n, err := d.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != 0x1a {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// clipErr shortens an error quoted from bad input (an XML element name, a
// CSV field) to a few hundred bytes.
func clipErr(err error) string { return clip(err.Error()) }
