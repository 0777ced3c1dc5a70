package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/store"
)

// errNoLists is the answer of a screening command before any list was imported.
var errNoLists = errors.New("no sanctions list imported: run `chaintrace lists import` or `chaintrace lists update` first")

// openSanctionsRead opens the sanctions store for a command that only reads it. A data
// folder without a store (never imported into, or a mistyped --data) gives errNoLists
// and nothing is created.
func openSanctionsRead(dataDir string) (*sanctions.Store, error) {
	if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil, errNoLists
	}
	return sanctions.OpenStore(dataDir)
}
