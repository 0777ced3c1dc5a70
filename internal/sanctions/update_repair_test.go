package sanctions

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
)

// deadPID is the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run a child process:", err)
	}
	return cmd.Process.Pid
}

// A killed update leaves a download folder, and a kill between the commit
// and the rename leaves the version without its copy: the next update
// removes the folder, keeping it as the missing copy when its files are
// the version's, and an unchanged update writes a missing copy.
func TestUpdateRepairsInterruptedRuns(t *testing.T) {
	ctx := context.Background()
	wl := []byte("<CONSOLIDATED_LIST dateGenerated=\"2026-02-27T00:00:00Z\"><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>JOHN</FIRST_NAME><SECOND_NAME>DOE</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.999</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS><ENTITIES></ENTITIES></CONSOLIDATED_LIST>")
	var files atomic.Value
	files.Store(map[string][]byte{"/un.xml": wl})
	srv := listServer(t, &files)
	data := t.TempDir()
	lists := filepath.Join(data, "lists")
	s := openTestStore(t)
	req := UpdateRequest{Source: "un", URL: srv.URL + "/un.xml", DataDir: data}
	v, created, err := s.Update(ctx, req)
	if err != nil || !created {
		t.Fatalf("update: %v %v", created, err)
	}
	copyDir := versionDir(lists, v)
	if _, err := os.Stat(filepath.Join(copyDir, "list")); err != nil {
		t.Fatalf("copy of the version: %v", err)
	}

	// A kill between commit and rename: the files sit in a download folder
	// of a dead process, the copy is missing.
	pid := strconv.Itoa(deadPID(t))
	killed := filepath.Join(lists, downloadPrefix+"111")
	if err := os.Rename(copyDir, killed); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(killed, ownerFile), []byte(pid), 0o644)
	// A kill mid-download: a partial file.
	partial := filepath.Join(lists, downloadPrefix+"222")
	os.MkdirAll(partial, 0o755)
	os.WriteFile(filepath.Join(partial, "list"), wl[:40], 0o644)
	os.WriteFile(filepath.Join(partial, ownerFile), []byte(pid), 0o644)
	// A running update's folder (this process) is left alone.
	live := filepath.Join(lists, downloadPrefix+"333")
	os.MkdirAll(live, 0o755)
	os.WriteFile(filepath.Join(live, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)

	if _, created, err := s.Update(ctx, req); err != nil || created {
		t.Fatalf("second update: created %v, %v", created, err)
	}
	if b, err := os.ReadFile(filepath.Join(copyDir, "list")); err != nil || string(b) != string(wl) {
		t.Errorf("copy of the version not repaired: %v", err)
	}
	for _, d := range []string{killed, partial} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", d, err)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live update's folder was removed: %v", err)
	}
	os.RemoveAll(live)

	// No leftovers at all, but no copy: an unchanged update writes it.
	os.RemoveAll(copyDir)
	if _, created, err := s.Update(ctx, req); err != nil || created {
		t.Fatalf("third update: created %v, %v", created, err)
	}
	if _, err := os.Stat(filepath.Join(copyDir, "list")); err != nil {
		t.Errorf("unchanged update did not write the missing copy: %v", err)
	}
	ents, _ := os.ReadDir(lists)
	for _, e := range ents {
		if e.Name() != filepath.Base(copyDir) {
			t.Errorf("left in lists/: %s", e.Name())
		}
	}
}
