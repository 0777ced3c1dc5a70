package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/chaintrace/chaintrace/internal/sanctions/namematch"
	"github.com/spf13/cobra"
)

// `chaintrace screen name "NAME"` and `chaintrace screen name --batch FILE.csv`.
func init() {
	var (
		asJSON    bool
		batch     string
		opts      sanctions.NameOptions
		types     string
		programs  string
		lists     string
		countries []string
	)
	cmd := &cobra.Command{
		Use:   `name "NAME" | --batch FILE.csv`,
		Short: "Screen a person, company, vessel or aircraft name against the lists in force",
		Long: fmt.Sprintf(`Screen a name against the names and aliases of the sanctions lists in force.
Matching is fuzzy: transliteration variants (Korean, Arabic, Russian/Cyrillic),
diacritics, reordered, missing or joined tokens and typos still match; common
tokens (BANK, TRADING, …) and legal forms (CO, LTD, LLC, …) weigh little.
Each match has a score in [0,1] and an explanation. Matches scoring below
--min-score (default %.2f) are not shown.

--batch reads a CSV file with a header holding a "name" column and optional
"type", "dob" and "country" columns, and writes one CSV row per match (or one
row with empty match fields when a name matches nothing), with the columns
row,query,list_version,list,entity_id,name,matched_name,type,programs,score,error,category,explanation;
with --json, one JSON result per input row (JSON Lines).

JSON: {"query","list_version","matches":[{"list","entity_id","name","matched_name","type","programs","score","explanation"}]}`, namematch.DefaultMinScore),
		Args: func(cmd *cobra.Command, args []string) error {
			if batch == "" && len(args) != 1 {
				return usageError{errors.New(`want one NAME argument (quote it) or --batch FILE.csv`)}
			}
			if batch != "" && len(args) != 0 {
				return usageError{errors.New("--batch takes no NAME argument")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Types = splitList(types)
			opts.Programs = splitList(programs)
			opts.Lists = splitList(lists)
			opts.Countries = countries // split in sanctions: "Korea, North" is one country
			for _, t := range opts.Types {
				switch t {
				case sanctions.TypeIndividual, sanctions.TypeEntity, sanctions.TypeVessel, sanctions.TypeAircraft:
				default:
					return usageError{fmt.Errorf("--type %q: want individual, entity, vessel or aircraft", t)}
				}
			}
			if opts.DOB != "" {
				if err := sanctions.CheckDOB(opts.DOB); err != nil {
					return usageError{fmt.Errorf("--dob: %w", err)}
				}
			}
			if opts.MinScore < 0 || opts.MinScore > 1 {
				return usageError{fmt.Errorf("--min-score %v: want a number in (0,1]", opts.MinScore)}
			}
			if opts.Limit < 0 {
				return usageError{fmt.Errorf("--limit %d: want 1 or more (0 for the default %d)", opts.Limit, namematch.DefaultLimit)}
			}
			if batch == "" && strings.TrimSpace(args[0]) == "" {
				return usageError{sanctions.ErrEmptyName}
			}
			st, err := openSanctionsRead(flagData)
			if err != nil {
				return err
			}
			defer st.Close()
			if st.InForceLabel() == "" {
				return errors.New("no sanctions list imported: run `chaintrace lists import` or `chaintrace lists update` first")
			}
			out := cmd.OutOrStdout()
			if batch != "" {
				return screenNameBatch(cmd.Context(), st, batch, opts, asJSON, out)
			}
			res, err := st.ScreenName(cmd.Context(), args[0], opts)
			if errors.Is(err, sanctions.ErrBadFilter) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printNameResult(out, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON (JSON Lines with --batch)")
	f.StringVar(&batch, "batch", "", "screen every row of this CSV file (header with a \"name\" column; optional type, dob, country)")
	f.StringVar(&types, "type", "", "only these entity types (comma-separated): individual, entity, vessel, aircraft")
	f.StringVar(&programs, "program", "", "only entities under these programs (comma-separated, e.g. DPRK3,CYBER2)")
	f.StringVar(&lists, "list", "", "only these lists (comma-separated, e.g. ofac-sdn,un)")
	f.StringArrayVar(&countries, "country", nil, "only entities linked to this country: ISO 3166 code (KP, PRK) or name (\"North Korea\", \"Korea, North\"); repeat or comma-separate for several (entities with none pass)")
	f.StringVar(&opts.DOB, "dob", "", "date of birth YYYY[-MM[-DD]]: drops listed individuals born in other years (those without a date pass)")
	f.IntVar(&opts.DOBYearTolerance, "dob-tolerance", 1, "years of tolerance on --dob")
	f.Float64Var(&opts.MinScore, "min-score", namematch.DefaultMinScore, "lowest score shown")
	f.IntVar(&opts.Limit, "limit", namematch.DefaultLimit, "most matches shown per name")
	screenCmd.AddCommand(cmd)

	// Serve: build the name index at start and after each list change, so
	// that no request pays for it.
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		st := cfg.Sanctions
		if st == nil {
			return nil, nil
		}
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				if st.InForceLabel() != "" {
					if err := st.WarmNameIndex(wctx); err != nil && wctx.Err() == nil {
						slog.Warn("name index not rebuilt; answering from the previous one", "err", err)
					}
				}
				select {
				case <-wctx.Done():
					return
				case <-t.C:
				}
			}
		}()
		return cancel, nil
	})
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func printNameResult(w io.Writer, res *sanctions.NameResult) {
	defer func() {
		if s := filteredLine(res); s != "" {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}()
	if len(res.Matches) == 0 {
		fmt.Fprintf(w, "%q: no match (lists %s)\n", res.Query, res.ListVersion)
		return
	}
	fmt.Fprintf(w, "%q: %d match(es) (lists %s)\n", res.Query, len(res.Matches), res.ListVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SCORE\tENTITY\tTYPE\tCATEGORY\tNAME\tMATCHED NAME\tPROGRAMS")
	for _, m := range res.Matches {
		fmt.Fprintf(tw, "  %.3f\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Score, m.EntityID, m.Type, m.Category, m.Name, m.MatchedName, strings.Join(m.Programs, " "))
	}
	tw.Flush()
	for _, m := range res.Matches {
		fmt.Fprintf(w, "  %s: %s\n", m.EntityID, explainLine(m.Explanation))
	}
}

// filteredLine says which filters removed matches ("" when none did).
func filteredLine(res *sanctions.NameResult) string {
	var parts []string
	for _, f := range res.Filtered {
		parts = append(parts, fmt.Sprintf("%d match(es) removed by --%s %s", f.Matches, f.Filter, f.Value))
	}
	return strings.Join(parts, "; ")
}

// explainLine renders an explanation on one line.
func explainLine(e namematch.Explanation) string {
	var parts []string
	for _, m := range e.Matches {
		p := m.Query + "=" + m.Name
		if m.How != "exact" {
			p += fmt.Sprintf(" (%s %.2f)", m.How, m.Similarity)
		}
		parts = append(parts, p)
	}
	s := strings.Join(parts, ", ")
	if len(e.UnmatchedQuery) > 0 {
		var u []string
		for _, t := range e.UnmatchedQuery {
			u = append(u, t.Token)
		}
		s += "; unmatched query: " + strings.Join(u, " ")
	}
	if len(e.UnmatchedName) > 0 {
		var u []string
		for _, t := range e.UnmatchedName {
			u = append(u, t.Token)
		}
		s += "; unmatched name: " + strings.Join(u, " ")
	}
	for _, p := range e.Penalties {
		if strings.HasPrefix(p, "weak alias") || strings.HasPrefix(p, "only common") || strings.HasPrefix(p, "no exact") {
			s += "; " + p
		}
	}
	return s
}

// screenNameBatch screens every row of a CSV file.
func screenNameBatch(ctx context.Context, st *sanctions.Store, path string, base sanctions.NameOptions, asJSON bool, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return usageError{fmt.Errorf("%s: header: %w", path, err)}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	nameCol, ok := col["name"]
	if !ok {
		return usageError{fmt.Errorf("%s: header %q has no \"name\" column", path, head)}
	}
	get := func(rec []string, key string) string {
		if i, ok := col[key]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var cw *csv.Writer
	var enc *json.Encoder
	if asJSON {
		enc = json.NewEncoder(w)
	} else {
		cw = csv.NewWriter(w)
		defer cw.Flush()
		cw.Write([]string{"row", "query", "list_version", "list", "entity_id", "name", "matched_name", "type", "programs", "score", "error", "category", "explanation"})
	}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		opts := base
		q := ""
		if nameCol < len(rec) {
			q = rec[nameCol]
		}
		var rowErr error
		if t := strings.ToLower(get(rec, "type")); t != "" {
			opts.Types = []string{t}
		}
		if d := get(rec, "dob"); d != "" {
			if err := sanctions.CheckDOB(d); err != nil {
				rowErr = err
			}
			opts.DOB = d
		}
		if c := get(rec, "country"); c != "" {
			opts.Countries = []string{c}
		}
		var res *sanctions.NameResult
		if rowErr == nil {
			res, rowErr = st.ScreenName(ctx, q, opts)
		}
		if asJSON {
			line := map[string]any{"row": row, "query": q}
			if rowErr != nil {
				line["error"] = rowErr.Error()
			} else {
				line["list_version"] = res.ListVersion
				line["matches"] = res.Matches
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
			continue
		}
		rs := strconv.Itoa(row)
		if rowErr != nil {
			cw.Write([]string{rs, q, "", "", "", "", "", "", "", "", rowErr.Error(), "", ""})
			continue
		}
		if len(res.Matches) == 0 {
			cw.Write([]string{rs, q, res.ListVersion, "", "", "", "", "", "", "", "", "", filteredLine(res)})
		}
		for _, m := range res.Matches {
			cw.Write([]string{rs, q, res.ListVersion, m.List, m.EntityID, m.Name, m.MatchedName, m.Type, strings.Join(m.Programs, " "), strconv.FormatFloat(m.Score, 'f', 4, 64), "", m.Category, m.Explanation.Summary + "; " + explainLine(m.Explanation)})
		}
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}
