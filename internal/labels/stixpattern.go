package labels

import (
	"errors"
	"fmt"
	"strings"
)

// A small parser for STIX 2.1 patterns (STIX 2.1 §9, the patterning
// grammar): observation expressions joined by AND, OR and FOLLOWEDBY with
// WITHIN/REPEATS/START…STOP qualifiers, comparison expressions joined by AND
// and OR, comparisons with =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET,
// ISSUPERSET, EXISTS and NOT. It returns every comparison; the STIX reader
// keeps the positive = and IN comparisons of wallet addresses.

// walletPaths are the object paths whose values are cryptocurrency addresses.
var walletPaths = map[string]bool{
	"cryptocurrency-wallet:value":           true,
	"x-cryptocurrency-wallet:value":         true,
	"x-opencti-cryptocurrency-wallet:value": true,
	"x-crypto:value":                        true,
}

// comparison is one property test of a pattern.
type comparison struct {
	objectType string   // "cryptocurrency-wallet"
	path       string   // "cryptocurrency-wallet:value"
	op         string   // "=", "IN", "LIKE", "EXISTS", …
	negated    bool     // NOT
	values     []string // string literals compared against (= and IN)
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString // '…' (value unescaped); also t'…', h'…', b'…' with prefix kept in lit
	tokNumber
	tokPunct // [ ] ( ) , : . and operators
)

type token struct {
	kind tokKind
	text string // identifier, punctuation/operator, number text, or string value
	pos  int
}

// tokenize splits a pattern into tokens.
func tokenize(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || (c == 't' || c == 'h' || c == 'b') && i+1 < len(s) && s[i+1] == '\'' && !identByte(prevByte(s, i)):
			start := i
			if c != '\'' {
				i++
			}
			i++ // opening quote
			var b strings.Builder
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if ch == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string at offset %d", start)
			}
			kind := tokString
			text := b.String()
			if c != '\'' {
				text = string(c) + "'" + text // typed literal: not an address string
				kind = tokNumber
			}
			out = append(out, token{kind: kind, text: text, pos: start})
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			start := i
			i++
			for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
				i++
			}
			out = append(out, token{kind: tokNumber, text: s[start:i], pos: start})
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			start := i
			for i < len(s) && identByte(s[i]) {
				i++
			}
			out = append(out, token{kind: tokIdent, text: s[start:i], pos: start})
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				out = append(out, token{kind: tokPunct, text: s[i : i+2], pos: i})
				i += 2
			} else if c == '!' {
				return nil, fmt.Errorf("unexpected %q at offset %d", c, i)
			} else {
				out = append(out, token{kind: tokPunct, text: string(c), pos: i})
				i++
			}
		case strings.IndexByte("[](),:.=*", c) >= 0:
			out = append(out, token{kind: tokPunct, text: string(c), pos: i})
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", c, i)
		}
	}
	return append(out, token{kind: tokEOF, pos: len(s)}), nil
}

func identByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func prevByte(s string, i int) byte {
	if i == 0 {
		return ' '
	}
	return s[i-1]
}

type patternParser struct {
	toks []token
	i    int
	out  []comparison
}

// parsePattern parses a STIX pattern and returns its comparisons.
func parsePattern(s string) ([]comparison, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &patternParser{toks: toks}
	if err := p.observations(); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t, "end of pattern")
	}
	return p.out, nil
}

func (p *patternParser) peek() token { return p.toks[p.i] }
func (p *patternParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *patternParser) is(kind tokKind, text string) bool {
	t := p.peek()
	return t.kind == kind && t.text == text
}

func (p *patternParser) expect(kind tokKind, text string) error {
	if !p.is(kind, text) {
		return p.unexpected(p.peek(), fmt.Sprintf("%q", text))
	}
	p.next()
	return nil
}

func (p *patternParser) unexpected(t token, want string) error {
	got := fmt.Sprintf("%q", t.text)
	if t.kind == tokEOF {
		got = "end of pattern"
	}
	return fmt.Errorf("at offset %d: want %s, got %s", t.pos, want, got)
}

// observations: observation {(AND|OR|FOLLOWEDBY) observation}
func (p *patternParser) observations() error {
	if err := p.observation(); err != nil {
		return err
	}
	for p.is(tokIdent, "AND") || p.is(tokIdent, "OR") || p.is(tokIdent, "FOLLOWEDBY") {
		p.next()
		if err := p.observation(); err != nil {
			return err
		}
	}
	return nil
}

// observation: '[' comparisons ']' qualifiers | '(' observations ')' qualifiers
func (p *patternParser) observation() error {
	switch {
	case p.is(tokPunct, "["):
		p.next()
		if err := p.comparisons(); err != nil {
			return err
		}
		if err := p.expect(tokPunct, "]"); err != nil {
			return err
		}
	case p.is(tokPunct, "("):
		p.next()
		if err := p.observations(); err != nil {
			return err
		}
		if err := p.expect(tokPunct, ")"); err != nil {
			return err
		}
	default:
		return p.unexpected(p.peek(), `"[" starting an observation`)
	}
	return p.qualifiers()
}

// qualifiers: {WITHIN n SECONDS | REPEATS n TIMES | START t'…' STOP t'…'}
func (p *patternParser) qualifiers() error {
	for {
		switch {
		case p.is(tokIdent, "WITHIN"):
			p.next()
			if t := p.next(); t.kind != tokNumber {
				return p.unexpected(t, "a number of seconds")
			}
			if err := p.expect(tokIdent, "SECONDS"); err != nil {
				return err
			}
		case p.is(tokIdent, "REPEATS"):
			p.next()
			if t := p.next(); t.kind != tokNumber {
				return p.unexpected(t, "a repeat count")
			}
			if err := p.expect(tokIdent, "TIMES"); err != nil {
				return err
			}
		case p.is(tokIdent, "START"):
			p.next()
			if t := p.next(); t.kind != tokNumber || !strings.HasPrefix(t.text, "t'") {
				return p.unexpected(t, "a timestamp t'…'")
			}
			if err := p.expect(tokIdent, "STOP"); err != nil {
				return err
			}
			if t := p.next(); t.kind != tokNumber || !strings.HasPrefix(t.text, "t'") {
				return p.unexpected(t, "a timestamp t'…'")
			}
		default:
			return nil
		}
	}
}

// comparisons: and {OR and}
func (p *patternParser) comparisons() error {
	if err := p.comparisonAnd(); err != nil {
		return err
	}
	for p.is(tokIdent, "OR") {
		p.next()
		if err := p.comparisonAnd(); err != nil {
			return err
		}
	}
	return nil
}

// comparisonAnd: test {AND test}
func (p *patternParser) comparisonAnd() error {
	if err := p.test(); err != nil {
		return err
	}
	for p.is(tokIdent, "AND") {
		p.next()
		if err := p.test(); err != nil {
			return err
		}
	}
	return nil
}

var compareOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// test: '(' comparisons ')' | EXISTS path | path [NOT] op value | path [NOT] IN (values) | path [NOT] LIKE|MATCHES|ISSUBSET|ISSUPERSET string
func (p *patternParser) test() error {
	if p.is(tokPunct, "(") {
		p.next()
		if err := p.comparisons(); err != nil {
			return err
		}
		return p.expect(tokPunct, ")")
	}
	if p.is(tokIdent, "EXISTS") {
		p.next()
		c, err := p.objectPath()
		if err != nil {
			return err
		}
		c.op = "EXISTS"
		p.out = append(p.out, c)
		return nil
	}
	c, err := p.objectPath()
	if err != nil {
		return err
	}
	if p.is(tokIdent, "NOT") {
		p.next()
		c.negated = true
	}
	t := p.next()
	switch {
	case t.kind == tokPunct && compareOps[t.text]:
		c.op = t.text
		v, err := p.literal()
		if err != nil {
			return err
		}
		if v.kind == tokString {
			c.values = []string{v.text}
		}
	case t.kind == tokIdent && t.text == "IN":
		c.op = "IN"
		if err := p.expect(tokPunct, "("); err != nil {
			return err
		}
		for {
			v, err := p.literal()
			if err != nil {
				return err
			}
			if v.kind == tokString {
				c.values = append(c.values, v.text)
			}
			if p.is(tokPunct, ",") {
				p.next()
				continue
			}
			break
		}
		if err := p.expect(tokPunct, ")"); err != nil {
			return err
		}
	case t.kind == tokIdent && (t.text == "LIKE" || t.text == "MATCHES" || t.text == "ISSUBSET" || t.text == "ISSUPERSET"):
		c.op = t.text
		if v := p.next(); v.kind != tokString {
			return p.unexpected(v, "a string")
		}
	default:
		return p.unexpected(t, "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
	}
	p.out = append(p.out, c)
	return nil
}

// literal: a string, number, boolean or typed literal.
func (p *patternParser) literal() (token, error) {
	t := p.next()
	switch {
	case t.kind == tokString || t.kind == tokNumber:
		return t, nil
	case t.kind == tokIdent && (t.text == "true" || t.text == "false"):
		return t, nil
	}
	return t, p.unexpected(t, "a value")
}

// objectPath: type ':' step {'.' step | '[' index ']'}
func (p *patternParser) objectPath() (comparison, error) {
	t := p.next()
	if t.kind != tokIdent {
		return comparison{}, p.unexpected(t, "an object path such as cryptocurrency-wallet:value")
	}
	c := comparison{objectType: t.text}
	if err := p.expect(tokPunct, ":"); err != nil {
		return c, err
	}
	var b strings.Builder
	b.WriteString(t.text + ":")
	step := p.next()
	if step.kind != tokIdent && step.kind != tokString {
		return c, p.unexpected(step, "a property name")
	}
	b.WriteString(step.text)
	for {
		switch {
		case p.is(tokPunct, "."):
			p.next()
			s := p.next()
			if s.kind != tokIdent && s.kind != tokString {
				return c, p.unexpected(s, "a property name")
			}
			b.WriteString("." + s.text)
		case p.is(tokPunct, "["):
			p.next()
			s := p.next()
			if !(s.kind == tokNumber || s.kind == tokPunct && s.text == "*") {
				return c, p.unexpected(s, "a list index or *")
			}
			b.WriteString("[" + s.text + "]")
			if err := p.expect(tokPunct, "]"); err != nil {
				return c, err
			}
		default:
			c.path = b.String()
			return c, nil
		}
	}
}

// walletAddresses returns the addresses a pattern's positive = and IN
// comparisons give for wallet paths, and the object types of its other
// comparisons.
func walletAddresses(pattern string) (addrs []string, otherTypes []string, err error) {
	cs, err := parsePattern(pattern)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cs {
		if walletPaths[c.path] && !c.negated && (c.op == "=" || c.op == "IN") {
			addrs = append(addrs, c.values...)
			continue
		}
		otherTypes = append(otherTypes, c.objectType)
	}
	if len(addrs) == 0 && len(otherTypes) == 0 {
		return nil, nil, errors.New("no comparisons")
	}
	return addrs, otherTypes, nil
}
