package labels

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Categories: chaintrace's one attribution vocabulary. Every stored label has
// exactly one of them; the category a source used is kept beside it
// (Label.OriginalCategory).
const (
	Exchange    = "exchange"    // custodial exchange (incl. custodial wallet services, ATMs)
	Processor   = "processor"   // payment processor
	Merchant    = "merchant"    // shop, hosting, VPN: sells goods or services for coins
	Miner       = "miner"       // mining pool or miner payouts
	Mixer       = "mixer"       // custodial mixing service (tumbler)
	CoinJoin    = "coinjoin"    // CoinJoin coordinator (fee collectors)
	Gambling    = "gambling"    // casino, dice, betting
	Darknet     = "darknet"     // darknet market or vendor shop
	Ransomware  = "ransomware"  // ransom payment addresses
	Scam        = "scam"        // scam, fraud, phishing, extortion, Ponzi
	Stolen      = "stolen"      // proceeds of a theft (hacks)
	Perpetrator = "perpetrator" // controlled by a criminal actor
	Sanctions   = "sanctions"   // on a sanctions list
	Other       = "other"       // anything else (donations, generic services, victims, …)
)

// Categories lists the vocabulary in documentation order.
var Categories = []string{Exchange, Processor, Merchant, Miner, Mixer, CoinJoin, Gambling,
	Darknet, Ransomware, Scam, Stolen, Perpetrator, Sanctions, Other}

// services are the categories naming a service that pools many users' coins:
// two of them never belong to one entity, and funds reaching one are cashed
// out or mixed (a trace stops there).
var services = map[string]bool{Exchange: true, Processor: true, Merchant: true, Miner: true,
	Mixer: true, CoinJoin: true, Gambling: true, Darknet: true}

// IsService reports whether category names a service (exchange, processor,
// merchant, miner, mixer, coinjoin, gambling, darknet): the cluster guard
// refuses to merge two different services, and a trace stops at one.
func IsService(category string) bool { return services[category] }

// IsCategory reports whether c is in the vocabulary.
func IsCategory(c string) bool {
	for _, v := range Categories {
		if v == c {
			return true
		}
	}
	return false
}

// graphSenseEntity maps GraphSense's entity concepts (the "category" field of
// a TagPack, taxonomy "entities"/"concepts") onto the vocabulary. Generic
// concepts (entity, user, service, …) map to "" and let the abuse decide.
var graphSenseEntity = map[string]string{
	"exchange": Exchange, "atm": Exchange, "defi_dex": Exchange,
	"wallet_service": Exchange, "escrow_wallet": Exchange, "ico_wallet": Exchange,
	"payment_processor": Processor,
	"shop":              Merchant, "hosting": Merchant, "vpn": Merchant,
	"miner": Miner, "mining_service": Miner,
	"mixing_service": Mixer, "mixing": Mixer,
	"coinjoin":    CoinJoin,
	"gambling":    Gambling,
	"market":      Darknet,
	"perpetrator": Perpetrator,
	// Generic or non-attributing concepts: the abuse field decides, else other.
	"entity": "", "concept": "", "organization": "", "user": "", "service": "", "victim": "",
	"donation": "", "cold_wallet": "", "hot_wallet": "", "warm_wallet": "", "filesharing": "",
	"index": "", "messaging_service": "", "search_engine": "", "faucet": "", "defi": "",
	"defi_lending": "", "defi_derivative": "", "defi_bridge": "", "item": "", "collectible": "",
	"behaviour": "", "white_usage": "", "gray_usage": "",
}

// graphSenseAbuse maps GraphSense's abuse concepts onto the vocabulary. An
// abuse decides the category when the entity concept is absent or generic.
var graphSenseAbuse = map[string]string{
	"service_hack": Stolen,
	"ransomware":   Ransomware,
	"scam":         Scam, "phishing": Scam, "investment_fraud": Scam, "ponzi_scheme": Scam,
	"pyramid_scheme": Scam, "extortion": Scam, "sextortion": Scam, "payment_card_fraud": Scam,
	"financial_crime": Scam,
	"sanction":        Sanctions,
	"dark_web":        Darknet,
	"abuse":           Perpetrator, "money_laundering": Perpetrator, "terrorism": Perpetrator,
	"extremism": Perpetrator, "sexual_abuse": Perpetrator, "child_sexual_abuse": Perpetrator,
	"violence": Perpetrator, "torture": Perpetrator,
}

// ErrCategory is wrapped by category errors.
var ErrCategory = fmt.Errorf("unknown category")

// categoryError lists the valid names.
func categoryError(field, v string) error {
	return fmt.Errorf("%w %q in %s: valid categories are %s (GraphSense concepts such as mixing_service, market, wallet_service are mapped, see docs/labels.md)",
		ErrCategory, v, field, strings.Join(Categories, ", "))
}

// MapCategory resolves a source's category and abuse to the vocabulary. A
// category already in the vocabulary is kept; a GraphSense entity concept is
// mapped; when it is absent or generic, the abuse decides; with neither, the
// result is "other". Unknown names are an error listing the valid ones.
func MapCategory(category, abuse string) (string, error) {
	c := normName(category)
	a := normName(abuse)
	var out string
	if c != "" {
		m, ok := graphSenseEntity[c]
		switch {
		case ok:
			out = m
		case IsCategory(c):
			out = c
		case graphSenseAbuse[c] != "": // an abuse given as the category (CSV)
			out = graphSenseAbuse[c]
		default:
			return "", categoryError("category", category)
		}
	}
	if out == "" && a != "" {
		m, ok := graphSenseAbuse[a]
		if !ok {
			if !IsCategory(a) {
				return "", categoryError("abuse", abuse)
			}
			m = a
		}
		out = m
	}
	if out == "" {
		out = Other
	}
	return out, nil
}

func normName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
}

// Confidence levels of GraphSense's confidence vocabulary (tagpack-tool
// confidence.csv), on its 0..100 scale. A label's Confidence is level/100.
var confidenceLevels = map[string]int{
	"override":              100,
	"ownership":             100,
	"manual_transaction":    90,
	"service_api":           70,
	"authority_data":        60,
	"trusted_provider":      50,
	"service_data":          50,
	"forensic":              50,
	"untrusted_transaction": 40,
	"web_crawl":             20,
	"heuristic":             10,
	"unknown":               5,
}

// ConfidenceNames lists GraphSense's confidence names, highest first.
func ConfidenceNames() []string {
	names := make([]string, 0, len(confidenceLevels))
	for n := range confidenceLevels {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := confidenceLevels[names[i]], confidenceLevels[names[j]]
		if a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	return names
}

// ParseConfidence reads a confidence: a number in [0,1], or a GraphSense
// confidence name (its level / 100). It returns the number and the name
// ("" for a number).
func ParseConfidence(s string) (float64, string, error) {
	s = strings.TrimSpace(s)
	if lvl, ok := confidenceLevels[normName(s)]; ok {
		return float64(lvl) / 100, normName(s), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f < 0 || f > 1 {
		return 0, "", fmt.Errorf("confidence %q: want a number from 0 to 1 or one of %s", s, strings.Join(ConfidenceNames(), ", "))
	}
	return f, "", nil
}
