package sanctions

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// FormatAddresses is a plain list of crypto addresses, one a line (blank
// lines and lines starting with # skipped), all of one ticker, such as the
// sanctioned_addresses_XBT.txt lists published beside the OFAC files.
const FormatAddresses = "addresses"

// maxAddressLine bounds a line of an address list.
const maxAddressLine = 4096

// ParseAddressList reads a plain address list as the watchlist
// "watchlist:NAME": one entity named after the file that holds every
// address, with the given ticker and category (CategoryWatchlist when empty).
// Every address must be well formed; the error names the line.
func ParseAddressList(path, name, ticker, category string) (*Parsed, error) {
	if !watchlistNameRe.MatchString(name) {
		return nil, fmt.Errorf("addresses: name %q: want letters, digits, '.', '_' or '-' (up to 64)", clip(name))
	}
	ticker = strings.ToUpper(strings.TrimSpace(ticker))
	if ticker == "" {
		return nil, errors.New("addresses: a ticker is required (e.g. XBT, ETH)")
	}
	if category == "" {
		category = CategoryWatchlist
	}
	cf, err := openChecked(path)
	if err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	defer cf.Close()
	list := WatchlistPrefix + name
	e := Entity{ID: list + ":" + "addresses", List: list, Type: TypeEntity, Category: category,
		Name: name + " (" + filepath.Base(path) + ")", Programs: []string{category}}
	sc := bufio.NewScanner(cf.r)
	sc.Buffer(make([]byte, 0, 4096), maxAddressLine)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if strings.ContainsAny(s, " \t,;") {
			return nil, fmt.Errorf("addresses: %s: line %d: %q: want one address a line", path, line, clip(s))
		}
		if _, err := ParseAddress(s); err != nil {
			return nil, fmt.Errorf("addresses: %s: line %d: address %q: %w", path, line, clip(s), err)
		}
		e.CryptoAddresses = append(e.CryptoAddresses, CryptoAddress{Ticker: ticker, Address: s})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("addresses: %s: a line longer than %d bytes: not an address list", path, maxAddressLine)
		}
		return nil, fmt.Errorf("addresses: %s: %w", path, err)
	}
	if len(e.CryptoAddresses) == 0 {
		return nil, fmt.Errorf("addresses: %s: no address found", path)
	}
	sum, err := cf.finish()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	p := &Parsed{List: list, Source: path, Format: FormatAddresses, SHA256: sum, Entities: []Entity{e}}
	p.finish()
	return p, nil
}
