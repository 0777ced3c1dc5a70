package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/chaintrace/chaintrace/internal/auth"
	"github.com/spf13/cobra"
)

// openKeys opens the API key store in the configured SQL store (--db).
func openKeys(ctx context.Context, dataDir string) (*auth.Store, func(), error) {
	db, err := openStore(ctx, dataDir)
	if err != nil {
		return nil, nil, err
	}
	ks, err := auth.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return ks, func() { db.Close() }, nil
}

// `chaintrace keys create|list|revoke`: the server's API keys.
func init() {
	keysCmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke the server's API keys",
		Long: `API keys for ` + "`chaintrace serve`" + `, sent as "X-API-Key: KEY" or "Authorization: Bearer KEY".
A server listening beyond loopback refuses to start without an active key.
Scopes include the ones before them: read < screen < kyt < admin
(docs/server.md lists the scope of every route). Keys are stored hashed:
the key is printed once, at creation.`,
	}
	var cr struct {
		scope, name string
		rate        float64
		json        bool
	}
	createCmd := &cobra.Command{
		Use:   "create --scope read|screen|kyt|admin [--name NAME] [--rate N]",
		Short: "Create a key and print it (only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			scope, err := auth.ParseScope(cr.scope)
			if err != nil {
				return usageError{fmt.Errorf("--scope: %w", err)}
			}
			if cr.rate < 0 {
				return usageError{fmt.Errorf("--rate %v: want ≥ 0 requests per second", cr.rate)}
			}
			ks, done, err := openKeys(cmd.Context(), flagData)
			if err != nil {
				return err
			}
			defer done()
			k, secret, err := ks.Create(cmd.Context(), scope, cr.name, cr.rate)
			if err != nil {
				return err
			}
			if cr.json {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					auth.Key
					Secret string `json:"key"`
				}{k, secret})
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			fmt.Fprintf(cmd.ErrOrStderr(), "created key %s (scope %s): store it now, it is not shown again\n", k.ID, k.Scope)
			return nil
		},
	}
	createCmd.Flags().StringVar(&cr.scope, "scope", "", "read, screen, kyt or admin (required)")
	createCmd.Flags().StringVar(&cr.name, "name", "", "a note saying whose key it is")
	createCmd.Flags().Float64Var(&cr.rate, "rate", 0, "requests per second allowed to this key (0: the server's --rate)")
	createCmd.Flags().BoolVar(&cr.json, "json", false, "print JSON")
	_ = createCmd.MarkFlagRequired("scope")

	var listJSON bool
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys (ids, scopes, revocations; never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, done, err := openKeys(cmd.Context(), flagData)
			if err != nil {
				return err
			}
			defer done()
			keys, err := ks.List(cmd.Context())
			if err != nil {
				return err
			}
			if listJSON {
				if keys == nil {
					keys = []auth.Key{}
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(keys)
			}
			if len(keys) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no API keys: create one with `chaintrace keys create --scope read|screen|kyt|admin`")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSCOPE\tRATE\tCREATED\tREVOKED\tNAME")
			for _, k := range keys {
				rev, rate := "-", "default"
				if !k.Active() {
					rev = k.Revoked.Format(time.RFC3339)
				}
				if k.Rate > 0 {
					rate = fmt.Sprintf("%g/s", k.Rate)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Scope, rate, k.Created.Format(time.RFC3339), rev, k.Name)
			}
			return tw.Flush()
		},
	}
	listCmd.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	revokeCmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key (servers refuse it within seconds)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, done, err := openKeys(cmd.Context(), flagData)
			if err != nil {
				return err
			}
			defer done()
			k, err := ks.Revoke(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s (scope %s)\n", k.ID, k.Scope)
			return nil
		},
	}
	keysCmd.AddCommand(createCmd, listCmd, revokeCmd)
	rootCmd.AddCommand(keysCmd)
}
