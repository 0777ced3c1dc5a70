package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/spf13/cobra"
)

// `chaintrace lists …`: import, version, diff and update sanctions lists.
func init() {
	var asJSON bool
	listsCmd := &cobra.Command{
		Use:   "lists",
		Short: "Import, version, diff and update sanctions lists",
		Long: `Import, version, diff and update sanctions lists. Without a subcommand,
lists the imported versions (as ` + "`lists versions`" + `).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runListVersions(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), asJSON)
		},
	}
	listsCmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var versionsJSON bool
	versionsCmd := &cobra.Command{
		Use:   "versions",
		Short: "List imported list versions; the newest of each list is in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runListVersions(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), versionsJSON)
		},
	}
	versionsCmd.Flags().BoolVar(&versionsJSON, "json", false, "print JSON")

	var imp struct {
		format, name, published string
		ticker, category        string
		maxSize                 int64
		force                   bool
		minRatio                float64
	}
	importCmd := &cobra.Command{
		Use:   "import --format FORMAT [--name NAME] PATH",
		Short: "Import a list file as a new version (one transaction; refused input changes nothing)",
		Long: `Import a sanctions list file as a new version of its list.

Formats:
  ofac-csv       OFAC SDN legacy CSV; PATH is the folder or its sdn.csv (add.csv,
                 alt.csv and sdn_comments.csv are read from beside it when present)
  ofac-xml       OFAC SDN.XML
  ofac-advanced  OFAC SDN_ADVANCED.XML
  un-xml         UN Security Council consolidated list XML
  watchlist      your own list, CSV with a header (name,address,ticker,category,source,id)
                 or JSON; needs --name, and becomes list "watchlist:NAME"
  addresses      a plain list of crypto addresses, one a line (e.g.
                 sanctioned_addresses_XBT.txt); needs --name and --ticker, takes
                 --category (default watchlist); becomes list "watchlist:NAME"

An empty, truncated or HTML file, or a list with fewer than --min-ratio of the
entries of the version in force, is refused (--force accepts a shrunken list).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(sanctions.Formats, imp.format) {
				return usageError{fmt.Errorf("--format %q: want one of %s", imp.format, strings.Join(sanctions.Formats, ", "))}
			}
			named := imp.format == sanctions.FormatWatchlist || imp.format == sanctions.FormatAddresses
			if named != (imp.name != "") {
				return usageError{errors.New("--name is required for --format watchlist and addresses, and only for them")}
			}
			if (imp.format == sanctions.FormatAddresses) != (imp.ticker != "") {
				return usageError{errors.New("--ticker is required for --format addresses, and only for it")}
			}
			if imp.category != "" && imp.format != sanctions.FormatAddresses {
				return usageError{errors.New("--category is for --format addresses (a watchlist gives it per row)")}
			}
			if err := checkMinRatio(imp.minRatio); err != nil {
				return err
			}
			if imp.maxSize > 0 {
				sanctions.MaxListFileBytes = imp.maxSize << 20
			}
			p, err := sanctions.ParseFileWith(imp.format, args[0], sanctions.ParseOptions{Name: imp.name, Ticker: imp.ticker, Category: imp.category})
			if err != nil {
				return fmt.Errorf("refused, nothing changed: %w", err)
			}
			st, err := openSanctions(cmd.Context(), flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			if imp.published != "" {
				p.Published = imp.published
			}
			v, created, err := st.Import(cmd.Context(), p, sanctions.ImportOptions{Force: imp.force, MinRatio: imp.minRatio})
			if err != nil {
				return fmt.Errorf("refused, nothing changed: %w", err)
			}
			out := cmd.OutOrStdout()
			for _, w := range p.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if !created {
				fmt.Fprintf(out, "unchanged: %s already holds this file (sha256 %s)\n", v.Label(), v.SHA256)
				return nil
			}
			fmt.Fprintf(out, "imported %s: %d entities, %d crypto addresses, sha256 %s\n", v.Label(), v.Entities, v.Addresses, v.SHA256)
			return nil
		},
	}
	importCmd.Flags().StringVar(&imp.format, "format", "", "list format: "+strings.Join(sanctions.Formats, ", "))
	importCmd.Flags().StringVar(&imp.name, "name", "", "watchlist name (formats watchlist and addresses)")
	importCmd.Flags().Int64Var(&imp.maxSize, "max-size", sanctions.MaxListFileBytes>>20, "largest list file read, in MiB (a list's entries are held in memory while it is imported)")
	importCmd.Flags().StringVar(&imp.ticker, "ticker", "", "ticker of every address (format addresses), e.g. XBT, ETH")
	importCmd.Flags().StringVar(&imp.category, "category", "", "category of the listed addresses (format addresses), e.g. scam; default watchlist")
	importCmd.Flags().StringVar(&imp.published, "published", "", "publish date to record when the file states none (e.g. 2025-02-21)")
	importCmd.Flags().BoolVar(&imp.force, "force", false, "accept a list with suspiciously fewer entries than the version in force")
	importCmd.Flags().Float64Var(&imp.minRatio, "min-ratio", 0.9, "refuse a list with fewer than this fraction of the entries in force")

	var diff struct {
		json, summary bool
	}
	diffCmd := &cobra.Command{
		Use:   "diff V1 V2",
		Short: "Show entities added, removed (delisted) and changed, and crypto addresses added and removed, from version V1 to V2",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids [2]int64
			for i, a := range args {
				id, err := strconv.ParseInt(strings.TrimPrefix(a[strings.LastIndex(a, "@")+1:], "v"), 10, 64)
				if err != nil {
					return usageError{fmt.Errorf("version %q: want a version id (see `chaintrace lists`)", a)}
				}
				ids[i] = id
			}
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := st.Diff(cmd.Context(), ids[0], ids[1])
			if err != nil && d == nil {
				if errors.Is(err, sanctions.ErrNoVersion) {
					return usageError{err}
				}
				return err
			}
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", err)
			}
			if diff.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			printDiff(cmd.OutOrStdout(), d, diff.summary)
			return nil
		},
	}
	diffCmd.Flags().BoolVar(&diff.json, "json", false, "print JSON")
	diffCmd.Flags().BoolVar(&diff.summary, "summary", false, "print the counts only")

	var upd struct {
		source, format, url string
		force               bool
		minRatio            float64
		timeout             time.Duration
	}
	updateCmd := &cobra.Command{
		Use:   "update [--source ofac|un] [--url URL]",
		Short: "Download the current official list, validate it and make it the version in force",
		Long: `Download the current official list, validate it exactly like ` + "`lists import`" + `, and
import it as a new version in one transaction. A failed download, an HTML error or
challenge page, a truncated file or a suspiciously short list changes nothing.

Default URLs:
  ofac (ofac-csv)       ` + sanctions.DefaultOFACURL + ` (+ ADD.CSV, ALT.CSV, SDN_COMMENTS.CSV beside it)
  ofac (ofac-xml)       ` + sanctions.DefaultOFACXMLURL + `
  ofac (ofac-advanced)  ` + sanctions.DefaultOFACAdvancedURL + `
  un (un-xml)           ` + sanctions.DefaultUNURL,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sources := []string{"ofac", "un"}
			if upd.source != "" {
				if !slices.Contains(sources, upd.source) {
					return usageError{fmt.Errorf("--source %q: want ofac or un", upd.source)}
				}
				sources = []string{upd.source}
			} else if upd.url != "" || upd.format != "" {
				return usageError{errors.New("--url and --format need --source")}
			}
			if err := checkMinRatio(upd.minRatio); err != nil {
				return err
			}
			st, err := openSanctions(cmd.Context(), flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			var failed error
			for _, src := range sources {
				v, created, err := st.Update(cmd.Context(), sanctions.UpdateRequest{
					Source: src, Format: upd.format, URL: upd.url, DataDir: flagData,
					Client:  &http.Client{Timeout: upd.timeout},
					Options: sanctions.ImportOptions{Force: upd.force, MinRatio: upd.minRatio},
				})
				switch {
				case err != nil:
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: refused, the version in force is unchanged: %v\n", src, err)
					failed = fmt.Errorf("update of %s failed", src)
				case !created:
					fmt.Fprintf(cmd.OutOrStdout(), "%s: unchanged (%s already holds this file)\n", src, v.Label())
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s: imported %s: %d entities, %d crypto addresses, sha256 %s\n", src, v.Label(), v.Entities, v.Addresses, v.SHA256)
				}
			}
			return failed
		},
	}
	updateCmd.Flags().StringVar(&upd.source, "source", "", "ofac or un (default: both)")
	updateCmd.Flags().StringVar(&upd.format, "format", "", "ofac-csv (default), ofac-xml or ofac-advanced for --source ofac")
	updateCmd.Flags().StringVar(&upd.url, "url", "", "download URL (default: the official one)")
	updateCmd.Flags().BoolVar(&upd.force, "force", false, "accept a list with suspiciously fewer entries than the version in force")
	updateCmd.Flags().Float64Var(&upd.minRatio, "min-ratio", 0.9, "refuse a list with fewer than this fraction of the entries in force")
	updateCmd.Flags().DurationVar(&upd.timeout, "timeout", 5*time.Minute, "download timeout per file")

	listsCmd.AddCommand(versionsCmd, importCmd, diffCmd, updateCmd)
	rootCmd.AddCommand(listsCmd)
	listsRoot = listsCmd
}

// listsRoot is the `lists` command, for subcommands in other files.
var listsRoot *cobra.Command

func runListVersions(ctx context.Context, w, ew io.Writer, asJSON bool) error {
	var vs []sanctions.Version
	st, err := openSanctionsRead(flagData)
	switch {
	case errors.Is(err, errNoLists): // no store yet: no versions, and none created
	case err != nil:
		return err
	default:
		defer st.Close()
		if vs, err = st.Versions(ctx); err != nil {
			return err
		}
	}
	if asJSON {
		if vs == nil {
			vs = []sanctions.Version{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(vs)
	}
	if len(vs) == 0 {
		fmt.Fprintln(ew, "no lists imported yet: try `chaintrace lists import` or `chaintrace lists update`")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLIST\tFORMAT\tPUBLISHED\tIMPORTED\tENTITIES\tADDRESSES\tIN FORCE\tSOURCE")
	for _, v := range vs {
		force := ""
		if v.InForce {
			force = "yes"
		}
		pub := v.Published
		if pub == "" {
			pub = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", v.ID, v.List, v.Format, pub,
			v.Imported.Format("2006-01-02 15:04"), v.Entities, v.Addresses, force, v.Source)
	}
	return tw.Flush()
}

func printDiff(w io.Writer, d *sanctions.Diff, summary bool) {
	fmt.Fprintf(w, "%s → %s: %d added, %d removed (delisted), %d changed; crypto addresses %d added, %d removed\n",
		d.From.Label(), d.To.Label(), len(d.Added), len(d.Removed), len(d.Changed), len(d.AddedAddresses), len(d.RemovedAddresses))
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if summary {
		return
	}
	for _, e := range d.Added {
		fmt.Fprintf(w, "+ %s\t%s (%s)\n", e.ID, e.Name, e.Type)
	}
	for _, e := range d.Removed {
		fmt.Fprintf(w, "- %s\t%s (%s)\n", e.ID, e.Name, e.Type)
	}
	for _, e := range d.Changed {
		fmt.Fprintf(w, "~ %s\t%s: %s\n", e.ID, e.Name, strings.Join(e.Fields, ", "))
	}
	for _, a := range d.AddedAddresses {
		fmt.Fprintf(w, "+ address %s %s\t(%s)\n", a.Ticker, a.Address, a.EntityID)
	}
	for _, a := range d.RemovedAddresses {
		fmt.Fprintf(w, "- address %s %s\t(%s)\n", a.Ticker, a.Address, a.EntityID)
	}
}

// checkMinRatio rejects a --min-ratio outside [0,1] (2 would refuse every list, -1
// accept any).
func checkMinRatio(r float64) error {
	if r < 0 || r > 1 || r != r {
		return usageError{fmt.Errorf("--min-ratio %v: want a fraction from 0 to 1", r)}
	}
	return nil
}
