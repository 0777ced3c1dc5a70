package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// The trace routes' attribution: a demo folder (DIR/sim holding a simulated
// chain's truth) serves with the simulation's investigator labels.
func init() {
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		simDir := filepath.Join(dataDir, "sim")
		if _, err := os.Stat(filepath.Join(simDir, sim.TruthRecordsFile)); err != nil {
			return nil, nil
		}
		attr, err := trace.SimLabels(simDir)
		if err != nil {
			return nil, err
		}
		slog.Info("trace routes attribute addresses with the simulation's investigator labels", "sim", simDir, "labels", len(attr))
		cfg.TraceAttributor = attr
		return nil, nil
	})
}
