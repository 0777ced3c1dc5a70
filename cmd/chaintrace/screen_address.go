package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/chaintrace/chaintrace/internal/sanctions"
	"github.com/spf13/cobra"
)

// `chaintrace screen address ADDR`.
func init() {
	var asJSON bool
	var listVersion, batch string
	cmd := &cobra.Command{
		Use:   "address ADDRESS | --batch FILE",
		Short: "Screen a crypto address (any chain) against the lists in force or a named version",
		Long: `Screen a crypto address against the sanctions lists in force (or the versions
given by --list-version, e.g. 3 or 3,7). EVM addresses match case-insensitively
across ETH, ARB, BSC, ETC and tokens; base58 addresses are case-sensitive;
bech32 and cashaddr compare in lower case. A malformed address (bad checksum
or shape) is an error (exit status 2).

"sanctioned" is true only for a listing on an official sanctions list (OFAC
SDN, UN); a watchlist hit is a match with the watchlist's own category.

--batch screens every address of a file: CSV with a header holding an
"address" column, or one address a line. The output is CSV, one row per
listing (one row with empty listing fields for a clean address, the error
column filled for a malformed one; the run goes on):
row,address,list_version,sanctioned,list,entity_id,name,category,programs,ticker,error
With --json, one JSON result per input address (JSON Lines).

JSON: {"address","sanctioned","list_version","matches":[{"list","entity_id","name","category","programs","ticker"}]}`,
		Args: func(cmd *cobra.Command, args []string) error {
			if batch == "" && len(args) != 1 {
				return usageError{errors.New("want one ADDRESS argument or --batch FILE")}
			}
			if batch != "" && len(args) != 0 {
				return usageError{errors.New("--batch takes no ADDRESS argument")}
			}
			return nil
		},
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
			if batch != "" {
				return screenAddressBatch(cmd.Context(), st, batch, ids, asJSON, cmd.OutOrStdout())
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
	cmd.Flags().StringVar(&batch, "batch", "", "screen every address of this file (CSV with an \"address\" column, or one address a line)")
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

// screenAddressBatch screens every address of a file (CSV with an "address"
// column, or one a line), streaming.
func screenAddressBatch(ctx context.Context, st *sanctions.Store, path string, ids []int64, asJSON bool, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(4096)
	first, _, _ := strings.Cut(strings.TrimPrefix(string(head), "\ufeff"), "\n")
	var next func() (string, int, error) // address, line, error (io.EOF at the end)
	if cols := strings.Split(strings.TrimSpace(first), ","); strings.Contains(first, ",") || strings.EqualFold(strings.TrimSpace(first), "address") {
		col := -1
		for i, c := range cols {
			if strings.EqualFold(strings.Trim(strings.TrimSpace(c), "\"\ufeff"), "address") {
				col = i
			}
		}
		if col < 0 {
			return usageError{fmt.Errorf("%s: header %q has no \"address\" column", path, sanctions.ClipQuote(first))}
		}
		r := csv.NewReader(br)
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		if _, err := r.Read(); err != nil {
			return usageError{fmt.Errorf("%s: header: %w", path, err)}
		}
		next = func() (string, int, error) {
			rec, err := r.Read()
			if err != nil {
				return "", 0, err
			}
			line, _ := r.FieldPos(0)
			if col >= len(rec) {
				return "", line, nil
			}
			return rec[col], line, nil
		}
	} else {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		line := 0
		next = func() (string, int, error) {
			for sc.Scan() {
				line++
				if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
					return s, line, nil
				}
			}
			if err := sc.Err(); err != nil {
				return "", line, err
			}
			return "", line, io.EOF
		}
	}
	var cw *csv.Writer
	var enc *json.Encoder
	if asJSON {
		enc = json.NewEncoder(w)
	} else {
		cw = csv.NewWriter(w)
		defer cw.Flush()
		cw.Write([]string{"row", "address", "list_version", "sanctioned", "list", "entity_id", "name", "category", "programs", "ticker", "error"})
	}
	for {
		addr, line, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		addr = strings.TrimSpace(addr)
		res, rerr := st.ScreenAddressAt(ctx, addr, ids...)
		if rerr != nil && !errors.Is(rerr, sanctions.ErrMalformedAddress) {
			return rerr
		}
		if asJSON {
			out := map[string]any{"row": line, "address": sanctions.ClipQuote(addr)}
			if rerr != nil {
				out["error"] = rerr.Error()
			} else {
				out["sanctioned"], out["list_version"], out["matches"] = res.Sanctioned, res.ListVersion, res.Matches
			}
			if err := enc.Encode(out); err != nil {
				return err
			}
			continue
		}
		rs := strconv.Itoa(line)
		switch {
		case rerr != nil:
			cw.Write([]string{rs, sanctions.ClipQuote(addr), "", "", "", "", "", "", "", "", rerr.Error()})
		case len(res.Matches) == 0:
			cw.Write([]string{rs, addr, res.ListVersion, "false", "", "", "", "", "", "", ""})
		}
		if rerr == nil {
			for _, m := range res.Matches {
				cw.Write([]string{rs, addr, res.ListVersion, strconv.FormatBool(res.Sanctioned), m.List, m.EntityID, m.Name, m.Category, strings.Join(m.Programs, " "), m.Ticker, ""})
			}
		}
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}
