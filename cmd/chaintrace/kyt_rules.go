package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// `chaintrace kyt rules validate|set|show`.
func init() {
	rules := &cobra.Command{
		Use:   "rules",
		Short: "Validate, set and show the alert rules (YAML, versioned in the store)",
	}
	kytCmd.AddCommand(rules)

	rules.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a rules file; errors name the line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := os.ReadFile(args[0])
			if err != nil {
				return usageError{err}
			}
			rs, err := monitor.ParseRules(args[0], text)
			if err != nil {
				return kytUsage(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d rules, valid (sha256 %s)\n", args[0], len(rs.Rules), rs.SHA256)
			return nil
		},
	})

	var by string
	set := &cobra.Command{
		Use:   "set FILE [--by NAME]",
		Short: "Store a rules file as the new version in force (an invalid file is refused; the old rules stay)",
		Long: `Validate FILE and store it as the new rules version; running servers pick it up
within seconds. Transfers already screened keep their alerts; ` + "`chaintrace kyt rescreen`" + `
applies the new rules to them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := os.ReadFile(args[0])
			if err != nil {
				return usageError{err}
			}
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, false)
			if err != nil {
				return err
			}
			defer k.Close()
			if by == "" {
				by = os.Getenv("USER")
			}
			v, created, err := k.svc.SetRules(ctx, args[0], text, by)
			if err != nil {
				return kytUsage(err)
			}
			if !created {
				fmt.Fprintf(cmd.OutOrStdout(), "rules unchanged: version %d is the same file\n", v.Version)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rules version %d in force: %d rules from %s (sha256 %s)\n", v.Version, v.Rules, v.Source, v.SHA256)
			return nil
		},
	}
	set.Flags().StringVar(&by, "by", "", "who sets the rules (default $USER)")
	rules.AddCommand(set)

	var defaults, versions bool
	show := &cobra.Command{
		Use:   "show [--defaults] [--versions]",
		Short: "Print the rules in force (YAML), the built-in defaults, or the stored versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if defaults {
				fmt.Fprint(out, monitor.DefaultRulesYAML)
				return nil
			}
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, false)
			if err != nil {
				return err
			}
			defer k.Close()
			if versions {
				vs, err := k.svc.RulesVersions(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, "version 0: built-in defaults")
				for _, v := range vs {
					fmt.Fprintf(out, "version %d: %s by %s, %d rules from %s, sha256 %s\n", v.Version,
						v.CreatedAt.Format("2006-01-02 15:04:05"), v.Author, v.Rules, v.Source, v.SHA256)
				}
				return nil
			}
			rs := k.svc.Rules()
			fmt.Fprintf(out, "# rules version %d\n%s", rs.Version, rs.Text)
			return nil
		},
	}
	show.Flags().BoolVar(&defaults, "defaults", false, "print the built-in defaults")
	show.Flags().BoolVar(&versions, "versions", false, "list the stored versions")
	rules.AddCommand(show)
}
