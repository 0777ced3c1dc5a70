package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
)

// servingIndex, when set by `ingest --follow --listen`, is the open index the server reads
// instead of opening its own (the ingest holds the index's lock).
var servingIndex *index.Index

// lateIndexRetry is how often a server whose chain index is held by another process
// tries to open it again (at most once per interval, on a request).
var lateIndexRetry = 2 * time.Second

// The chain index for /v1/stats and /v1/btc: absent is not an error (those routes answer
// 503 until an ingest has run), nor is an index that cannot be opened (another process,
// an ingest, holds it; or it is unreadable): the rest of the API is served, the chain
// routes answer 503 saying why, and opening is retried.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		if servingIndex != nil {
			cfg.Chain = servingIndex
			return nil, nil
		}
		if _, err := os.Stat(index.DirIn(dataDir)); err != nil && !errors.Is(err, fs.ErrPermission) {
			slog.Warn("no chain index: /v1/btc and /v1/stats answer 503 until `chaintrace ingest` runs", "data", dataDir)
			return nil, nil
		}
		ix, err := openIndexRead(dataDir)
		if err != nil {
			// In use by an ingest, or unreadable (an older format, damage): the chain
			// routes say why with a 503, the rest of the API (screening) is served.
			slog.Warn("chain index not available: /v1/btc and /v1/stats answer 503 until it can be opened", "data", dataDir, "err", err)
			l := &lateIndex{dataDir: dataDir, err: lateError(err), last: time.Now()}
			cfg.PendingChain = l.get
			return l.close, nil
		}
		warnStaleKinds(ix)
		cfg.Chain = ix
		return func() { ix.Close() }, nil
	})
}

// lateIndex opens a chain index that was in use when the server started.
type lateIndex struct {
	dataDir string

	mu     sync.Mutex
	ix     *index.Index
	err    error     // why the index is not open yet
	last   time.Time // last attempt
	closed bool
}

// lateError adds what the server does about an index in use.
func lateError(err error) error {
	if !errors.Is(err, errIndexInUse) {
		return err
	}
	return fmt.Errorf("%w; it is served as soon as it is free (`chaintrace ingest --follow --listen` serves a followed index)", err)
}

// get returns the index, trying to open it if the last attempt is older than lateIndexRetry.
func (l *lateIndex) get() (*index.Index, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ix != nil || l.closed {
		return l.ix, l.err
	}
	if time.Since(l.last) >= lateIndexRetry {
		l.last = time.Now()
		ix, err := openIndexRead(l.dataDir)
		if err == nil {
			slog.Info("chain index opened", "data", l.dataDir)
			l.ix, l.err = ix, nil
			return ix, nil
		}
		l.err = lateError(err)
	}
	return nil, l.err
}

func (l *lateIndex) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.err = errors.New("server shutting down")
	if l.ix != nil {
		l.ix.Close()
		l.ix = nil
	}
}
