package main

import "github.com/spf13/cobra"

// screenCmd is the parent of `screen address` and `screen name`; each
// subcommand's file adds itself in init.
var screenCmd = &cobra.Command{
	Use:   "screen",
	Short: "Screen crypto addresses and names against the loaded sanctions lists",
}

func init() { rootCmd.AddCommand(screenCmd) }
