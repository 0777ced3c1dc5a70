package sanctions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Official download locations.
const (
	OFACBaseURL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
	// DefaultOFACURL is the SDN legacy CSV; ADD.CSV, ALT.CSV and
	// SDN_COMMENTS.CSV are fetched from beside it.
	DefaultOFACURL         = OFACBaseURL + "SDN.CSV"
	DefaultOFACXMLURL      = OFACBaseURL + "SDN.XML"
	DefaultOFACAdvancedURL = OFACBaseURL + "SDN_ADVANCED.XML"
	DefaultUNURL           = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
)

// maxDownload bounds a downloaded file (SDN_ADVANCED.XML is ~120 MB).
const maxDownload = 1 << 30

// UpdateRequest says what to download.
type UpdateRequest struct {
	Source string // "ofac" or "un"
	Format string // default: ofac-csv for ofac, un-xml for un
	URL    string // default: the official URL for Source and Format
	// Client is the HTTP client (default: 5-minute timeout).
	Client *http.Client
	// DataDir keeps the downloaded files of an accepted version under
	// DataDir/lists/LIST@ID; empty keeps nothing.
	DataDir string
	Options ImportOptions
}

// Update downloads the current official list, validates it exactly like a
// file import and imports it in one transaction. A failed download, an error
// or challenge page, a truncated or suspiciously short list changes nothing:
// the last good version stays in force.
func (s *Store) Update(ctx context.Context, req UpdateRequest) (v Version, created bool, err error) {
	switch req.Source {
	case "ofac":
		if req.Format == "" {
			req.Format = FormatOFACCSV
		}
		if req.URL == "" {
			req.URL = map[string]string{FormatOFACCSV: DefaultOFACURL, FormatOFACXML: DefaultOFACXMLURL, FormatOFACAdvanced: DefaultOFACAdvancedURL}[req.Format]
		}
	case "un":
		if req.Format == "" {
			req.Format = FormatUNXML
		}
		if req.URL == "" {
			req.URL = DefaultUNURL
		}
	default:
		return v, false, fmt.Errorf("update: unknown source %q (want ofac or un)", req.Source)
	}
	if req.URL == "" || (req.Source == "ofac") != strings.HasPrefix(req.Format, "ofac") {
		return v, false, fmt.Errorf("update: format %s does not fit source %s", req.Format, req.Source)
	}
	if req.Client == nil {
		req.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	parent := os.TempDir()
	if req.DataDir != "" {
		parent = filepath.Join(req.DataDir, "lists")
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return v, false, fmt.Errorf("update: %w", err)
		}
		s.repairDownloads(ctx, parent)
	}
	tmp, err := os.MkdirTemp(parent, downloadPrefix)
	if err != nil {
		return v, false, fmt.Errorf("update: %w", err)
	}
	// The owner's process id: a later update removes the folder of a
	// process that no longer runs (killed mid-download).
	if err := os.WriteFile(filepath.Join(tmp, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(tmp)
		return v, false, fmt.Errorf("update: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(tmp)
		}
	}()

	main := filepath.Join(tmp, "list")
	if req.Format == FormatOFACCSV {
		main = filepath.Join(tmp, ofacSDNFile)
	}
	modified, err := download(ctx, req.Client, req.URL, main)
	if err != nil {
		return v, false, err
	}
	urls := map[string]string{main: req.URL} // downloaded file → its URL, for messages
	if req.Format == FormatOFACCSV {
		for _, sib := range []string{ofacAddFile, ofacAltFile, ofacCommentsFile} {
			u, err := siblingURL(req.URL, sib)
			if err != nil {
				return v, false, err
			}
			urls[filepath.Join(tmp, sib)] = u
			if _, err := download(ctx, req.Client, u, filepath.Join(tmp, sib)); err != nil {
				var nf notFoundError
				if !errors.As(err, &nf) {
					return v, false, err
				}
				slog.Warn("update: sibling file not found; importing without it", "url", u)
			}
		}
	}
	p, err := ParseFile(req.Format, main, "")
	if err != nil {
		return v, false, fmt.Errorf("update: %w", namedByURL(err, urls))
	}
	p.Source = req.URL
	if p.Published == "" && !modified.IsZero() {
		p.Published = modified.UTC().Format(time.RFC3339)
	}
	v, created, err = s.Import(ctx, p, req.Options)
	if err != nil {
		return v, false, fmt.Errorf("update from %s: %w", req.URL, err)
	}
	// Keep the files of the version (also when the version was already in
	// force but its copy is missing: a kill between commit and rename).
	if req.DataDir != "" {
		dst := versionDir(parent, v)
		if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
			os.Remove(filepath.Join(tmp, ownerFile))
			if err := os.Rename(tmp, dst); err == nil {
				keep = true
				if !created {
					slog.Info("update: wrote the missing copy of the version in force", "version", v.Label(), "dir", dst)
				}
			}
		}
	}
	return v, created, nil
}

const (
	downloadPrefix = "download-"
	ownerFile      = ".owner-pid"
)

// versionDir is where the downloaded files of version v are kept.
func versionDir(parent string, v Version) string {
	return filepath.Join(parent, strings.ReplaceAll(v.Label(), ":", "_"))
}

// repairDownloads cleans up after updates that were killed: a download
// folder whose process no longer runs is removed, after its files became
// the copy of a version they are (same checksum) when that copy is missing.
func (s *Store) repairDownloads(ctx context.Context, parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	var vs []Version
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), downloadPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if ownerAlive(dir) {
			continue
		}
		if vs == nil {
			if vs, err = s.Versions(ctx); err != nil {
				return
			}
		}
		if sum, ok := downloadSum(dir); ok {
			for _, v := range vs {
				dst := versionDir(parent, v)
				if _, err := os.Stat(dst); v.SHA256 == sum && errors.Is(err, fs.ErrNotExist) {
					os.Remove(filepath.Join(dir, ownerFile))
					if os.Rename(dir, dst) == nil {
						slog.Info("update: kept the files of an interrupted update as the copy of its version", "version", v.Label(), "dir", dst)
					}
					break
				}
			}
		}
		if _, err := os.Stat(dir); err == nil {
			slog.Info("update: removing the folder of an interrupted download", "dir", dir)
			os.RemoveAll(dir)
		}
	}
}

// ownerAlive reports whether the process that made download folder dir
// still runs (a folder without an owner file is an old leftover).
func ownerAlive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	return processAlive(pid)
}

// downloadSum is the version checksum of the files of a download folder, as
// Import computes it: the OFAC CSV set in order, or the one list file.
func downloadSum(dir string) (string, bool) {
	sum := newSum()
	names := []string{ofacSDNFile, ofacAddFile, ofacAltFile, ofacCommentsFile}
	if _, err := os.Stat(filepath.Join(dir, ofacSDNFile)); err != nil {
		names = []string{"list"}
	}
	for i, n := range names {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			if i == 0 {
				return "", false
			}
			continue
		}
		_, err = io.Copy(sum, f)
		f.Close()
		if err != nil {
			return "", false
		}
	}
	return sumHex(sum), true
}

type notFoundError struct{ url string }

func (e notFoundError) Error() string { return e.url + ": 404 not found" }

// siblingURL replaces the file name of an OFAC CSV URL, keeping its case
// style (SDN.CSV → ADD.CSV, sdn.csv → add.csv).
func siblingURL(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("update: url %q: %w", raw, err)
	}
	base := path.Base(u.Path)
	if base == strings.ToUpper(base) {
		name = strings.ToUpper(name)
	}
	u.Path = path.Join(path.Dir(u.Path), name)
	return u.String(), nil
}

// download fetches url into file, refusing non-200 answers and HTML pages.
func download(ctx context.Context, c *http.Client, rawURL, file string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("update: %w", err)
	}
	req.Header.Set("User-Agent", "chaintrace-lists-update/1")
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("update: download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return time.Time{}, notFoundError{rawURL}
	}
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("update: download %s: HTTP %s", rawURL, resp.Status)
	}
	if ct := strings.ToLower(resp.Header.Get("Content-Type")); strings.HasPrefix(ct, "text/html") {
		return time.Time{}, fmt.Errorf("update: download %s: offset 0: served an HTML page (Content-Type %s), not the list", rawURL, ct)
	}
	f, err := os.Create(file)
	if err != nil {
		return time.Time{}, fmt.Errorf("update: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxDownload+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("update: download %s: after %d bytes: %w", rawURL, n, err)
	}
	if n > maxDownload {
		return time.Time{}, fmt.Errorf("update: download %s: larger than %d bytes", rawURL, int64(maxDownload))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return time.Time{}, fmt.Errorf("update: download %s: got %d of %d bytes (truncated)", rawURL, n, resp.ContentLength)
	}
	mod, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return mod, nil
}

// urlNamedError is a parse error whose message names the downloaded files by
// their URLs rather than by their temporary paths (which are removed).
type urlNamedError struct {
	msg string
	err error
}

func (e *urlNamedError) Error() string { return e.msg }
func (e *urlNamedError) Unwrap() error { return e.err }

func namedByURL(err error, urls map[string]string) error {
	msg := err.Error()
	for path, u := range urls {
		msg = strings.ReplaceAll(msg, path, u)
	}
	return &urlNamedError{msg: msg, err: err}
}
