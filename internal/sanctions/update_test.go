package sanctions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// listServer serves files from a map; a missing key is 404.
func listServer(t *testing.T, files *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := files.Load().(map[string][]byte)
		b, ok := m[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(string(b), "<!DOCTYPE html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/csv")
		}
		w.Header().Set("Last-Modified", "Fri, 21 Feb 2025 15:04:05 GMT")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpdateFromServer(t *testing.T) {
	ctx := context.Background()
	dir := testutil.SharedFile(t, "data/sanctions/ofac-2025-02")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := map[string][]byte{
		"/exports/SDN.CSV": read("sdn.csv"), "/exports/ADD.CSV": read("add.csv"),
		"/exports/ALT.CSV": read("alt.csv"), "/exports/SDN_COMMENTS.CSV": read("sdn_comments.csv"),
	}
	var files atomic.Value
	files.Store(good)
	srv := listServer(t, &files)
	data := t.TempDir()
	s := openTestStore(t)
	req := UpdateRequest{Source: "ofac", URL: srv.URL + "/exports/SDN.CSV", DataDir: data}
	v, created, err := s.Update(ctx, req)
	if err != nil || !created {
		t.Fatalf("update: %v", err)
	}
	if v.Entities != 16989 || v.Addresses != 661 || v.Source != req.URL || v.Published != "2025-02-21T15:04:05Z" {
		t.Errorf("version = %+v", v)
	}
	if _, err := os.Stat(filepath.Join(data, "lists", "ofac-sdn@1", "sdn_comments.csv")); err != nil {
		t.Errorf("downloaded files not kept: %v", err)
	}
	// Same bytes again: no new version.
	if v2, created, err := s.Update(ctx, req); err != nil || created || v2.ID != v.ID {
		t.Errorf("unchanged update: %+v created=%v err=%v", v2, created, err)
	}

	bad := []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"challenge page", map[string][]byte{"/exports/SDN.CSV": []byte("<!DOCTYPE html><html><title>Just a moment...</title></html>")}, "HTML page"},
		{"empty body", map[string][]byte{"/exports/SDN.CSV": {}}, "empty file"},
		{"404", map[string][]byte{}, "404"},
		{"truncated", map[string][]byte{"/exports/SDN.CSV": good["/exports/SDN.CSV"][:len(good["/exports/SDN.CSV"])/2+17]}, "line "},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			files.Store(tt.files)
			_, created, err := s.Update(ctx, req)
			if err == nil || created || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v created=%v, want it to mention %q", err, created, tt.want)
			}
			// The message names what was downloaded, not the removed temporary file.
			if !strings.Contains(err.Error(), req.URL) || strings.Contains(err.Error(), "download-") {
				t.Errorf("err = %v, want it to name %s and no temporary path", err, req.URL)
			}
			t.Logf("refused: %v", err)
			if cur, _ := s.Current(ctx, ListOFAC); cur.ID != v.ID {
				t.Errorf("version in force changed to %d after a refused update", cur.ID)
			}
		})
	}
}
