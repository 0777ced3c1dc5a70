package labels

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// checkRecords asserts what every reader promises on any input: no panic,
// errors are located InputErrors (or reader errors), and every record's line
// lies inside the input.
func checkRecords(t *testing.T, data []byte, recs []record, err error) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	var ie *InputError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("error is not an InputError: %v", err)
	}
	if ie != nil && (ie.Line < 0 || ie.Line > lines) {
		t.Fatalf("error at line %d of a %d-line input: %v", ie.Line, lines, err)
	}
	for _, r := range recs {
		if r.line < 1 || r.line > lines {
			t.Fatalf("record at line %d of a %d-line input", r.line, lines)
		}
	}
}

func FuzzTagPack(f *testing.F) {
	f.Add([]byte("title: t\ncurrency: BTC\nlabel: x\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n  category: exchange\n"))
	f.Add([]byte("title: t\ntags:\n  - address: a\n    label: |\n      multi\n\n      line\n  - {address: b}\nsource: s\n"))
	f.Add([]byte("tags: [{address: a, label: b}]\n"))
	f.Add([]byte("---\ntitle: t\ntags:\n- address: a\n...\n"))
	if b, err := os.ReadFile("../../../shared/data/labels/tagpacks/lazarus2.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []record
		_, err := readTagPack("f.yaml", bytes.NewReader(data), func(r record) error { recs = append(recs, r); return nil })
		checkRecords(t, data, recs, err)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("address,label,category,source,confidence\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,x,exchange,s,0.5\n"))
	f.Add([]byte("address,year,label\n\"a\nb\",2017,c\n"))
	f.Add([]byte("\ufeffAddress;Label\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []record
		_, _, err := readCSV("f.csv", bytes.NewReader(data), nil, func(r record) error { recs = append(recs, r); return nil })
		checkRecords(t, data, recs, err)
	})
}

func FuzzSTIX(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[x-crypto:value = 'a' OR x-crypto:value = 'b']","pattern_type":"stix"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"relationship","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"threat-actor--1"},{"type":"threat-actor","id":"threat-actor--1","name":"x"}]}`))
	f.Add([]byte(`{"objects":[],"type":"bundle","id":"bundle--1"}`))
	if b, err := os.ReadFile("testdata/dprk-advisory.stix.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []record
		_, err := readSTIX("f.json", bytes.NewReader(data), func(r record) error { recs = append(recs, r); return nil })
		checkRecords(t, data, recs, err)
	})
}

// FuzzPattern: the pattern parser never panics, and the addresses it finds
// are string literals of the pattern.
func FuzzPattern(f *testing.F) {
	for _, p := range []string{
		"[cryptocurrency-wallet:value = 'a']",
		"([x-crypto:value IN ('a', 'b')] AND [x:y NOT LIKE 'c']) WITHIN 5 SECONDS",
		"[file:hashes.'SHA-256' = 'x' OR a:b[*].c > -1.5] START t'2020' STOP t'2021' REPEATS 3 TIMES",
		"[x-crypto:value = 'it\\'s']",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		addrs, _, err := walletAddresses(p)
		if err != nil {
			return
		}
		for _, a := range addrs {
			if !bytes.Contains([]byte(p), []byte(a)) && !bytes.Contains([]byte(p), []byte("\\")) {
				t.Fatalf("address %q is not in pattern %q", a, p)
			}
		}
	})
}
