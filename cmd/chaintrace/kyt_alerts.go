package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/monitor"
)

// `chaintrace kyt alerts [filters]` and `chaintrace kyt alert ALERTID [--status --assignee --note]`.
func init() {
	var level, status, since, until string
	var limit, offset int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "alerts [--level L] [--status S] [--since T] [--until T] [--limit N] [--offset N]",
		Short: "List alerts, newest first",
		Long: `List alerts as GET /v1/kyt/alerts does: --level SEVERE|HIGH|MEDIUM|LOW,
--status open|in_review|closed, --since/--until an RFC 3339 time or a date (created at).

JSON: {"total","limit","offset","data":[{"alertId","alertLevel","category","service",
"alertAmount","exposureType","hops","path","status","createdAt",…}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var f monitor.AlertFilter
			var err error
			if level != "" {
				if f.Level, err = monitor.ParseLevel(level); err != nil {
					return kytUsage(err)
				}
			}
			f.Status, f.Limit, f.Offset = status, limit, offset
			if since != "" {
				if f.CreatedAtGTE, err = monitor.ParseTimeBound("--since", since); err != nil {
					return kytUsage(err)
				}
			}
			if until != "" {
				if f.CreatedAtLTE, err = monitor.ParseTimeBound("--until", until); err != nil {
					return kytUsage(err)
				}
			}
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, false)
			if err != nil {
				return err
			}
			defer k.Close()
			p, err := k.svc.Alerts(ctx, f)
			if err != nil {
				return kytUsage(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, p)
			}
			fmt.Fprintf(out, "%d alert(s), showing %d from %d\n", p.Total, len(p.Data), p.Offset)
			for _, a := range p.Data {
				printAlertLine(out, a)
				fmt.Fprintf(out, "      transfer %s\n", a.ExternalID)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&level, "level", "", "only this level")
	fl.StringVar(&status, "status", "", "only this status")
	fl.StringVar(&since, "since", "", "created at or after (RFC 3339 or YYYY-MM-DD)")
	fl.StringVar(&until, "until", "", "created at or before (RFC 3339 or YYYY-MM-DD)")
	fl.IntVar(&limit, "limit", 100, "page size (1–1000)")
	fl.IntVar(&offset, "offset", 0, "page offset")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	kytCmd.AddCommand(cmd)

	var setStatus, assignee, note, by string
	one := &cobra.Command{
		Use:   "alert ALERTID [--status S] [--assignee NAME] [--note TEXT] [--by NAME]",
		Short: "Show an alert with its notes and audit log, or change its status, assignee or notes",
		Long: `Show one alert with its notes and audit log. With --status (open, in_review,
closed), --assignee or --note the alert is changed first (as PATCH /v1/kyt/alerts/{id});
each change is written to the audit log under --by (default: $USER).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, err := openKYT(ctx, flagData, false)
			if err != nil {
				return err
			}
			defer k.Close()
			var u monitor.AlertUpdate
			fl := cmd.Flags()
			if fl.Changed("status") {
				u.Status = &setStatus
			}
			if fl.Changed("assignee") {
				u.Assignee = &assignee
			}
			if fl.Changed("note") {
				u.Note = &note
			}
			if by == "" {
				by = os.Getenv("USER")
			}
			var a *monitor.Alert
			if u.Status != nil || u.Assignee != nil || u.Note != nil {
				a, err = k.svc.UpdateAlert(ctx, args[0], u, by)
			} else {
				a, err = k.svc.Alert(ctx, args[0])
			}
			if err != nil {
				return kytUsage(err)
			}
			log, err := k.svc.Audit(ctx, "alert:"+a.AlertID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, struct {
					*monitor.Alert
					Audit []monitor.AuditEntry `json:"audit"`
				}{a, log})
			}
			printAlertLine(out, *a)
			fmt.Fprintf(out, "  transfer %s, rule %s, screening %d, assignee %q\n", a.ExternalID, a.Rule, a.ScreeningID, a.Assignee)
			if a.PreviousAlertID != "" {
				fmt.Fprintf(out, "  supersedes %s\n", a.PreviousAlertID)
			}
			fmt.Fprintf(out, "  path %v\n", a.Path)
			for _, n := range a.Notes {
				fmt.Fprintf(out, "  note %s %s: %s\n", n.CreatedAt.Format("2006-01-02 15:04:05"), n.Author, n.Text)
			}
			for _, e := range log {
				fmt.Fprintf(out, "  audit %s %-10s %-9s %s\n", e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Detail)
			}
			return nil
		},
	}
	f1 := one.Flags()
	f1.StringVar(&setStatus, "status", "", "new status: open, in_review, closed")
	f1.StringVar(&assignee, "assignee", "", "new assignee")
	f1.StringVar(&note, "note", "", "add a note")
	f1.StringVar(&by, "by", "", "who makes the change (default $USER)")
	f1.BoolVar(&asJSON, "json", false, "print JSON")
	kytCmd.AddCommand(one)
}
