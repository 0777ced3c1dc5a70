// Command chaintrace follows funds on Bitcoin and screens them against
// sanctions lists. It is one binary with subcommands; each subcommand lives
// in its own file of this package and registers itself with rootCmd in init.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultDataDir is where the embedded chain index and SQL store live.
const defaultDataDir = "./chaintrace-data"

var (
	flagData     string
	flagLogLevel string
)

var rootCmd = &cobra.Command{
	Use:           "chaintrace",
	Short:         "Follow illicit funds on Bitcoin and screen against sanctions lists",
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(flagLogLevel)); err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
		return nil
	},
}

func init() {
	rootCmd.PersistentFlags().StringVar(&flagData, "data", envOr("CHAINTRACE_DATA", defaultDataDir), "data directory (chain index and embedded SQL store; env CHAINTRACE_DATA)")
	rootCmd.PersistentFlags().StringVar(&flagLogLevel, "log-level", "warn", "log level: debug, info, warn, error")
}

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// errorLine is the line main prints for a failed command: one "chaintrace: "
// prefix, however the error was worded.
func errorLine(err error) string {
	msg := err.Error()
	for strings.HasPrefix(msg, "chaintrace: ") {
		msg = strings.TrimPrefix(msg, "chaintrace: ")
	}
	return "chaintrace: " + msg
}

// usageError marks an error caused by bad command-line input (exit code 2).
type usageError struct{ error }

// usageArgs makes an argument check's error a usage error (exit 2). A check that
// already returns a usage error is left as it is (no second "cmd:" prefix).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		if err == nil || errors.As(err, new(usageError)) {
			return err
		}
		return usageError{fmt.Errorf("%s: %w", cmd.Name(), err)}
	}
}

// flagUsageError makes a flag parsing error a usage error (exit 2).
func flagUsageError(cmd *cobra.Command, err error) error {
	return usageError{fmt.Errorf("%s: %w", cmd.Name(), err)}
}

// markUsageErrors makes bad arguments and flags of every command usage errors
// (exit 2), whichever file defined the command.
func markUsageErrors(c *cobra.Command) {
	if c.Args != nil {
		c.Args = usageArgs(c.Args)
	}
	c.SetFlagErrorFunc(flagUsageError)
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

var markOnce sync.Once

// execute runs the command line in os.Args (or what SetArgs gave, in tests),
// with every command's argument and flag errors marked as usage errors.
func execute(ctx context.Context) error {
	markOnce.Do(func() { markUsageErrors(rootCmd) })
	return rootCmd.ExecuteContext(ctx)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx); err != nil {
		fmt.Fprintln(os.Stderr, errorLine(err))
		var ue usageError
		if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// deprecatedAlias adds the flag old as a hidden, deprecated spelling of the
// flag name that sets the same variable (one name per meaning across commands).
func deprecatedAlias(f *pflag.FlagSet, old, name string, p *bool) {
	f.BoolVar(p, old, false, "deprecated: use --"+name)
	_ = f.MarkDeprecated(old, "use --"+name)
}
