package labels

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
	"github.com/chaintrace/chaintrace/internal/testutil"
)

// openWithSanctions opens one SQLite store holding both the sanctions lists
// and the labels.
func openWithSanctions(t *testing.T) (*Store, *sanctions.Store, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sanc, err := sanctions.NewStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), db, Options{Sanctions: sanc})
	if err != nil {
		t.Fatal(err)
	}
	return s, sanc, dir
}

// xbtFacts reads the independent list of OFAC's Bitcoin addresses.
func xbtFacts(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(testutil.SharedFile(t, "data/sanctions/crypto-2024-09/sanctioned_addresses_XBT.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if a := strings.TrimSpace(sc.Text()); a != "" {
			out[a] = true
		}
	}
	return out
}

// Addresses on an imported sanctions list are labels without a separate
// import: category sanctions, the list version as source; they rank first
// among labels of equal confidence, and leave with the list.
func TestSanctionsAreLabels(t *testing.T) {
	s, sanc, _ := openWithSanctions(t)
	ctx := context.Background()
	p, err := sanctions.ParseFile(sanctions.FormatOFACCSV, testutil.SharedFile(t, "data/sanctions/ofac-2025-02"), "")
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := sanc.Import(ctx, p, sanctions.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustImport(t, s, ImportOptions{}, fileInput(t, FormatTagPack, testutil.SharedFile(t, "data/labels/tagpacks/blender_io.yaml")))
	ls, err := s.LabelsOf(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")
	if err != nil || len(ls) != 2 {
		t.Fatalf("labels: %+v %v", ls, err)
	}
	if l := ls[0]; l.Category != Sanctions || l.Label != "BLENDER.IO" || l.Ref != "ofac:37070" || l.Source != v.Label() ||
		l.Confidence != 1 || l.Format != FormatSanctions || !strings.Contains(l.OriginalCategory, "CYBER2") {
		t.Errorf("sanctions label: %+v", l)
	}
	if ls[1].Category != Mixer || ls[1].Dataset != "blender_io.yaml" {
		t.Errorf("TagPack label: %+v", ls[1])
	}
	// The snapshot holds exactly OFAC's Bitcoin addresses as sanctions labels:
	// the independent extraction lists 435 under XBT, one of which is a TRON
	// address (TUCsTq7…, base58 version 0x41) that is no Bitcoin label.
	sn, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	facts := xbtFacts(t)
	if len(facts) != 435 {
		t.Fatalf("fact file holds %d addresses, want 435", len(facts))
	}
	inSnap := 0
	for k, ls := range sn.byKey {
		for _, l := range ls {
			if l.Category == Sanctions && l.Format == FormatSanctions {
				inSnap++
				if !facts[l.Address] {
					a, _ := chain.AddrFromKey([]byte(k))
					t.Errorf("sanctions label for %s (%s), not in the fact file", l.Address, a.String(nil))
				}
				break
			}
		}
	}
	if !facts["TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"] {
		t.Fatal("fact file changed")
	}
	if inSnap != len(facts)-1 {
		t.Errorf("snapshot has %d sanctioned addresses, the fact file %d", inSnap, len(facts))
	}
	// Attribute names the service (the mixer), not the listing, for the
	// trace stops and the cluster guard; the listing stays first in ByAddress.
	if e, c, ok := sn.Attribute("3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"); !ok || c != Mixer || e != "blenderio" {
		t.Errorf("Attribute: %q %q %v", e, c, ok)
	}
	if ls := sn.ByAddress("3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"); len(ls) != 2 || ls[0].Category != Sanctions {
		t.Errorf("ByAddress: %+v", ls)
	}
	// An address only on the list is attributed to the listed entity.
	if e, c, ok := sn.Attribute("123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"); !ok || c != Sanctions || e == "" {
		t.Errorf("listed-only Attribute: %q %q %v", e, c, ok)
	}
	// An Ethereum address on the list is no Bitcoin label: the look-up refuses it.
	if _, err := s.LabelsOf(ctx, "0x098b716b8aaf21512996dc57eb0615e2383e2f96"); err == nil {
		t.Errorf("Ethereum address looked up as a Bitcoin label")
	}
	// A watchlist keeps its own category: a vocabulary name is used, another
	// becomes other with the original kept.
	wl := filepath.Join(t.TempDir(), "wl.csv")
	os.WriteFile(wl, []byte("id,name,address,ticker,category,source\n1,Fake Exchange,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,BTC,scam,tip\n2,Blocked,1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,,internal-block,ops\n"), 0o644)
	wp, err := sanctions.ParseFile(sanctions.FormatWatchlist, wl, "desk")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sanc.Import(ctx, wp, sanctions.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Lookup(ctx, []string{"1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG", "1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa"})
	if err != nil {
		t.Fatal(err)
	}
	if ls := m["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"]; len(ls) != 1 || ls[0].Category != Scam || ls[0].Source != "watchlist:desk@2" {
		t.Errorf("watchlist scam: %+v", ls)
	}
	if ls := m["1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG"]; len(ls) != 1 || ls[0].Category != Other || ls[0].OriginalCategory != "internal-block" {
		t.Errorf("watchlist other: %+v", ls)
	}
	if _, ok := m["1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa"]; ok {
		t.Errorf("unlabelled address in the answer")
	}
	// The snapshot follows the new list version without an import of labels.
	sn2, err := s.Snapshot(ctx)
	if err != nil || sn2 == sn {
		t.Fatalf("snapshot not rebuilt after a new list version (%v)", err)
	}
	if _, c, ok := sn2.Attribute("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); !ok || c != Scam {
		t.Errorf("snapshot watchlist: %q %v", c, ok)
	}
}

// The snapshot answers by address string and by the index's binary key, is
// reused while nothing changes, and is rebuilt after an import or a delete.
func TestSnapshot(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := context.Background()
	sn0, err := s.Snapshot(ctx)
	if err != nil || sn0.Len() != 0 {
		t.Fatalf("empty snapshot: %v", err)
	}
	mustImport(t, s, ImportOptions{}, textInput("a.csv", FormatCSV, "address,label,category,source,confidence,actor\n"+
		"bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew,Wasabi Fee,coinjoin,x,forensic,\n"+
		"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Huobi.com,exchange,y,service_data,huobi\n"+
		"1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Some hacker,perpetrator,z,web_crawl,\n"))
	sn, err := s.Snapshot(ctx)
	if err != nil || sn == sn0 || sn.Len() != 2 {
		t.Fatalf("snapshot after import: len %d, %v", sn.Len(), err)
	}
	if again, _ := s.Snapshot(ctx); again != sn {
		t.Errorf("snapshot rebuilt without a change")
	}
	a, err := chain.ParseAddr("BC1QS604C7JV6AMK4CXQLNVUXV26HV3E48CDS4M0EW", &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	if ls := sn.ByKey(a.Key()); len(ls) != 1 || ls[0].Label != "Wasabi Fee" {
		t.Errorf("ByKey: %+v", ls)
	}
	if e, c, ok := sn.Attribute("1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG"); !ok || e != "huobi" || c != Exchange {
		t.Errorf("Attribute picks the most confident label's actor: %q %q %v", e, c, ok)
	}
	if _, _, ok := sn.Attribute("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); ok {
		t.Errorf("unlabelled address attributed")
	}
	if _, _, ok := sn.Attribute("not an address"); ok {
		t.Errorf("malformed address attributed")
	}
	if _, err := s.Delete(ctx, "a.csv"); err != nil {
		t.Fatal(err)
	}
	if sn3, _ := s.Snapshot(ctx); sn3 == sn || sn3.Len() != 0 {
		t.Errorf("snapshot after delete: %d labelled", sn3.Len())
	}
}

// A second process's import is seen by Snapshot (the generation is in the
// database, not in memory).
func TestSnapshotSeesOtherProcess(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if sn, _ := a.Snapshot(ctx); sn.Len() != 0 {
		t.Fatal("not empty")
	}
	mustImport(t, b, ImportOptions{}, textInput("a.csv", FormatCSV, "address,label,category\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG,Huobi,exchange\n"))
	if sn, _ := a.Snapshot(ctx); sn.Len() != 1 {
		t.Errorf("import by another handle not seen")
	}
}

// The same imports, idempotence, delete and look-ups on PostgreSQL.
func TestPostgres(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, testutil.PostgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sanc, err := sanctions.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, db, Options{Sanctions: sanc})
	if err != nil {
		t.Fatal(err)
	}
	lite := openTestStore(t, Options{})
	files, _ := filepath.Glob(filepath.Join(testutil.SharedFile(t, "data/labels/tagpacks"), "*.yaml"))
	var ins, insLite []Input
	for _, p := range files {
		ins = append(ins, fileInput(t, FormatTagPack, p))
		insLite = append(insLite, fileInput(t, FormatTagPack, p))
	}
	ins = append(ins, fileInput(t, FormatSTIX, "testdata/dprk-advisory.stix.json"))
	insLite = append(insLite, fileInput(t, FormatSTIX, "testdata/dprk-advisory.stix.json"))
	sum := mustImport(t, s, ImportOptions{}, ins...)
	sumLite := mustImport(t, lite, ImportOptions{}, insLite...)
	if sum.Stored != sumLite.Stored || sum.Skipped != sumLite.Skipped || count(t, s) != count(t, lite) {
		t.Errorf("PostgreSQL stored %d skipped %d, SQLite %d %d", sum.Stored, sum.Skipped, sumLite.Stored, sumLite.Skipped)
	}
	again := mustImport(t, s, ImportOptions{}, ins...)
	if again.Stored != 0 || again.Existing != sum.Stored {
		t.Errorf("re-import on PostgreSQL: %+v", again)
	}
	// A failing import in the middle changes nothing.
	before := count(t, s)
	if _, err := s.Import(ctx, []Input{ins[0], textInput("bad.csv", FormatCSV, "address,label,category\n1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH,x,exchange\n")}, ImportOptions{Dataset: "new"}); err == nil {
		t.Error("bad checksum accepted")
	}
	if count(t, s) != before {
		t.Error("failed import left rows on PostgreSQL")
	}
	ls, err := s.LabelsOf(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")
	if err != nil || len(ls) != 1 || ls[0].Category != Mixer || ls[0].Confidence != 0.6 {
		t.Errorf("look-up on PostgreSQL: %+v %v", ls, err)
	}
	sn, err := s.Snapshot(ctx)
	if snl, _ := lite.Snapshot(ctx); err != nil || sn.Len() != snl.Len() {
		t.Errorf("snapshot on PostgreSQL: %d addresses vs %d, %v", sn.Len(), snl.Len(), err)
	}
	n, err := s.Delete(ctx, "hacks.yaml")
	if err != nil || n != 608 {
		t.Errorf("delete on PostgreSQL: %d %v", n, err)
	}
}
