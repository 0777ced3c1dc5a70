package sanctions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A watchlist entry with a 1 MB name imports with its name cut and a
// warning naming the entry; screening goes on at once.
func TestHugeNameCutAtImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.csv")
	huge := strings.Repeat("abcdefghij ", 100_000) // 1.1 MB
	os.WriteFile(path, []byte("id,name,category\nbig,"+huge+",scam\nok,Acme Pig Butchering Ltd,scam\n"), 0o644)
	p, err := ParseWatchlist(path, "w")
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, w := range p.Warnings {
		warned = warned || strings.Contains(w, "watchlist:w:big") && strings.Contains(w, "name of") && len(w) < 300
	}
	if !warned {
		t.Errorf("warnings %q: want one naming watchlist:w:big and the cut", p.Warnings)
	}
	for _, e := range p.Entities {
		if len(e.Name) > maxNameBytes {
			t.Errorf("%s: name of %d bytes kept", e.ID, len(e.Name))
		}
	}
	s := openTestStore(t)
	ctx := context.Background()
	if _, _, err := s.Import(ctx, p, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := s.ScreenName(ctx, "Acme Pig Butchering", NameOptions{})
	if err != nil || len(r.Matches) != 1 || r.Matches[0].EntityID != "watchlist:w:ok" {
		t.Errorf("screen: %+v %v", r, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("first screen (index build included) took %v", d)
	}
	// An entity id longer than the limit is refused, quoted short.
	p.Entities[0].ID = "watchlist:w:" + strings.Repeat("x", 10_000)
	if _, _, err := s.Import(ctx, p, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "longer than") || len(err.Error()) > 600 {
		t.Errorf("over-long id: %v", err)
	}
}

// A screen stops at its deadline.
func TestScreenNameDeadline(t *testing.T) {
	s := openTestStore(t)
	path := filepath.Join(t.TempDir(), "w.csv")
	os.WriteFile(path, []byte("name\nAcme Trading\n"), 0o644)
	p, err := ParseWatchlist(path, "w")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := s.Import(ctx, p, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s.WarmNameIndex(ctx)
	dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, err := s.ScreenName(dctx, "Acme Trading", NameOptions{}); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("screen past its deadline: %v", err)
	}
}
