package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/spf13/cobra"
)

// `chaintrace screen address ADDR`.
func init() {
	var asJSON bool
	var listVersion string
	cmd := &cobra.Command{
		Use:   "address ADDRESS",
		Short: "Screen a crypto address (any chain) against the lists in force or a named version",
		Long: `Screen a crypto address against the sanctions lists in force (or the versions
given by --list-version, e.g. 3 or 3,7). EVM addresses match case-insensitively
across ETH, ARB, BSC, ETC and tokens; base58 addresses are case-sensitive;
bech32 and cashaddr compare in lower case. A malformed address (bad checksum
or shape) is an error (exit status 2).

"sanctioned" is true only for a listing on an official sanctions list (OFAC
SDN, UN); a watchlist hit is "listed" with the watchlist's own category.

JSON: {"address","sanctioned","list_version","matches":[{"list","entity_id","name","category","programs","ticker"}]}`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int64
			if listVersion != "" {
				for _, f := range strings.Split(listVersion, ",") {
					f = strings.TrimSpace(f)
					id, err := strconv.ParseInt(f[strings.LastIndex(f, "@")+1:], 10, 64)
					if err != nil {
						return usageError{fmt.Errorf("--list-version %q: want version ids like 3 or 3,7", listVersion)}
					}
					ids = append(ids, id)
				}
			}
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			if len(ids) == 0 && st.InForceLabel() == "" {
				return errors.New("no sanctions list imported: run `chaintrace lists import` or `chaintrace lists update` first")
			}
			res, err := st.ScreenAddressAt(cmd.Context(), args[0], ids...)
			if err != nil {
				if errors.Is(err, sanctions.ErrMalformedAddress) || errors.Is(err, sanctions.ErrNoVersion) {
					return usageError{err}
				}
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printAddressResult(out, res)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&listVersion, "list-version", "", "screen against these version ids (comma-separated) instead of the versions in force")
	screenCmd.AddCommand(cmd)
}

// printAddressResult prints the verdict of an address screen and its
// listings: SANCTIONED for an official list, LISTED with the watchlists'
// categories otherwise.
func printAddressResult(out io.Writer, res *sanctions.AddressResult) {
	verdict := "not listed"
	switch {
	case res.Sanctioned:
		verdict = "SANCTIONED"
	case len(res.Matches) > 0:
		var cats []string
		for _, m := range res.Matches {
			if !slices.Contains(cats, m.Category) {
				cats = append(cats, m.Category)
			}
		}
		verdict = "LISTED (" + strings.Join(cats, ", ") + ")"
	}
	fmt.Fprintf(out, "%s: %s (lists %s)\n", res.Address, verdict, res.ListVersion)
	for _, m := range res.Matches {
		fmt.Fprintf(out, "  %s %s %q category %s programs [%s] ticker %s\n", m.List, m.EntityID, m.Name, m.Category, strings.Join(m.Programs, " "), m.Ticker)
	}
}
