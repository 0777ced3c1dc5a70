package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A server's store sees versions imported by another process's store.
func TestReloadIfChangedAcrossStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	server, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cli, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if server.InForceLabel() != "" {
		t.Fatalf("fresh store in force %q", server.InForceLabel())
	}
	p, err := ParseOFACXML("testdata/sdn.xml")
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := cli.Import(ctx, p, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := server.ScreenAddress(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"); err != nil || r.Sanctioned {
		t.Fatalf("before reload: %+v %v (the index is only refreshed by ReloadIfChanged)", r, err)
	}
	if err := server.ReloadIfChanged(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := server.ScreenAddress(ctx, "3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3")
	if err != nil || !r.Sanctioned || r.ListVersion != v.Label() {
		t.Errorf("after reload: %+v %v", r, err)
	}
}

// OFAC files that are not UTF-8 are read as Windows-1252.
func TestOFACCSVWindows1252(t *testing.T) {
	dir := t.TempDir()
	// "MUÑOZ" and "São" in Windows-1252: Ñ = 0xD1, ã = 0xE3.
	row := []byte("1001,\"MU\xd1OZ, Jos\xe9\",\"individual\",\"SDNT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"POB S\xe3o Paulo, Brazil; nationality Brazil.\"\r\n\x1a")
	if err := os.WriteFile(filepath.Join(dir, "sdn.csv"), row, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ParseOFACCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := p.Entities[0]
	if e.Name != "MUÑOZ, José" || !slices.Equal(e.PlacesOfBirth, []string{"São Paulo, Brazil"}) || !slices.Equal(e.Nationalities, []string{"Brazil"}) {
		t.Errorf("entity = %+v", e)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "sdn.csv: not UTF-8; read as Windows-1252") }) {
		t.Errorf("warnings %q lack the encoding note", p.Warnings)
	}
}
