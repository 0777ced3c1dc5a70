package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// AccessError words a permission failure on path: the file, the access
// needed, its mode and owner, and the user asking (instead of SQLite's
// "unable to open database file (14)" or a misleading "not found").
// It returns err unchanged when err is not a permission error.
func AccessError(path, need string, err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	// The first folder on the way that cannot be searched, or the file.
	at := path
	for p := path; ; {
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		if st, err := os.Stat(parent); err == nil && st.IsDir() && syscall.Access(parent, 1) != nil {
			at = parent
		}
		p = parent
	}
	what := ""
	if st, err := os.Stat(at); err == nil {
		what = fmt.Sprintf(" (mode %s", st.Mode())
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			what += fmt.Sprintf(", owner uid %d", sys.Uid)
		}
		what += fmt.Sprintf("; running as uid %d)", os.Geteuid())
	}
	if at != path {
		return fmt.Errorf("%s: permission denied: folder %s cannot be entered%s; %s needs %s access", path, at, what, path, need)
	}
	return fmt.Errorf("%s: permission denied: needs %s access%s", path, need, what)
}

// checkAccess finds permission problems SQLite would report as "unable to
// open database file": the data folder must be writable (SQLite writes its
// journal beside the database) and the database readable and writable.
func checkAccess(dataDir, path string) error {
	if err := syscall.Access(dataDir, 2|1); err != nil && errors.Is(err, fs.ErrPermission) {
		return AccessError(dataDir, "write", err)
	}
	if _, err := os.Stat(path); err == nil {
		if err := syscall.Access(path, 4|2); err != nil && errors.Is(err, fs.ErrPermission) {
			return AccessError(path, "read and write", err)
		}
	} else if errors.Is(err, fs.ErrPermission) {
		return AccessError(path, "read and write", err)
	}
	return nil
}
