package main

import (
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

// markUsageErrors wraps every command's argument check, including checks that
// are already usageArgs: the message must name the command once.
func TestMarkUsageErrorsOnce(t *testing.T) {
	root := &cobra.Command{Use: "root"}
	wrapped := &cobra.Command{Use: "tx", Args: usageArgs(cobra.ExactArgs(1)), RunE: func(*cobra.Command, []string) error { return nil }}
	plain := &cobra.Command{Use: "diff", Args: cobra.ExactArgs(2), RunE: func(*cobra.Command, []string) error { return nil }}
	root.AddCommand(wrapped, plain)
	markUsageErrors(root)
	tests := []struct {
		cmd  *cobra.Command
		want string
	}{
		{wrapped, "tx: accepts 1 arg(s), received 0"},
		{plain, "diff: accepts 2 arg(s), received 0"},
	}
	for _, tc := range tests {
		err := tc.cmd.Args(tc.cmd, nil)
		if !errors.As(err, new(usageError)) || err.Error() != tc.want {
			t.Errorf("%s: got %v, want usage error %q", tc.cmd.Name(), err, tc.want)
		}
	}
}
