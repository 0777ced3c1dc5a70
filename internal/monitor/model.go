package monitor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Errors callers map to answers: ErrBadInput is the caller's mistake (HTTP
// 400, exit code 2), ErrNotFound names something that is not there (404).
var (
	ErrBadInput = errors.New("bad input")
	ErrNotFound = errors.New("not found")
)

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Direction of a transfer seen from the registering user.
type Direction string

// Directions.
const (
	Received Direction = "received"
	Sent     Direction = "sent"
)

// ParseDirection accepts "received" or "sent" (any case).
func ParseDirection(s string) (Direction, error) {
	switch d := Direction(strings.ToLower(strings.TrimSpace(s))); d {
	case Received, Sent:
		return d, nil
	}
	return "", badInput("direction %q: want received or sent", s)
}

// Level is an alert's severity.
type Level string

// Levels, most severe first.
const (
	Severe Level = "SEVERE"
	High   Level = "HIGH"
	Medium Level = "MEDIUM"
	Low    Level = "LOW"
)

// Levels lists the levels, most severe first.
var Levels = []Level{Severe, High, Medium, Low}

// Rank orders levels: SEVERE 4 … LOW 1; 0 for anything else.
func (l Level) Rank() int {
	switch l {
	case Severe:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// ParseLevel accepts a level name (any case).
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	if l.Rank() == 0 {
		return "", badInput("level %q: want SEVERE, HIGH, MEDIUM or LOW", s)
	}
	return l, nil
}

// ExposureType says whether the counterparty itself is the attributed entity
// (direct) or the entity is reached through unattributed intermediaries.
type ExposureType string

// Exposure types.
const (
	Direct   ExposureType = "direct"
	Indirect ExposureType = "indirect"
)

// Categories is the attribution vocabulary (the labels package's), the
// categories rules may name.
var Categories = []string{"exchange", "processor", "merchant", "miner", "mixer", "coinjoin", "gambling",
	"darknet", "ransomware", "scam", "stolen", "perpetrator", "sanctions", "other"}

// IsCategory reports whether c is in the vocabulary.
func IsCategory(c string) bool {
	for _, v := range Categories {
		if v == c {
			return true
		}
	}
	return false
}

// Network and asset the service monitors.
const (
	NetworkBitcoin = "bitcoin"
	AssetBTC       = "BTC"
)

// checkNetworkAsset accepts network "bitcoin" and asset "BTC" (any case).
func checkNetworkAsset(network, asset string) error {
	if !strings.EqualFold(strings.TrimSpace(network), NetworkBitcoin) {
		return badInput("network %q: only %q is monitored", network, NetworkBitcoin)
	}
	if !strings.EqualFold(strings.TrimSpace(asset), AssetBTC) {
		return badInput("asset %q: only %q is monitored on %s", asset, AssetBTC, NetworkBitcoin)
	}
	return nil
}

// Reference identifies a transfer on chain: an output of a transaction, by
// index (TXID:VOUT) or by its address (TXID:ADDRESS, every output paying it).
type Reference struct {
	Txid    chainhash.Hash
	Vout    int64 // -1 when the reference names an address
	Address string
}

// String is the canonical "txid:vout" or "txid:address".
func (r Reference) String() string {
	if r.Vout >= 0 {
		return r.Txid.String() + ":" + strconv.FormatInt(r.Vout, 10)
	}
	return r.Txid.String() + ":" + r.Address
}

// ParseReference parses "TXID:VOUT" or "TXID:ADDRESS" (the txid as shown by
// explorers, 64 hex digits). Addresses are checked against the chain when the
// transfer is screened.
func ParseReference(s string) (Reference, error) {
	s = strings.TrimSpace(s)
	txid, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Reference{}, badInput("transferReference %q: want TXID:VOUT or TXID:ADDRESS", s)
	}
	if len(txid) != 2*chainhash.HashSize {
		return Reference{}, badInput("transferReference %q: the txid must be %d hex digits", s, 2*chainhash.HashSize)
	}
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil || strings.Trim(strings.ToLower(txid), "0123456789abcdef") != "" {
		return Reference{}, badInput("transferReference %q: the txid is not hex", s)
	}
	r := Reference{Txid: *h, Vout: -1}
	if rest[0] >= '0' && rest[0] <= '9' && len(rest) <= 10 {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n > 1<<32-1 || (len(rest) > 1 && rest[0] == '0') {
			return Reference{}, badInput("transferReference %q: vout %q is not an output index", s, rest)
		}
		r.Vout = n
		return r, nil
	}
	if len(rest) > 100 || strings.ContainsFunc(rest, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) {
		return Reference{}, badInput("transferReference %q: %q is neither an output index nor an address", s, rest)
	}
	r.Address = rest
	return r, nil
}

// newID returns a random UUID (version 4) string.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// timeFormat is how times are stored: fixed width, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// ParseTimeBound parses an API time bound: RFC 3339 (or a date, YYYY-MM-DD).
func ParseTimeBound(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, badInput("%s %q: want an RFC 3339 time (2026-01-31T12:00:00Z) or a date (2026-01-31)", name, s)
}

// Transfer is a registered transfer, in the shape of GET /v1/kyt/transfers/{externalId}.
type Transfer struct {
	ExternalID        string     `json:"externalId"`
	UserID            string     `json:"userId"`
	TransferReference string     `json:"transferReference"`
	Direction         Direction  `json:"direction"`
	Status            string     `json:"status"`
	Asset             string     `json:"asset"`
	AssetAmount       *int64     `json:"assetAmount"` // satoshis; null until the tx is indexed
	Timestamp         *time.Time `json:"timestamp"`   // the tx's block time
	ScreenedAt        *time.Time `json:"screenedAt"`
	Alerts            int        `json:"alerts"`
	// Error says why a transfer could not be screened (status "failed").
	Error string `json:"error,omitempty"`

	id int64
}

// Transfer statuses.
const (
	StatusPending  = "pending"  // registered, not screened yet (or its tx is not indexed yet)
	StatusScreened = "screened" // screened at least once
	StatusFailed   = "failed"   // the reference does not exist in its tx (a vout out of range)
)

// Alert statuses.
const (
	AlertOpen     = "open"
	AlertInReview = "in_review"
	AlertClosed   = "closed"
)

// Alert is one alert raised on a transfer.
type Alert struct {
	AlertID      string       `json:"alertId"`
	AlertLevel   Level        `json:"alertLevel"`
	Category     string       `json:"category"`
	Service      string       `json:"service"`
	AlertAmount  int64        `json:"alertAmount"`
	ExposureType ExposureType `json:"exposureType"`
	Hops         int          `json:"hops"`
	Path         []string     `json:"path"`
	Status       string       `json:"status"`
	CreatedAt    time.Time    `json:"createdAt"`

	ExternalID string    `json:"externalId"`
	Assignee   string    `json:"assignee"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Rule       string    `json:"rule"`
	// ScreeningID is the screening that raised the alert; PreviousAlertID,
	// for an alert raised by a re-screening, the earlier alert on the same
	// category and service it supersedes.
	ScreeningID     int64       `json:"screeningId"`
	PreviousAlertID string      `json:"previousAlertId,omitempty"`
	Notes           []AlertNote `json:"notes,omitempty"`
}

// AlertNote is a reviewer's note on an alert.
type AlertNote struct {
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
}

// Line is one exposure line of a screening: an attributed entity the
// transfer's counterparty side reaches, with the amount and the evidence.
type Line struct {
	Category     string       `json:"category"`
	Entity       string       `json:"entity"`
	ExposureType ExposureType `json:"exposureType"`
	Amount       int64        `json:"amount"`
	Share        float64      `json:"share"`
	Hops         int          `json:"hops"`
	Path         []string     `json:"path"`
	Address      string       `json:"address,omitempty"`
	Source       string       `json:"source"`
	// Confidence is how sure the line is (1 for an attribution; below 1 for
	// taint that crossed a CoinJoin or a mixer's payouts, as the tracer
	// scores it).
	Confidence float64 `json:"confidence"`
}

// certain is the confidence from which taint is a finding (the tracer's
// default: below it, a candidate).
const certain = 0.5
