package store

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// childEnv carries the data folder to the unprivileged child process.
const childEnv = "CHAINTRACE_STORE_ACCESS_CHILD"

// A store the user may not write is an error naming the file and the
// permission, never SQLite's "unable to open database file (14)". As root
// (which ignores file modes) the check runs in a child process as nobody.
func TestOpenPermissionErrorNamesTheFile(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		checkOpenDenied(t, dir)
		return
	}
	base, err := os.MkdirTemp("", "chaintrace-access-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	data := filepath.Join(base, "data")
	db, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	os.Chmod(filepath.Join(data, FileName), 0o600)
	os.Chmod(data, 0o755)
	if os.Geteuid() != 0 {
		os.Chmod(filepath.Join(data, FileName), 0o400)
		os.Chmod(data, 0o555)
		defer os.Chmod(data, 0o755)
		checkOpenDenied(t, data)
		return
	}
	// Root: copy the test binary where nobody can run it, and run this test
	// as nobody.
	self, err := os.Executable()
	if err != nil {
		t.Skip("no test binary path:", err)
	}
	bin := filepath.Join(base, "store.test")
	if err := copyFile(self, bin); err != nil {
		t.Skip("cannot copy the test binary:", err)
	}
	cmd := exec.Command(bin, "-test.run=^TestOpenPermissionErrorNamesTheFile$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("as nobody: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "PASS") || !strings.Contains(string(out), "permission denied") {
		t.Errorf("child ran no test:\n%s", out)
	}
}

func checkOpenDenied(t *testing.T, data string) {
	_, err := Open(data)
	if err == nil {
		t.Fatal("opened a store it may not write")
	}
	msg := err.Error()
	if !strings.Contains(msg, "permission denied") || !strings.Contains(msg, data) || strings.Contains(msg, "(14)") || !strings.Contains(msg, "mode") {
		t.Errorf("error %q: want the file, the permission and its mode named", msg)
	}
	t.Log(msg)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// AccessError names the path, the access needed and the mode; other errors
// pass through.
func TestAccessErrorWording(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index")
	os.Mkdir(p, 0o700)
	err := AccessError(p, "read", &os.PathError{Op: "open", Path: p, Err: syscall.EACCES})
	if msg := err.Error(); !strings.Contains(msg, p) || !strings.Contains(msg, "needs read access") || !strings.Contains(msg, "mode drwx------") {
		t.Errorf("AccessError: %q", msg)
	}
	other := &os.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
	if err := AccessError(p, "read", other); err != other {
		t.Errorf("a non-permission error was rewritten: %v", err)
	}
}
