package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule maps exposure lines to an alert level. Empty fields match anything.
type Rule struct {
	Name       string       `json:"name"`
	Categories []string     `json:"categories"`
	Direction  Direction    `json:"direction,omitempty"` // "" = both
	Exposure   ExposureType `json:"exposure,omitempty"`  // "" = direct and indirect
	MinAmount  int64        `json:"min_amount"`          // satoshis of exposure
	MaxHops    int          `json:"max_hops"`            // 0 = no limit
	// MinConfidence is the least confidence of a line (taint through a
	// CoinJoin or a mixer match is below 1).
	MinConfidence float64 `json:"min_confidence"`
	Level         Level   `json:"level"`
	Line          int     `json:"line"` // in the rules file
}

// Rules is a validated rule set. A line gets the highest level of the rules
// it matches; a line no rule matches raises no alert.
type Rules struct {
	Rules []Rule `json:"rules"`
	// Version is the rules version in the store (0: the built-in defaults).
	Version int64  `json:"version"`
	SHA256  string `json:"sha256"`
	Text    string `json:"-"`
}

// Match returns the level for a line of a transfer in direction dir, with
// the name of the rule that set it.
func (rs *Rules) Match(dir Direction, l Line) (Level, string, bool) {
	var best *Rule
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.matches(dir, l) && (best == nil || r.Level.Rank() > best.Level.Rank()) {
			best = r
		}
	}
	if best == nil {
		return "", "", false
	}
	return best.Level, best.Name, true
}

func (r *Rule) matches(dir Direction, l Line) bool {
	if r.Direction != "" && dir != "" && r.Direction != dir {
		return false
	}
	if r.Exposure != "" && r.Exposure != l.ExposureType {
		return false
	}
	if l.Amount < r.MinAmount || (r.MaxHops > 0 && l.Hops > r.MaxHops) || l.Confidence < r.MinConfidence {
		return false
	}
	for _, c := range r.Categories {
		if c == l.Category {
			return true
		}
	}
	return false
}

// DefaultRulesYAML is the rule set in force until `chaintrace kyt rules set`
// stores one. The comments give the reasoning (docs/kyt.md repeats it).
const DefaultRulesYAML = `# chaintrace KYT default rules. A transfer's exposure lines (category, direct or
# indirect, amount in satoshis, hops, confidence) get the highest level of the rules
# they match; a line no rule matches raises no alert. Fields: name, category (one or a
# list), direction (received|sent|any), exposure (direct|indirect|any), min_amount
# (satoshis), max_hops (0 = no limit), min_confidence (0-1), level
# (SEVERE|HIGH|MEDIUM|LOW). Confidence is 1 for an attribution and for taint the
# tracer follows with certainty; taint that crossed a CoinJoin (1/anonymity set) or
# a loosely matched mixer payout is below 0.5 (the tracer's "candidate").
rules:
  # Sanctions: dealing with a listed party is prohibited whatever the amount or
  # the number of hops, so every confident sanctions line is SEVERE. Taint that
  # only may have come from a listed party (through a CoinJoin) still needs a
  # look: MEDIUM.
  - name: sanctions
    category: sanctions
    min_confidence: 0.5
    level: SEVERE
  - name: sanctions-unconfirmed
    category: sanctions
    level: MEDIUM
  # Proceeds of a theft, a ransom, or the attacker itself: a direct counterparty
  # means the funds are the proceeds (SEVERE: freeze and report); through
  # intermediaries they are still traceable proceeds (HIGH) above dust (10,000
  # sat, which attackers spray to pollute histories). Below the tracer's
  # confidence the coins are more likely someone else's than not: a note (LOW).
  - name: illicit-direct
    category: [stolen, ransomware, perpetrator]
    exposure: direct
    min_confidence: 0.5
    level: SEVERE
  - name: illicit-indirect
    category: [stolen, ransomware, perpetrator]
    exposure: indirect
    min_amount: 10000
    min_confidence: 0.5
    level: HIGH
  - name: illicit-unconfirmed
    category: [stolen, ransomware, perpetrator]
    min_amount: 10000
    level: LOW
  # Darknet markets and scams: illicit services, but their counterparties
  # include many small buyers and victims: HIGH when direct, MEDIUM through
  # intermediaries above 0.001 BTC.
  - name: illicit-service-direct
    category: [darknet, scam]
    exposure: direct
    min_confidence: 0.5
    level: HIGH
  - name: illicit-service-indirect
    category: [darknet, scam]
    exposure: indirect
    min_amount: 100000
    min_confidence: 0.5
    level: MEDIUM
  # Custodial mixers exist to break the trail: funds straight from or to a
  # mixer are HIGH. A mixer's payouts are spent on by its customers to
  # ordinary payees, and a trace can only say the coins passed a mixer some
  # hops ago: indirect exposure (above 0.01 BTC, within 3 hops) is a note (LOW)
  # that a compliance officer can raise.
  - name: mixer-direct
    category: mixer
    exposure: direct
    level: HIGH
  - name: mixer-indirect
    category: mixer
    exposure: indirect
    min_amount: 1000000
    max_hops: 3
    level: LOW
  # CoinJoins are a privacy tool with lawful users: a direct CoinJoin output is
  # worth a note (LOW), not a review; stolen coins traced through a CoinJoin
  # show up as stolen exposure above.
  - name: coinjoin-direct
    category: coinjoin
    exposure: direct
    level: LOW
  # Gambling is lawful in some jurisdictions and not in others: LOW, for the
  # compliance officer to raise where it matters.
  - name: gambling-direct
    category: gambling
    exposure: direct
    level: LOW
`

// DefaultRules returns the built-in rule set (version 0).
func DefaultRules() *Rules {
	rs, err := ParseRules("default rules", []byte(DefaultRulesYAML))
	if err != nil {
		panic(err)
	}
	return rs
}

var ruleKeys = []string{"name", "category", "direction", "exposure", "min_amount", "max_hops", "min_confidence", "level"}

// ParseRules validates a rules file. Errors name the file and line.
func ParseRules(file string, text []byte) (*Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadInput, file, err)
	}
	fail := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrBadInput, file, n.Line, fmt.Sprintf(format, args...))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%w: %s: empty rules file (want a mapping with a \"rules\" list)", ErrBadInput, file)
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fail(top, "want a mapping with a \"rules\" list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "rules":
			list = v
		case "version":
			if v.Value != "1" {
				return nil, fail(v, "version %q: only version 1 is known", v.Value)
			}
		default:
			return nil, fail(k, "unknown key %q (want rules, version)", k.Value)
		}
	}
	if list == nil {
		return nil, fail(top, "no \"rules\" list")
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list, "\"rules\" must be a list of rules")
	}
	rs := &Rules{Text: string(text)}
	names := map[string]int{}
	for i, rn := range list.Content {
		if rn.Kind != yaml.MappingNode {
			return nil, fail(rn, "rule %d: want a mapping with %s", i+1, strings.Join(ruleKeys, ", "))
		}
		r := Rule{Line: rn.Line, Name: "rule-" + strconv.Itoa(i+1)}
		var haveCat, haveLevel bool
		for j := 0; j+1 < len(rn.Content); j += 2 {
			k, v := rn.Content[j], rn.Content[j+1]
			scalar := func() (string, error) {
				if v.Kind != yaml.ScalarNode {
					return "", fail(v, "%s: want a single value", k.Value)
				}
				return strings.TrimSpace(v.Value), nil
			}
			var s string
			var err error
			if k.Value != "category" {
				if s, err = scalar(); err != nil {
					return nil, err
				}
			}
			switch k.Value {
			case "name":
				if s == "" {
					return nil, fail(v, "name: empty")
				}
				r.Name = s
			case "category":
				haveCat = true
				var cats []string
				switch v.Kind {
				case yaml.ScalarNode:
					cats = []string{v.Value}
				case yaml.SequenceNode:
					for _, c := range v.Content {
						if c.Kind != yaml.ScalarNode {
							return nil, fail(c, "category: want names")
						}
						cats = append(cats, c.Value)
					}
				default:
					return nil, fail(v, "category: want a name or a list of names")
				}
				if len(cats) == 0 {
					return nil, fail(v, "category: empty list")
				}
				for _, c := range cats {
					if !IsCategory(c) {
						return nil, fail(v, "unknown category %q (want one of %s)", c, strings.Join(Categories, ", "))
					}
				}
				r.Categories = cats
			case "direction":
				switch s {
				case "any", "":
				case string(Received), string(Sent):
					r.Direction = Direction(s)
				default:
					return nil, fail(v, "direction %q: want received, sent or any", s)
				}
			case "exposure":
				switch s {
				case "any", "":
				case string(Direct), string(Indirect):
					r.Exposure = ExposureType(s)
				default:
					return nil, fail(v, "exposure %q: want direct, indirect or any", s)
				}
			case "min_amount":
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || n < 0 {
					return nil, fail(v, "min_amount %q: want a whole number of satoshis ≥ 0", s)
				}
				r.MinAmount = n
			case "max_hops":
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 1000 {
					return nil, fail(v, "max_hops %q: want a whole number from 0 (no limit) to 1000", s)
				}
				r.MaxHops = n
			case "min_confidence":
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || f < 0 || f > 1 {
					return nil, fail(v, "min_confidence %q: want a number from 0 to 1", s)
				}
				r.MinConfidence = f
			case "level":
				l := Level(s)
				if l.Rank() == 0 {
					return nil, fail(v, "level %q: want SEVERE, HIGH, MEDIUM or LOW", s)
				}
				r.Level, haveLevel = l, true
			default:
				return nil, fail(k, "unknown key %q (want %s)", k.Value, strings.Join(ruleKeys, ", "))
			}
		}
		if !haveCat {
			return nil, fail(rn, "rule %q has no category", r.Name)
		}
		if !haveLevel {
			return nil, fail(rn, "rule %q has no level", r.Name)
		}
		if at, dup := names[r.Name]; dup {
			return nil, fail(rn, "rule name %q already used on line %d", r.Name, at)
		}
		names[r.Name] = r.Line
		rs.Rules = append(rs.Rules, r)
	}
	if len(rs.Rules) == 0 {
		return nil, fmt.Errorf("%w: %s: no rules (an empty list would raise no alert at all)", ErrBadInput, file)
	}
	sum := sha256.Sum256(text)
	rs.SHA256 = hex.EncodeToString(sum[:])
	return rs, nil
}
