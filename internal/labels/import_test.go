package labels

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
	"gopkg.in/yaml.v3"
)

func openTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fileInput(t testing.TB, format, path string) Input {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return Input{Name: path, Format: format, R: f}
}

func textInput(name, format, text string) Input {
	return Input{Name: name, Format: format, R: strings.NewReader(text)}
}

func mustImport(t *testing.T, s *Store, opts ImportOptions, in ...Input) *Summary {
	t.Helper()
	sum, err := s.Import(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func count(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// packFacts counts a pack's tags by a plain YAML decode, independently of the
// streaming reader: all tags, the Bitcoin ones (currency of the tag, else of
// the header), the distinct Bitcoin (address, label, category, abuse, source)
// tuples, and the other currencies' tags.
type packFacts struct {
	tags, btc, distinct, other int
}

func factsOf(t *testing.T, path string) packFacts {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(tag map[string]any, k string) string {
		if v, ok := tag[k]; ok && v != nil {
			return strings.TrimSpace(toString(v))
		}
		if v, ok := doc[k]; ok && v != nil {
			return strings.TrimSpace(toString(v))
		}
		return ""
	}
	var f packFacts
	seen := map[string]bool{}
	for _, raw := range doc["tags"].([]any) {
		tag := raw.(map[string]any)
		f.tags++
		if cur := strings.ToUpper(get(tag, "currency")); cur != "BTC" {
			f.other++
			continue
		}
		f.btc++
		k := strings.Join([]string{get(tag, "address"), get(tag, "label"), get(tag, "category"), get(tag, "abuse"), get(tag, "source")}, "|")
		seen[k] = true
	}
	f.distinct = len(seen)
	return f
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	default:
		b, _ := yaml.Marshal(x)
		return strings.TrimSpace(string(b))
	}
}

// The ten real GraphSense packs import with the counts a plain decode of
// each file gives.
func TestRealTagPacks(t *testing.T) {
	dir := testutil.SharedFile(t, "data/labels/tagpacks")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) != 10 {
		t.Fatalf("want the 10 shared packs, found %d (%v)", len(files), err)
	}
	s := openTestStore(t, Options{})
	total := 0
	for _, path := range files {
		facts := factsOf(t, path)
		sum := mustImport(t, s, ImportOptions{}, fileInput(t, FormatTagPack, path))
		fs := sum.Files[0]
		skipped := 0
		for _, n := range fs.SkippedCurrency {
			skipped += n
		}
		if fs.Records != facts.tags || fs.Stored != facts.distinct || fs.Existing != facts.btc-facts.distinct || skipped != facts.other {
			t.Errorf("%s: read %d stored %d existing %d skipped %d; the file has %d tags, %d Bitcoin (%d distinct), %d of other currencies",
				filepath.Base(path), fs.Records, fs.Stored, fs.Existing, skipped, facts.tags, facts.btc, facts.distinct, facts.other)
		}
		total += fs.Stored
		t.Logf("%-36s tags %4d  stored %4d  other currencies %3d", filepath.Base(path), fs.Records, fs.Stored, skipped)
	}
	if n := count(t, s); n != total {
		t.Errorf("store holds %d labels, imports stored %d", n, total)
	}
	ctx := context.Background()
	// Facts stated in the files themselves.
	ls, err := s.LabelsOf(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3") // blender_io.yaml
	if err != nil || len(ls) != 1 {
		t.Fatalf("Blender.io address: %+v %v", ls, err)
	}
	l := ls[0]
	if l.Label != "Blender.io" || l.Category != Mixer || l.OriginalCategory != "mixing_service" || l.Confidence != 0.6 ||
		l.ConfidenceName != "authority_data" || l.Actor != "blenderio" || l.Dataset != "blender_io.yaml" ||
		l.Source != "https://home.treasury.gov/policy-issues/financial-sanctions/recent-actions/20220506" || l.Line == 0 {
		t.Errorf("Blender.io label: %+v", l)
	}
	// binance_hack.yaml: no category, abuse service_hack → stolen; per-tag is_cluster_definer.
	ls, _ = s.LabelsOf(ctx, "14QZ2wB8b8ZQNgb978Lwptdc8Vhv5aZQM2")
	if len(ls) != 1 || ls[0].Category != Stolen || ls[0].OriginalCategory != "/service_hack" || !ls[0].IsClusterDefiner || ls[0].Label != "binance hack" {
		t.Errorf("Binance hack label: %+v", ls)
	}
	ls, _ = s.LabelsOf(ctx, "17Bmh2aNne8sR9kRwMwDzWHAYeZaZPRm28")
	if len(ls) != 1 || ls[0].IsClusterDefiner {
		t.Errorf("tag's own is_cluster_definer: false not kept: %+v", ls)
	}
	// lazarus.yaml: category user + abuse sanction → sanctions.
	ls, _ = s.LabelsOf(ctx, "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak")
	if len(ls) != 1 || ls[0].Category != Sanctions || ls[0].OriginalCategory != "user/sanction" {
		t.Errorf("Lazarus label: %+v", ls)
	}
	// bech32 addresses are stored in canonical lower case and found in upper case too.
	ls, _ = s.LabelsOf(ctx, strings.ToUpper("bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew"))
	if len(ls) != 1 || ls[0].Category != CoinJoin || ls[0].Address != "bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew" {
		t.Errorf("Wasabi fee collector: %+v", ls)
	}
	// Importing every pack again changes nothing.
	var again []Input
	for _, p := range files {
		again = append(again, fileInput(t, FormatTagPack, p))
	}
	sum := mustImport(t, s, ImportOptions{}, again...)
	if sum.Stored != 0 || sum.Existing != total || count(t, s) != total {
		t.Errorf("re-import: stored %d existing %d, store %d (want 0, %d, %d)", sum.Stored, sum.Existing, count(t, s), total, total)
	}
}

// The BitcoinHeist sample has the columns address,year,…,label: it imports
// with --category ransomware; the other columns are named as ignored, and an
// address listed in several rows with one family is one label.
func TestRansomwareCSV(t *testing.T) {
	path := testutil.SharedFile(t, "data/labels/bitcoinheist-ransomware-sample.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	pairs := map[[2]string]bool{}
	for _, r := range rows[1:] {
		pairs[[2]string{r[0], r[9]}] = true
	}
	s := openTestStore(t, Options{})
	sum := mustImport(t, s, ImportOptions{Defaults: Defaults{Category: "ransomware", Source: "BitcoinHeist", Confidence: "forensic"}},
		fileInput(t, FormatCSV, path))
	fs := sum.Files[0]
	if fs.Records != len(rows)-1 || fs.Stored != len(pairs) || fs.Existing != len(rows)-1-len(pairs) {
		t.Errorf("read %d stored %d existing %d; the file has %d rows, %d distinct (address, family)", fs.Records, fs.Stored, fs.Existing, len(rows)-1, len(pairs))
	}
	if strings.Join(fs.IgnoredColumns, ",") != "year,day,length,weight,count,looped,neighbors,income" {
		t.Errorf("ignored columns %v", fs.IgnoredColumns)
	}
	ls, err := s.LabelsOf(context.Background(), rows[1][0])
	if err != nil || len(ls) != 1 || ls[0].Label != rows[1][9] || ls[0].Category != Ransomware || ls[0].Source != "BitcoinHeist" || ls[0].Confidence != 0.5 || ls[0].Line != 2 {
		t.Errorf("%s: %+v %v", rows[1][0], ls, err)
	}
}

// A STIX bundle modelled on the joint DPRK advisories: the six Bitcoin
// addresses of the FBI's August 2023 release (also in lazarus2.yaml) under
// four wallet object types, with = , IN and OR; other indicators skipped and
// counted.
func TestSTIXBundle(t *testing.T) {
	s := openTestStore(t, Options{})
	sum := mustImport(t, s, ImportOptions{}, fileInput(t, FormatSTIX, "testdata/dprk-advisory.stix.json"))
	fs := sum.Files[0]
	wantSkipped := map[string]int{"domain-name": 1, "file": 1, "ipv4-addr": 1, "pattern_type yara": 1}
	if fs.Indicators != 9 || fs.Stored != 6 || fs.SkippedCurrency["other:evm"] != 1 || !equalCounts(fs.SkippedIndicators, wantSkipped) {
		t.Errorf("summary %+v", fs)
	}
	// The same six addresses as GraphSense's pack of the same release.
	facts := map[string]bool{}
	b, err := os.ReadFile(testutil.SharedFile(t, "data/labels/tagpacks/lazarus2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pack struct{ Tags []struct{ Address string } }
	if err := yaml.Unmarshal(b, &pack); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, tag := range pack.Tags {
		facts[tag.Address] = true
		addrs = append(addrs, tag.Address)
	}
	got, err := s.Lookup(context.Background(), addrs)
	if err != nil || len(got) != 6 {
		t.Fatalf("look-up of the pack's addresses: %d found, %v", len(got), err)
	}
	byRef := map[string]Label{}
	for a, ls := range got {
		if !facts[a] || len(ls) != 1 || ls[0].Category != Perpetrator || ls[0].Format != FormatSTIX {
			t.Errorf("%s: %+v", a, ls)
		}
		byRef[ls[0].Address] = ls[0]
	}
	if l := byRef["3LU8wRu4ZnXP4UM8Yo6kkTiGHM9BubgyiG"]; l.Label != "Lazarus Group" || l.Actor != "Lazarus Group" ||
		l.Source != "https://www.fbi.gov/news/press-releases/fbi-identifies-cryptocurrency-funds-stolen-by-dprk" ||
		l.Ref != "indicator--0b6a2d5e-4c43-4b6a-9a7e-000000000001" || l.Line != 26 || l.Confidence != 0.05 {
		t.Errorf("first indicator's label: %+v", l)
	}
	if l := byRef["39idqitN9tYNmq3wYanwg3MitFB5TZCjWu"]; l.Line != 52 || l.Ref != "indicator--0b6a2d5e-4c43-4b6a-9a7e-000000000002" {
		t.Errorf("second indicator's label: %+v", l)
	}
	if l := byRef["34VXKa5upLWVYMXmgid6bFM4BaQXHxSUoL"]; l.Confidence != 0.85 || l.Label != "Lazarus Group" {
		t.Errorf("IN indicator with confidence 85: %+v", l)
	}
	if l := byRef["3NbdrezMzAVVfXv5MTQJn4hWqKhYCTCJoB"]; l.Label != "DPRK-controlled Bitcoin addresses" || l.Source != "Federal Bureau of Investigation" {
		t.Errorf("indicator without relationship or reference: %+v", l)
	}
	// The address under NOT is not a label.
	if ls, _ := s.LabelsOf(context.Background(), "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); len(ls) != 0 {
		t.Errorf("negated comparison imported: %+v", ls)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Every failing import names the file and line and leaves the store as it
// was, including the good files imported in the same call.
func TestFailingImportChangesNothing(t *testing.T) {
	s := openTestStore(t, Options{})
	good := "address,label,category,source,confidence\n1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat,other,test,0.9\n"
	mustImport(t, s, ImportOptions{}, textInput("seed.csv", FormatCSV, good))
	before := count(t, s)
	gen, _ := s.generation(context.Background())
	goodPack := "title: t\ncurrency: BTC\ncategory: exchange\nlabel: X\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n"
	cases := []struct {
		name, format, text, want string
	}{
		{"bad-checksum.yaml", FormatTagPack, "title: t\ncurrency: BTC\nlabel: x\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH\n",
			"bad-checksum.yaml:6: address"},
		{"testnet.yaml", FormatTagPack, "title: t\nlabel: x\ntags:\n  - address: mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn\n    currency: BTC\n",
			"testnet.yaml:4: address: parse address \"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn\": address is for testnet"},
		{"category.yaml", FormatTagPack, "title: t\nlabel: x\ncurrency: BTC\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n  category: bakery\n",
			"category.yaml:5: category: unknown category \"bakery\" in category: valid categories are exchange, processor, merchant, miner, mixer, coinjoin, gambling, darknet, ransomware, scam, stolen, perpetrator, sanctions, other"},
		{"malformed.yaml", FormatTagPack, "title: t\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n  label: [unclosed\n",
			"malformed.yaml:3: malformed YAML: did not find expected ',' or ']'"},
		{"header.yaml", FormatTagPack, "title: [t\nlabel: x\ntags:\n- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n",
			"header.yaml:1: malformed YAML"},
		{"notags.yaml", FormatTagPack, "title: t\n", "notags.yaml: tags: missing"},
		{"confidence.csv", FormatCSV, "address,label,category,source,confidence\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,x,exchange,s,1.5\n",
			"confidence.csv:2: confidence: confidence \"1.5\": want a number from 0 to 1 or one of override, ownership"},
		{"quote.csv", FormatCSV, "address,label,category,source,confidence\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,x,exchange,s,0.5\n1BoatSLRHtKNngkdXEeobR76b53LETtpyT,\"x,exchange,s,0.5\n",
			"quote.csv:3: malformed CSV"},
		{"fields.csv", FormatCSV, "address,label,category\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,x\n", "fields.csv:2: 2 fields, the header has 3"},
		{"noaddress.csv", FormatCSV, "label,category\nx,exchange\n", "noaddress.csv:1: no address column"},
		{"json.stix", FormatSTIX, "{\"type\": \"bundle\", \"objects\": [\n{\"type\": \"indicator\", \"pattern\": \"[x-crypto:value = '1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG']\"},\n{\"type\": \"indicator\",, }\n]}",
			"json.stix:3: malformed JSON"},
		{"pattern.stix", FormatSTIX, "{\"type\": \"bundle\", \"objects\": [\n{\"type\": \"indicator\", \"id\": \"indicator--1\",\n \"pattern\": \"[x-crypto:value = '1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG'\"}\n]}",
			"json.stix:2: indicator indicator--1 pattern: at offset 53: want \"]\", got end of pattern"},
		{"notbundle.stix", FormatSTIX, "[]", "notbundle.stix:1: a STIX bundle is a JSON object"},
	}
	for _, c := range cases {
		_, err := s.Import(context.Background(), []Input{textInput("good.yaml", FormatTagPack, goodPack), textInput(c.name, c.format, c.text)}, ImportOptions{})
		if c.name == "pattern.stix" {
			c.want = strings.Replace(c.want, "json.stix", "pattern.stix", 1)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
		if n := count(t, s); n != before {
			t.Errorf("%s: store holds %d labels after a failed import, %d before", c.name, n, before)
		}
	}
	if g, _ := s.generation(context.Background()); g != gen {
		t.Errorf("generation moved from %d to %d without a successful change", gen, g)
	}
	if _, err := s.Import(context.Background(), []Input{textInput("x", "xml", "")}, ImportOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

// delete --source removes by a label's source or by its dataset.
func TestDelete(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := context.Background()
	mustImport(t, s, ImportOptions{Dataset: "mine"}, textInput("a.csv", FormatCSV,
		"address,label,category,source,confidence\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Huobi,exchange,https://a.example,service_data\n1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat,other,https://b.example,0.3\n"))
	mustImport(t, s, ImportOptions{}, textInput("b.csv", FormatCSV,
		"address,label,category,source,confidence\n1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat,scam,https://c.example,0.3\n"))
	if n, err := s.Delete(ctx, "https://a.example"); err != nil || n != 1 {
		t.Errorf("delete by source: %d %v", n, err)
	}
	if n, err := s.Delete(ctx, "mine"); err != nil || n != 1 {
		t.Errorf("delete by dataset: %d %v", n, err)
	}
	if n, err := s.Delete(ctx, "nothing"); err != nil || n != 0 {
		t.Errorf("delete of nothing: %d %v", n, err)
	}
	ls, _ := s.LabelsOf(ctx, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
	if len(ls) != 1 || ls[0].Dataset != "b.csv" || ls[0].Category != Scam {
		t.Errorf("left: %+v", ls)
	}
}

// Header fields apply to every tag unless the tag sets its own, in flow
// style too; other currencies are counted.
func TestTagPackInheritance(t *testing.T) {
	block := `title: test
# a comment
label: Header Label
category: exchange
confidence: web_crawl
currency: BTC
tags:
  - address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG
  - address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT
    label: Own Label
    category: gambling
    confidence: 0.9
    description: |
      a block scalar

      # not a comment
      with a blank line
    # a comment
  - address: '0x742d35Cc6634C0532925a3b844Bc454e4438f44e'
    currency: ETH
source: https://source.example
`
	for name, text := range map[string]string{"block": block, "flow": "title: test\nlabel: Header Label\ncategory: exchange\nconfidence: web_crawl\ncurrency: BTC\nsource: https://source.example\ntags: [{address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG}, {address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, label: Own Label, category: gambling, confidence: 0.9}, {address: '0x742d35Cc6634C0532925a3b844Bc454e4438f44e', currency: ETH}]\n"} {
		s := openTestStore(t, Options{})
		sum := mustImport(t, s, ImportOptions{}, textInput(name+".yaml", FormatTagPack, text))
		if fs := sum.Files[0]; fs.Records != 3 || fs.Stored != 2 || fs.SkippedCurrency["ETH"] != 1 {
			t.Errorf("%s: %+v", name, fs)
		}
		m, err := s.Lookup(context.Background(), []string{"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"})
		if err != nil {
			t.Fatal(err)
		}
		a, b := m["1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG"], m["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"]
		if len(a) != 1 || a[0].Label != "Header Label" || a[0].Category != Exchange || a[0].Confidence != 0.2 || a[0].Source != "https://source.example" {
			t.Errorf("%s: inherited: %+v", name, a)
		}
		if len(b) != 1 || b[0].Label != "Own Label" || b[0].Category != Gambling || b[0].Confidence != 0.9 || b[0].ConfidenceName != "" {
			t.Errorf("%s: own fields: %+v", name, b)
		}
	}
}

// Newer packs give "concepts" (a list) and "network" instead of category and
// currency: the first concept that names a category stands in for it.
func TestTagPackConcepts(t *testing.T) {
	s := openTestStore(t, Options{})
	pack := "title: t\nnetwork: btc\nconfidence: forensic\nlabel: L\ntags:\n" +
		"- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG\n  concepts: [hot_wallet, exchange]\n" +
		"- address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n  concepts:\n  - donation\n" +
		"- address: 1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa\n  concepts: [exchange]\n  category: mixing_service\n" +
		"- address: '0x742d35Cc6634C0532925a3b844Bc454e4438f44e'\n  network: eth\n  concepts: [exchange]\n"
	sum := mustImport(t, s, ImportOptions{}, textInput("c.yaml", FormatTagPack, pack))
	if fs := sum.Files[0]; fs.Stored != 3 || fs.SkippedCurrency["ETH"] != 1 {
		t.Fatalf("%+v", fs)
	}
	m, _ := s.Lookup(context.Background(), []string{"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa"})
	if l := m["1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG"]; len(l) != 1 || l[0].Category != Exchange {
		t.Errorf("concepts [hot_wallet, exchange]: %+v", l)
	}
	if l := m["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"]; len(l) != 1 || l[0].Category != Other {
		t.Errorf("concepts [donation]: %+v", l)
	}
	if l := m["1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa"]; len(l) != 1 || l[0].Category != Mixer {
		t.Errorf("category wins over concepts: %+v", l)
	}
}

// MapCategory follows the mapping table in docs/labels.md.
func TestMapCategory(t *testing.T) {
	for _, c := range []struct{ cat, abuse, want string }{
		{"mixing_service", "", Mixer}, {"market", "", Darknet}, {"wallet_service", "", Exchange},
		{"payment_processor", "", Processor}, {"shop", "", Merchant}, {"mining_service", "", Miner},
		{"coinjoin", "", CoinJoin}, {"perpetrator", "", Perpetrator}, {"user", "sanction", Sanctions},
		{"", "service_hack", Stolen}, {"", "ransomware", Ransomware}, {"", "phishing", Scam},
		{"exchange", "service_hack", Exchange}, {"service", "", Other}, {"", "", Other},
		{"Ransomware", "", Ransomware}, {"Mixing-Service", "", Mixer}, {"stolen", "", Stolen},
	} {
		got, err := MapCategory(c.cat, c.abuse)
		if err != nil || got != c.want {
			t.Errorf("MapCategory(%q, %q) = %q, %v; want %q", c.cat, c.abuse, got, err, c.want)
		}
	}
	if _, err := MapCategory("", "jaywalking"); !errors.Is(err, ErrCategory) {
		t.Errorf("unknown abuse: %v", err)
	}
	for _, c := range Categories {
		if IsService(c) != map[string]bool{Exchange: true, Processor: true, Merchant: true, Miner: true, Mixer: true, CoinJoin: true, Gambling: true, Darknet: true}[c] {
			t.Errorf("IsService(%s) = %v", c, IsService(c))
		}
	}
}

func TestParseConfidence(t *testing.T) {
	for in, want := range map[string]float64{"0": 0, "1": 1, "0.25": 0.25, "authority_data": 0.6, "Web_Crawl": 0.2, "override": 1, "unknown": 0.05} {
		if got, _, err := ParseConfidence(in); err != nil || got != want {
			t.Errorf("ParseConfidence(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1.01", "-0.1", "NaN", "high"} {
		if _, _, err := ParseConfidence(bad); err == nil {
			t.Errorf("ParseConfidence(%q) accepted", bad)
		}
	}
	names := ConfidenceNames()
	if len(names) != 12 || names[0] != "override" && names[0] != "ownership" || names[len(names)-1] != "unknown" {
		t.Errorf("names %v", names)
	}
}

func TestPatternParser(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		{"[cryptocurrency-wallet:value = 'a']", []string{"a"}},
		{"[x-crypto:value = 'a' OR x-crypto:value = 'b' OR domain-name:value = 'c']", []string{"a", "b"}},
		{"[x-cryptocurrency-wallet:value IN ('a', 'b')] OR [x-opencti-cryptocurrency-wallet:value = 'c']", []string{"a", "b", "c"}},
		{"([x-crypto:value = 'it\\'s'] AND [x-crypto:value NOT = 'x']) REPEATS 2 TIMES WITHIN 10 SECONDS", []string{"it's"}},
		{"[x-crypto:value != 'a' AND x-crypto:value LIKE 'b%']", nil},
		{"[x-crypto:currency = 'BTC' AND x-crypto:value = 'q']", []string{"q"}},
		{"[file:hashes.'SHA-256' = 'ab' AND file:parent_directory_ref.path MATCHES '^C'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'", nil},
		{"[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding' = 'x' AND network-traffic:protocols[*] = 'tcp' AND EXISTS network-traffic:src_ref]", nil},
	} {
		got, _, err := walletAddresses(c.pattern)
		if err != nil || strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %v, %v; want %v", c.pattern, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "[", "[x-crypto:value = 'a'", "[x-crypto:value = 'a]", "[x-crypto:value 'a']", "[x-crypto = 'a']",
		"x-crypto:value = 'a'", "[x-crypto:value = 'a'] AND", "[x-crypto:value = 'a'] WITHIN SECONDS", "[x-crypto:value IN ('a',)]", "[a:b = 1] ]", "[a:b ! 1]"} {
		if _, _, err := walletAddresses(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Bad input in a large pack: the error names the line at the end and
// nothing is stored. The reader streams one tag at a time: the live heap,
// measured from inside the reader's callback every few thousand tags, stays
// far below the pack's size.
func TestLargePackStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large pack")
	}
	const tags = 60_000
	path, _ := bigPack(t, tags, false)
	st, _ := os.Stat(path)
	base := liveHeap()
	var recs int
	var peak uint64
	f, _ := os.Open(path)
	_, err := readTagPack(path, f, func(r record) error {
		recs++
		if recs%10_000 == 0 {
			peak = max(peak, liveHeap()-min(base, liveHeap()))
		}
		return nil
	})
	f.Close()
	if err != nil || recs != tags {
		t.Fatalf("read %d tags, %v; want %d", recs, err, tags)
	}
	t.Logf("pack %.1f MB, %d tags: live heap at most +%.2f MB while reading", float64(st.Size())/(1<<20), tags, float64(peak)/(1<<20))
	if peak > uint64(st.Size())/8 {
		t.Errorf("live heap rose by %d bytes while reading a %d-byte pack: not streaming", peak, st.Size())
	}
	path, badLine := bigPack(t, 10_000, true)
	s := openTestStore(t, Options{})
	_, err = s.Import(context.Background(), []Input{fileInput(t, FormatTagPack, path)}, ImportOptions{})
	if want := path + ":" + strconv.Itoa(badLine) + ": address"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d labels stored from a failed import", n)
	}
}

// A large bundle is read in linear time (lines of provenance are counted
// incrementally): 20,000 wallet indicators, each on its own line.
func TestSTIXLargeBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("large bundle")
	}
	var b strings.Builder
	b.WriteString("{\"type\": \"bundle\", \"id\": \"bundle--x\", \"objects\": [\n")
	const n = 20_000
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"type": "indicator", "id": "indicator--%d", "pattern_type": "stix", "pattern": "[x-crypto:value = '1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG']", "padding": "%s"}`, i, strings.Repeat("x", 200))
	}
	b.WriteString("\n]}\n")
	var last record
	recs := 0
	_, err := readSTIX("big.json", strings.NewReader(b.String()), func(r record) error { recs++; last = r; return nil })
	if err != nil || recs != n || last.line != n+1 || last.ref != "indicator--19999" {
		t.Fatalf("read %d records (last at line %d, %s), %v", recs, last.line, last.ref, err)
	}
}
