package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
)

// servingIndex, when set by `ingest --follow --listen`, is the open index the server reads
// instead of opening its own (the ingest holds the index's lock).
var servingIndex *index.Index

// The chain index for /v1/stats and /v1/btc: absent is not an error (those routes answer
// 503 until an ingest has run).
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		if servingIndex != nil {
			cfg.Chain = servingIndex
			return nil, nil
		}
		if _, err := os.Stat(index.DirIn(dataDir)); err != nil {
			slog.Warn("no chain index: /v1/btc and /v1/stats answer 503 until `chaintrace ingest` runs", "data", dataDir)
			return nil, nil
		}
		ix, err := openIndexRead(dataDir)
		if err != nil {
			return nil, err
		}
		cfg.Chain = ix
		return func() { ix.Close() }, nil
	})
}
