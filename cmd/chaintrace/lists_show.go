package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/spf13/cobra"
)

// `chaintrace lists show ENTITY_ID`: one listed party, as the list states it.
func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ENTITY_ID",
		Short: "Show one listed party of the lists in force (names, aliases, dates, places, documents, addresses, remarks)",
		Long: `Show everything the list in force states about one party, to judge a hit:
all names and aliases, type, category, programs, dates and places of birth,
nationalities, postal addresses, identifiers, crypto addresses, remarks,
listing date and the list version. ENTITY_ID is as screens print it
(ofac:20157, un:KPi.033, watchlist:NAME:ID).

JSON: {"list_version", …the entity's fields (see docs/sanctions.md)}`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			e, v, err := st.EntityByID(cmd.Context(), strings.TrimSpace(args[0]))
			if errors.Is(err, sanctions.ErrNoEntity) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					ListVersion string `json:"list_version"`
					*sanctions.Entity
				}{v.Label(), e})
			}
			printEntity(cmd.OutOrStdout(), e, v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	listsRoot.AddCommand(cmd)
}

// printEntity prints a listed party, one field a line, empty fields left out.
func printEntity(w io.Writer, e *sanctions.Entity, v sanctions.Version) {
	line := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "%-15s %s\n", k+":", val)
		}
	}
	line("entity", e.ID)
	line("name", e.Name)
	line("type", e.Type)
	line("category", e.Category)
	line("list", v.Label()+" ("+v.Format+", published "+or(v.Published, "-")+", imported "+v.Imported.Format("2006-01-02")+")")
	line("listed", e.Listed)
	line("programs", strings.Join(e.Programs, ", "))
	for _, a := range e.Aliases {
		q := a.Quality
		if a.Type != "" && a.Type != q {
			q += ", " + a.Type
		}
		line("alias", a.Name+" ("+q+")")
	}
	line("born", strings.Join(e.DatesOfBirth, "; "))
	line("birthplace", strings.Join(e.PlacesOfBirth, "; "))
	line("nationality", strings.Join(e.Nationalities, "; "))
	for _, a := range e.Addresses {
		var parts []string
		for _, p := range []string{a.Street, a.City, a.State, a.Postal, a.Country} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if a.Note != "" {
			parts = append(parts, "("+a.Note+")")
		}
		line("address", strings.Join(parts, ", "))
	}
	for _, id := range e.Identifiers {
		s := id.Type + " " + id.Number
		if id.Country != "" {
			s += " (" + id.Country + ")"
		}
		line("identifier", s)
	}
	for _, c := range e.CryptoAddresses {
		line("crypto", c.Ticker+" "+c.Address)
	}
	line("remarks", e.Remarks)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
