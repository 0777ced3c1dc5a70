package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by `make build`:
//
//	-ldflags "-X main.version=v0.3.0 -X main.commit=abc123 -X main.buildDate=2026-01-02T03:04:05Z"
//
// Empty values are filled from the module's build information (runtime/debug).
var (
	version   string
	commit    string
	buildDate string
)

// buildInfo is what `chaintrace version` prints.
type buildInfo struct {
	Version, Commit, Date, Go string
	Modified                  bool
}

// readBuildInfo combines the link-time values with runtime/debug's build
// information (module version; VCS revision and time when built with VCS stamping).
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: buildDate, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func (b buildInfo) String() string {
	mod := ""
	if b.Modified {
		mod = " (modified)"
	}
	return fmt.Sprintf("chaintrace %s commit %s%s built %s %s", b.Version, b.Commit, mod, b.Date, b.Go)
}

func printVersion(w io.Writer) { fmt.Fprintln(w, readBuildInfo()) }

// `chaintrace version` and `chaintrace --version`.
func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			printVersion(cmd.OutOrStdout())
		},
	})
	rootCmd.Version = readBuildInfo().Version
	rootCmd.SetVersionTemplate(readBuildInfo().String() + "\n")
}
