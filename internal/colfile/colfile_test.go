package colfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const width = 3

func rec(v byte) []byte { return []byte{v, v + 1, v + 2} }

func fill(c *File, vs ...byte) {
	for _, v := range vs {
		copy(c.Add(), rec(v))
	}
}

// commit writes the tail, syncs, settles: what a caller does before it
// records Len in its checkpoint.
func commit(t *testing.T, c *File) uint64 {
	t.Helper()
	if err := c.WriteTail(); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := c.Settle(); err != nil {
		t.Fatal(err)
	}
	return c.Len()
}

func open(t *testing.T, path string, opt Options) *File {
	t.Helper()
	c, err := Open(path, width, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shrink bool
	}{{"keep bytes past the end", false}, {"shrink", true}} {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{Label: "test file", Damaged: "the store is damaged", Shrink: tc.shrink}
			path := filepath.Join(t.TempDir(), "f.col")
			c := open(t, path, opt)
			if err := c.Recover(0); err != nil {
				t.Fatal(err)
			}
			// append, commit
			fill(c, 10, 20, 30)
			if c.Len() != 3 || c.FileN() != 0 || c.PendingBytes() != 3*width {
				t.Fatalf("after add: len %d fileN %d pending %d", c.Len(), c.FileN(), c.PendingBytes())
			}
			n := commit(t, c)
			if n != 3 || fileSize(t, path) != 3*width || !bytes.Equal(c.Rec(1), rec(20)) {
				t.Fatalf("after commit: n %d size %d rec %v", n, fileSize(t, path), c.Rec(1))
			}
			// writeAt a committed record: visible through the map
			if err := c.WriteAt(1, rec(90)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.Rec(1), rec(90)) {
				t.Fatalf("after WriteAt: %v", c.Rec(1))
			}
			// an uncommitted tail written to disk (a crash before the checkpoint)
			fill(c, 40, 50)
			if err := c.WriteTail(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			c = open(t, path, opt)
			if err := c.Recover(n); err != nil {
				t.Fatal(err)
			}
			want := int64(5 * width)
			if tc.shrink {
				want = 3 * width
			}
			if c.Len() != 3 || fileSize(t, path) != want || !bytes.Equal(c.Rec(2), rec(30)) {
				t.Fatalf("after recover: len %d size %d (want %d)", c.Len(), fileSize(t, path), want)
			}
			// cut into the file, append refused until settled
			c.Truncate(1)
			if !c.CutIntoFile() || c.Len() != 1 {
				t.Fatalf("after cut: len %d cut %v", c.Len(), c.CutIntoFile())
			}
			if err := c.Settle(); err != nil {
				t.Fatal(err)
			}
			fill(c, 60)
			if n = commit(t, c); n != 2 || !bytes.Equal(c.Rec(1), rec(60)) {
				t.Fatalf("after append past a cut: n %d rec %v", n, c.Rec(1))
			}
			// growth remaps
			for i := 0; i < 1<<18; i++ {
				fill(c, byte(i))
			}
			n = commit(t, c)
			if got := c.Rec(n - 1); !bytes.Equal(got, rec(0xff)) {
				t.Fatalf("after growth: %v", got)
			}
			if len(c.Mapped()) < int(n)*width {
				t.Fatalf("map %d bytes, file %d", len(c.Mapped()), n*width)
			}
			// a checkpoint longer than the file
			c.Close()
			c = open(t, path, opt)
			err := c.Recover(n + 1)
			if err == nil || !strings.Contains(err.Error(), "test file") || !strings.Contains(err.Error(), "the store is damaged") {
				t.Fatalf("recover past the end: %v", err)
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.col")
	opt := Options{Label: "ro file", Damaged: "damaged"}
	if c, err := OpenRO(path, width, 0, opt); err != nil {
		t.Fatalf("missing file, 0 records: %v", err)
	} else {
		c.Close()
	}
	if _, err := OpenRO(path, width, 1, opt); err == nil {
		t.Fatal("missing file, 1 record: no error")
	}
	w := open(t, path, opt)
	if err := w.Recover(0); err != nil {
		t.Fatal(err)
	}
	fill(w, 1, 2)
	n := commit(t, w)
	r, err := OpenRO(path, width, n, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != 2 || !bytes.Equal(r.Rec(1), rec(2)) {
		t.Fatalf("read-only view: len %d", r.Len())
	}
	fill(w, 3)
	n = commit(t, w)
	if err := r.ViewRO(n); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 3 || !bytes.Equal(r.Rec(2), rec(3)) {
		t.Fatalf("read-only view after growth: len %d", r.Len())
	}
	if err := r.ViewRO(n + 5); err == nil || !strings.Contains(err.Error(), "ro file") {
		t.Fatalf("view past the end: %v", err)
	}
}

func TestSpan(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "b.col"), 1, Options{Label: "bytes"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Recover(0); err != nil {
		t.Fatal(err)
	}
	c.AppendBytes([]byte("abc"))
	if err := c.WriteTail(); err != nil {
		t.Fatal(err)
	}
	if err := c.Settle(); err != nil {
		t.Fatal(err)
	}
	c.AppendBytes([]byte("de"))
	for _, tc := range []struct {
		s, e uint64
		want string
	}{{0, 3, "abc"}, {3, 5, "de"}, {1, 4, "bcd"}} {
		if got := string(c.Span(tc.s, tc.e)); got != tc.want {
			t.Errorf("span [%d,%d) = %q, want %q", tc.s, tc.e, got, tc.want)
		}
	}
}

// TestJournal: a whole journal of the asked epoch returns its entries; an
// empty, torn, truncated or other-epoch one returns none; Clear empties it.
func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	entries := []byte("old records 0123456789")
	if got, err := j.Pending(7); err != nil || got != nil {
		t.Fatalf("empty journal: %q %v", got, err)
	}
	if err := j.Write(7, entries); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(path)
	if err != nil || len(whole) != 8+len(entries)+32 {
		t.Fatalf("journal of %d bytes (%v), want %d", len(whole), err, 8+len(entries)+32)
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		epoch uint64
		want  []byte
	}{
		{"whole", whole, 7, entries},
		{"other epoch", whole, 8, nil},
		{"torn entry", append(append([]byte{}, whole[:12]...), append([]byte{'X'}, whole[13:]...)...), 7, nil},
		{"truncated", whole[:len(whole)-1], 7, nil},
		{"short", whole[:39], 7, nil},
	} {
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := j.Pending(tc.epoch)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if err := j.Clear(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("after Clear: %v %v", st, err)
	}
}
