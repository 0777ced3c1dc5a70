package ingest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// SideStore keeps, across runs, the blocks a run was given but did not put on the active
// chain: blocks of a branch with less (or equal) work, blocks whose parent was missing, and
// the blocks of a branch being reorganised onto (written before the first undo). Blocks
// loads them as candidates on every later run, so a branch seen in pieces over several runs
// still wins once it has the most work, and a run killed in the middle of a reorg resumes
// onto the new branch on the next run of any kind (Resume). It is a folder of raw blocks,
// one file per block named by its hash; each is written to a temporary name, synced and
// renamed, so a crash leaves whole blocks or none.
type SideStore struct{ dir string }

// SideDirIn is the side-block folder inside a chain index folder.
func SideDirIn(indexDir string) string { return filepath.Join(indexDir, "side") }

// OpenSideStore opens (creating) the side-block store in dir.
func OpenSideStore(dir string) (*SideStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("side-block store: %w", err)
	}
	return &SideStore{dir: dir}, nil
}

const sideExt = ".block"

func (s *SideStore) path(h chainhash.Hash) string { return filepath.Join(s.dir, h.String()+sideExt) }

// Has reports whether block h is stored.
func (s *SideStore) Has(h chainhash.Hash) bool {
	_, err := os.Stat(s.path(h))
	return err == nil
}

// Put stores b durably (a no-op when it is stored already).
func (s *SideStore) Put(b *wire.MsgBlock) error {
	h := b.BlockHash()
	if s.Has(h) {
		return nil
	}
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		return fmt.Errorf("side-block store: serialize %s: %w", h, err)
	}
	tmp := s.path(h) + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("side-block store: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path(h))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("side-block store: write %s: %w", h, err)
	}
	return nil
}

// Remove forgets block h (a no-op when absent).
func (s *SideStore) Remove(h chainhash.Hash) error {
	if err := os.Remove(s.path(h)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("side-block store: %w", err)
	}
	return nil
}

// Len returns how many blocks are stored.
func (s *SideStore) Len() int {
	cs, _ := s.Candidates()
	return len(cs)
}

// Candidates returns every stored block as a candidate (headers read now, bodies on demand).
// A damaged file is skipped with its name in the error list returned beside the rest.
func (s *SideStore) Candidates() ([]Candidate, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("side-block store: %w", err)
	}
	var out []Candidate
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, sideExt) {
			if strings.HasSuffix(name, ".tmp") { // a write a crash interrupted
				os.Remove(filepath.Join(s.dir, name))
			}
			continue
		}
		if _, err := hex.DecodeString(strings.TrimSuffix(name, sideExt)); err != nil {
			continue
		}
		path := filepath.Join(s.dir, name)
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("side-block store: %w", err)
		}
		var hdr wire.BlockHeader
		err = hdr.Deserialize(f)
		st, serr := f.Stat()
		f.Close()
		if err != nil || serr != nil || hdr.BlockHash().String()+sideExt != name {
			return nil, fmt.Errorf("side-block store: %s is damaged (header does not match its name); remove it", path)
		}
		out = append(out, Candidate{
			Hash: hdr.BlockHash(), Header: hdr, Size: st.Size(), Where: "side-block store " + name,
			Read: func() (*wire.MsgBlock, []chainhash.Hash, error) {
				raw, err := os.ReadFile(path)
				if err != nil {
					return nil, nil, err
				}
				var b wire.MsgBlock
				if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", path, err)
				}
				if b.BlockHash() != hdr.BlockHash() {
					return nil, nil, fmt.Errorf("%s: changed on disk", path)
				}
				return &b, nil, nil
			},
		})
	}
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
