package monitor

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultRules(t *testing.T) {
	rs := DefaultRules()
	for _, c := range []struct {
		dir  Direction
		line Line
		want Level // "" = no alert
	}{
		{Received, Line{Category: "sanctions", ExposureType: Direct, Amount: 1, Confidence: 1}, Severe},
		{Sent, Line{Category: "sanctions", ExposureType: Indirect, Amount: 1, Hops: 9, Confidence: 1}, Severe},
		{Sent, Line{Category: "sanctions", ExposureType: Indirect, Amount: 1, Hops: 9, Confidence: 0.2}, Medium},
		{Received, Line{Category: "stolen", ExposureType: Direct, Amount: 1, Confidence: 1}, Severe},
		{Received, Line{Category: "stolen", ExposureType: Indirect, Amount: 10000, Hops: 40, Confidence: 0.5}, High},
		{Received, Line{Category: "stolen", ExposureType: Indirect, Amount: 10000, Hops: 4, Confidence: 0.2}, Low},
		{Received, Line{Category: "stolen", ExposureType: Indirect, Amount: 9999, Hops: 2, Confidence: 1}, ""}, // dust
		{Received, Line{Category: "ransomware", ExposureType: Indirect, Amount: 1e6, Confidence: 1}, High},
		{Received, Line{Category: "darknet", ExposureType: Direct, Amount: 1, Confidence: 1}, High},
		{Received, Line{Category: "scam", ExposureType: Indirect, Amount: 100000, Confidence: 1}, Medium},
		{Received, Line{Category: "scam", ExposureType: Indirect, Amount: 100000, Confidence: 0.1}, ""},
		{Sent, Line{Category: "mixer", ExposureType: Direct, Amount: 1, Confidence: 1}, High},
		{Received, Line{Category: "mixer", ExposureType: Indirect, Amount: 1e6, Hops: 3, Confidence: 1}, Low},
		{Received, Line{Category: "mixer", ExposureType: Indirect, Amount: 1e6, Hops: 4, Confidence: 1}, ""},
		{Received, Line{Category: "coinjoin", ExposureType: Direct, Amount: 1e8, Confidence: 1}, Low},
		{Received, Line{Category: "coinjoin", ExposureType: Indirect, Amount: 1e8, Confidence: 1}, ""},
		{Received, Line{Category: "exchange", ExposureType: Direct, Amount: 1e8, Confidence: 1}, ""},
	} {
		got, _, ok := rs.Match(c.dir, c.line)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s %+v: %q %v, want %q", c.dir, c.line, got, ok, c.want)
		}
	}
	if rs.Version != 0 || len(rs.SHA256) != 64 {
		t.Errorf("defaults: version %d sha %q", rs.Version, rs.SHA256)
	}
}

func TestRulesHighestLevelAndDirection(t *testing.T) {
	rs, err := ParseRules("r.yaml", []byte(`version: 1
rules:
  - name: any-mixer
    category: mixer
    level: LOW
  - name: big-mixer-deposit
    category: [mixer]
    direction: received
    min_amount: 100
    level: HIGH
`))
	if err != nil {
		t.Fatal(err)
	}
	l := Line{Category: "mixer", ExposureType: Indirect, Amount: 100, Confidence: 1}
	if lv, name, _ := rs.Match(Received, l); lv != High || name != "big-mixer-deposit" {
		t.Errorf("received: %s %s", lv, name)
	}
	if lv, name, _ := rs.Match(Sent, l); lv != Low || name != "any-mixer" {
		t.Errorf("sent: %s %s", lv, name)
	}
	if rs.Rules[1].Line != 6 {
		t.Errorf("rule line %d, want 6", rs.Rules[1].Line)
	}
}

func TestRulesErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "empty rules file"},
		{"rules: [", "r.yaml"},
		{"- a\n- b\n", "r.yaml:1: want a mapping"},
		{"rulez: []\n", "r.yaml:1: unknown key \"rulez\""},
		{"version: 2\nrules: []\n", "r.yaml:1: version \"2\""},
		{"rules: []\n", "no rules"},
		{"rules:\n  - category: mixer\n", "r.yaml:2: rule \"rule-1\" has no level"},
		{"rules:\n  - level: LOW\n", "has no category"},
		{"rules:\n  - category: mixer\n    level: CRITICAL\n", "r.yaml:3: level \"CRITICAL\""},
		{"rules:\n  - category: [mixer, tumbler]\n    level: LOW\n", "r.yaml:2: unknown category \"tumbler\" (want one of exchange,"},
		{"rules:\n  - category: mixer\n    level: LOW\n    direction: in\n", "r.yaml:4: direction \"in\""},
		{"rules:\n  - category: mixer\n    level: LOW\n    exposure: both\n", "r.yaml:4: exposure \"both\""},
		{"rules:\n  - category: mixer\n    level: LOW\n    min_amount: 0.5\n", "r.yaml:4: min_amount \"0.5\""},
		{"rules:\n  - category: mixer\n    level: LOW\n    max_hops: -1\n", "r.yaml:4: max_hops"},
		{"rules:\n  - category: mixer\n    level: LOW\n    colour: red\n", "r.yaml:4: unknown key \"colour\""},
		{"rules:\n  - category: mixer\n    level: LOW\n    min_confidence: 1.5\n", "r.yaml:4: min_confidence \"1.5\""},
		{"rules:\n  - name: a\n    category: mixer\n    level: LOW\n  - name: a\n    category: scam\n    level: LOW\n", "r.yaml:5: rule name \"a\" already used on line 2"},
	} {
		_, err := ParseRules("r.yaml", []byte(c.text))
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}
