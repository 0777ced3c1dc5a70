package index

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// Readers beside a writer.
//
// Pebble admits one process per database (its LOCK file), so a reader cannot
// simply open the index a running ingest holds. A read-only Open instead
// opens the key-value store with Pebble's ReadOnly option through a file
// system whose Lock is a no-op: Pebble then reads the current MANIFEST and
// replays the write-ahead log into a private memtable, writing nothing, and
// sees a consistent prefix of the writer's commits. The reader takes the
// checkpoint it finds there (the last commit before it opened) as its view:
// every column is read only up to the checkpoint's counts (the writer only
// appends past them), and a spend link pointing at an input beyond the view
// reads as unspent (the writer overwrites links of outputs in place when a
// later input spends them). The writer, for its part, never deletes a file a
// reader may still open: Pebble's obsolete tables and logs go through
// graceCleaner, which deletes them only readerGrace after they became
// obsolete (or when the writer closes), and columns are never shortened on disk (an undo lowers the
// logical length; the bytes stay until later appends overwrite them), so a
// reader's memory maps never point past a file's end. A reader whose view is
// older than readerGrace may fail a look-up with a missing-file error; long-
// lived readers (the server) refresh their view (Options.Refresh) when the
// writer's commit epoch, published in the file "epoch", changes.
//
// Nothing in a read-only open writes, so an index on read-only media (or in
// a folder the reader cannot write) opens too. Writers still exclude each
// other through Pebble's lock.

// readerGrace is how long an obsolete Pebble file outlives its last use by the
// writer, for readers that opened a view before it became obsolete.
const readerGrace = 10 * time.Second

// errReadOnly is returned by writes to an index opened read-only.
var errReadOnly = errors.New("the index is open read-only")

// noLockFS is the default file system without Pebble's directory lock.
type noLockFS struct{ vfs.FS }

func (noLockFS) Lock(string) (io.Closer, error) { return io.NopCloser(nil), nil }

// graceCleaner defers the writer's deletion of Pebble's tables, logs and
// manifests by readerGrace: it is the writer's file system, whose Remove of
// those files only queues them. Files still pending when the writer closes
// are removed then.
type graceCleaner struct {
	vfs.FS
	mu      sync.Mutex
	pending []graceFile
	stop    chan struct{}
	done    chan struct{}
}

type graceFile struct {
	path string
	at   time.Time
}

func newGraceCleaner() *graceCleaner {
	c := &graceCleaner{FS: vfs.Default, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				// The writer is closing: nothing it wrote is pending any more. Views
				// opened in the last seconds lose tables they have not opened yet
				// (they fail a look-up and reopen); the index does not keep a
				// compaction's worth of dead files.
				c.sweep(time.Now().Add(readerGrace))
				return
			case now := <-t.C:
				c.sweep(now)
			}
		}
	}()
	return c
}

// Remove queues Pebble's data files and removes anything else at once.
func (c *graceCleaner) Remove(path string) error {
	base := filepath.Base(path)
	if !strings.HasSuffix(base, ".sst") && !strings.HasSuffix(base, ".log") && !strings.HasPrefix(base, "MANIFEST-") {
		return c.FS.Remove(path)
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	c.mu.Lock()
	c.pending = append(c.pending, graceFile{path, time.Now()})
	c.mu.Unlock()
	return nil
}

func (c *graceCleaner) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.pending[:0]
	for _, f := range c.pending {
		if now.Sub(f.at) < readerGrace {
			keep = append(keep, f)
			continue
		}
		if err := c.FS.Remove(f.path); err != nil && !os.IsNotExist(err) {
			slog.Debug("index: remove obsolete file", "path", f.path, "err", err)
		}
	}
	c.pending = keep
}

func (c *graceCleaner) close() {
	close(c.stop)
	<-c.done
}

// epochFile publishes the writer's last commit epoch for readers' refresh
// (a hint: the checkpoint in Pebble is the truth).
const epochFile = "epoch"

func (ix *Index) publishEpoch() {
	tmp := filepath.Join(ix.dir, epochFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(ix.cp.Epoch, 10)), 0o644); err == nil {
		_ = os.Rename(tmp, filepath.Join(ix.dir, epochFile))
	}
}

func readEpoch(dir string) (uint64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, epochFile))
	if err != nil {
		return 0, false
	}
	e, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return e, err == nil
}

// openKVReadOnly opens the key-value store of dir without its lock, retrying
// a few times: a writer may replace a log or MANIFEST while it is read.
func openKVReadOnly(dir string, popt *pebble.Options) (*pebble.DB, error) {
	o := *popt
	o.ReadOnly = true
	o.FS = noLockFS{vfs.Default}
	var err error
	for try := 0; try < 5; try++ {
		var db *pebble.DB
		if db, err = pebble.Open(filepath.Join(dir, "kv"), &o); err == nil {
			return db, nil
		}
		time.Sleep(time.Duration(20*(try+1)) * time.Millisecond)
	}
	return nil, fmt.Errorf("open index key-value store in %s read-only: %w", dir, err)
}

// openReadOnly opens the index in dir for queries beside a writer (see above).
func openReadOnly(dir string, opt Options, popt *pebble.Options) (*Index, error) {
	if st, err := os.Stat(filepath.Join(dir, "kv")); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("no chain index in %s", dir)
	}
	db, err := openKVReadOnly(dir, popt)
	if err != nil {
		return nil, err
	}
	ix := &Index{dir: dir, db: db, readOnly: true, popt: popt}
	if err := ix.initReadOnly(opt); err != nil {
		ix.closeFiles()
		db.Close()
		return nil, err
	}
	if opt.Refresh > 0 {
		ix.refreshStop, ix.refreshDone = make(chan struct{}), make(chan struct{})
		go ix.refreshLoop(opt.Refresh)
	}
	return ix, nil
}

func (ix *Index) initReadOnly(opt Options) error {
	v, closer, err := ix.db.Get([]byte{kNetwork})
	if err != nil {
		return fmt.Errorf("index in %s: read network: %w", ix.dir, err)
	}
	p, perr := networkOf(string(v))
	closer.Close()
	if perr != nil {
		return fmt.Errorf("index in %s: stored network: %w", ix.dir, perr)
	}
	if opt.Network != nil && opt.Network.Net != p.Net {
		return fmt.Errorf("index in %s holds %s, not %s", ix.dir, p.Name, opt.Network.Name)
	}
	ix.params = p
	cp, legacy, err := ix.readCheckpoint()
	if err != nil {
		return err
	}
	if legacy {
		return fmt.Errorf("index in %s: %w", ix.dir, ErrUpgradeKinds)
	}
	ix.cp = cp
	ix.kindsVer = uint32(cp.KindsVersion)
	for _, s := range ix.specs() {
		c, err := openColumnRO(ix.dir, s.name, s.width, s.n)
		if err != nil {
			return err
		}
		*s.c = c
		ix.cols = append(ix.cols, c)
	}
	if err := ix.openMapsRO(); err != nil {
		return err
	}
	ix.resetPending()
	ix.base = ix.cp.Base
	ix.tipWork = ix.tipWorkOf()
	return nil
}

// refreshLoop moves a read-only index's view to the writer's last commit
// whenever the published epoch changes.
func (ix *Index) refreshLoop(every time.Duration) {
	defer close(ix.refreshDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ix.refreshStop:
			return
		case <-t.C:
			if e, ok := readEpoch(ix.dir); ok && e != ix.viewEpoch() {
				if err := ix.Refresh(); err != nil {
					slog.Warn("index: refresh the read-only view", "dir", ix.dir, "err", err)
				}
			}
		}
	}
}

func (ix *Index) viewEpoch() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.cp.Epoch
}

// Refresh moves a read-only index's view to the last state the writer
// committed (a no-op for an index open for writing).
func (ix *Index) Refresh() error {
	if !ix.readOnly {
		return nil
	}
	db, err := openKVReadOnly(ix.dir, ix.popt)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		db.Close()
		return errors.New("index is closed")
	}
	old, oldCP := ix.db, ix.cp
	ix.db = db
	cp, legacy, err := ix.readCheckpoint()
	if err == nil && legacy {
		err = fmt.Errorf("index in %s: %w", ix.dir, ErrUpgradeKinds)
	}
	if err == nil {
		ix.cp = cp
		for _, s := range ix.specs() {
			if err = (*s.c).ViewRO(s.n); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = ix.openMapsRO() // the writer may have grown them
	}
	if err != nil {
		ix.db, ix.cp = old, oldCP
		db.Close()
		for _, s := range ix.specs() { // back to the old view
			_ = (*s.c).ViewRO(s.n)
		}
		return err
	}
	old.Close()
	ix.base = ix.cp.Base
	ix.tipWork = ix.tipWorkOf()
	return nil
}
